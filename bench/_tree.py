"""A province-shaped unit tree for benchmarks, inserted fast with ``bulk_create`` level by level.

11 prefecture-level cities, 120 counties, townships and villages below (1,350 townships at 100,000 units;
the capital city holds a fifth of the tree). ``shape`` says how many villages each township of each county
of each city gets, for a tree of exactly the size asked; ``build`` inserts it in the database Django is
configured against. Call ``build`` only once Django is set up.
"""

import math
import random
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from dalun.org.choices import UnitKind
from dalun.org.paths import child_path

if TYPE_CHECKING:
    from dalun.org.models import Unit

FULL_UNITS = 100_000
# Counties per prefecture-level city: 120 in all, the capital holding a fifth of them.
CITY_COUNTIES = (24, 13, 12, 11, 10, 10, 10, 9, 7, 7, 7)
FULL_TOWNSHIPS = 1_350
BATCH_SIZE = 2_000
SYLLABLES = "安宁平和兴隆东阳南山西岭北江青石白沙金水长乐永丰新华泰来富民清河大同广德嘉禾龙泉云溪"

# Villages per township, per county, per city.
Shape = list[list[list[int]]]


@dataclass(frozen=True)
class Level:
    kind: UnitKind
    suffix: str
    code_digits: int  # the digits this level adds to the 12-digit statistical code


LEVELS = (
    Level(UnitKind.PROVINCE, "省", 2),
    Level(UnitKind.PREFECTURE_CITY, "市", 2),
    Level(UnitKind.COUNTY, "县", 2),
    Level(UnitKind.TOWN, "镇", 3),
    Level(UnitKind.VILLAGERS_COMMITTEE, "村", 3),
)
CODE_LENGTH = sum(level.code_digits for level in LEVELS)


def shape(total_units: int) -> Shape:
    """Villages per township per county per city, for a tree of exactly ``total_units`` units.

    Counties and cities are fixed; townships and villages per township both grow with the square root of
    the size, and vary (deterministically) from one county and township to the next.
    """
    counties = sum(CITY_COUNTIES)
    townships = max(counties, round(FULL_TOWNSHIPS * math.sqrt(total_units / FULL_UNITS)))
    villages = total_units - 1 - len(CITY_COUNTIES) - counties - townships
    if villages < townships:
        raise SystemExit(f"--units must be at least {1 + len(CITY_COUNTIES) + counties + 2 * townships}")
    rng = random.Random(20240601)
    townships_per_county = iter(apportion(townships, [rng.uniform(0.6, 1.4) for _ in range(counties)]))
    villages_per_township = iter(apportion(villages, [rng.uniform(0.5, 1.5) for _ in range(townships)]))
    return [
        [
            [next(villages_per_township) for _ in range(next(townships_per_county))]
            for _ in range(city_counties)
        ]
        for city_counties in CITY_COUNTIES
    ]


def apportion(total: int, weights: list[float]) -> list[int]:
    """``total`` split in proportion to ``weights`` (largest remainders round up)."""
    weight_sum = sum(weights)
    shares = [weight * total / weight_sum for weight in weights]
    counts = [int(share) for share in shares]
    by_remainder = sorted(range(len(shares)), key=lambda i: counts[i] - shares[i])
    for i in by_remainder[: total - sum(counts)]:
        counts[i] += 1
    return counts


def county_size(county: list[int]) -> int:
    return 1 + len(county) + sum(county)


def city_size(city: list[list[int]]) -> int:
    return 1 + sum(county_size(county) for county in city)


def city_position(tree: Shape, near: float) -> tuple[int]:
    """The 1-based position under the province of the city whose size is nearest ``near`` units."""
    index = min(range(len(tree)), key=lambda i: abs(city_size(tree[i]) - near))
    return (index + 1,)


def county_position(tree: Shape, near: float) -> tuple[int, int]:
    """The positions (city, county under it), 1-based, of the county whose size is nearest ``near`` units."""
    city, county = min(
        ((c, k) for c, city in enumerate(tree) for k in range(len(city))),
        key=lambda ck: abs(county_size(tree[ck[0]][ck[1]]) - near),
    )
    return city + 1, county + 1


def path_of(positions: tuple[int, ...]) -> str:
    """The path of the unit at ``positions`` below the province (the province itself for ``()``)."""
    path = child_path("", 1)
    for position in positions:
        path = child_path(path, position)
    return path


def build(tree: Shape) -> None:
    """Insert the tree level by level, each level in batches, each unit's ``child_count`` known upfront."""
    from django.db import transaction

    from dalun.org.models import Unit

    child_counts = [
        [len(tree)],
        [len(city) for city in tree],
        [len(county) for city in tree for county in city],
        [villages for city in tree for county in city for villages in county],
    ]
    child_counts.append([0] * sum(child_counts[-1]))
    with transaction.atomic():
        province = Unit(
            path=child_path("", 1),
            depth=1,
            kind=LEVELS[0].kind,
            code="44".ljust(CODE_LENGTH, "0"),
            name="岭东" + LEVELS[0].suffix,
            child_count=child_counts[0][0],
        )
        parents = Unit.objects.bulk_create([province])
        for depth in range(2, len(LEVELS) + 1):
            parents = _create_children(parents, iter(child_counts[depth - 1]), LEVELS[depth - 1])


def _create_children(parents: list["Unit"], child_counts: Iterator[int], level: Level) -> list["Unit"]:
    from dalun.org.models import Unit

    depth = parents[0].depth + 1
    code_start = sum(above.code_digits for above in LEVELS[: depth - 1])
    children = []
    for parent in parents:
        for position in range(1, parent.child_count + 1):
            code = parent.code[:code_start] + f"{position:0{level.code_digits}d}"
            children.append(
                Unit(
                    path=child_path(parent.path, position),
                    depth=depth,
                    parent=parent,
                    kind=level.kind,
                    code=code.ljust(CODE_LENGTH, "0"),
                    name=_name(len(children), level.suffix),
                    child_count=next(child_counts),
                )
            )
    return Unit.objects.bulk_create(children, batch_size=BATCH_SIZE)


def _name(serial: int, suffix: str) -> str:
    first, second = divmod(serial, len(SYLLABLES))
    return SYLLABLES[first % len(SYLLABLES)] + SYLLABLES[second] + suffix


def analyze() -> None:
    """Refresh the planner's statistics, as a maintained database would have them."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")

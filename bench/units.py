"""Subtree queries on a province-sized unit tree: the materialised-path range scan against naive recursion.

Builds a 100,000-unit tree shaped like a province (11 prefecture-level cities, 120 counties, 1,350
townships, villages below; the capital city holds a fifth of it) with ``bulk_create`` level by level,
then fetches every unit (pk, path, name) of a ~1,000-unit county and of a ~20,000-unit city with
``Unit.objects.subtree_of`` (one index range scan on ``path``), and of the same city by naive recursion
(one ``Unit.objects.filter(parent=...)`` query per node). Both ways must return the same ids. Each time is
the median of 7 repetitions after one warm-up, the three fetches interleaved in every repetition. The
database is ANALYZEd after the build, as a maintained one would be, and the subtree queries' plans are
checked for the ``path`` index.

Each database is measured in a child process with its own ``DALUN_DATABASE_URL``: SQLite in a temporary
file (WAL, as the settings configure it) and PostgreSQL in ``dalun_bench_units`` at 127.0.0.1:5432
(user postgres, trust auth; created for the run and dropped after it). PostgreSQL figures carry the suffix
``_pg``. The SQLite figures come last and the run ends with ``subtree_1k_ms``, ``subtree_20k_ms``,
``recursion_20k_ms`` and ``subtree_vs_recursion_ratio`` (recursion_20k_ms / subtree_20k_ms).

Run from the project root::

    .venv/bin/python bench/units.py                      # 100,000 units, SQLite and PostgreSQL
    .venv/bin/python bench/units.py --databases sqlite   # without PostgreSQL
    .venv/bin/python bench/units.py --small              # 3,000 units, 2 repetitions: the CI smoke run

The names stay the same at any size (``build_100k_s`` is the build time whatever ``--units`` says, the
subtrees are the county nearest 1% and the city nearest 20% of the tree); ``units_total``,
``subtree_1k_units`` and ``subtree_20k_units`` say what was measured.
"""

import argparse
import math
import random
import re
import statistics
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from time import perf_counter
from typing import TYPE_CHECKING

import _django
from dalun.org.choices import UnitKind
from dalun.org.paths import child_path

if TYPE_CHECKING:
    from django.db.models import QuerySet

    from dalun.org.models import Unit

POSTGRES_URL = "postgres://postgres@127.0.0.1:5432/dalun_bench_units"
FULL_UNITS, SMALL_UNITS = 100_000, 3_000
REPETITIONS, SMALL_REPETITIONS = 7, 2
# Counties per prefecture-level city: 120 in all, the capital holding a fifth of them.
CITY_COUNTIES = (24, 13, 12, 11, 10, 10, 10, 9, 7, 7, 7)
FULL_TOWNSHIPS = 1_350
BATCH_SIZE = 2_000
SYLLABLES = "安宁平和兴隆东阳南山西岭北江青石白沙金水长乐永丰新华泰来富民清河大同广德嘉禾龙泉云溪"

# Villages per township, per county, per city.
Shape = list[list[list[int]]]
Row = tuple[int, str, str]


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


def main() -> None:
    arguments = _arguments()
    units = arguments.units or (SMALL_UNITS if arguments.small else FULL_UNITS)
    if arguments.worker:
        _measure(units, SMALL_REPETITIONS if arguments.small else REPETITIONS)
        return
    # SQLite last, so that the run ends with its figures.
    for database in sorted(set(arguments.databases), key=lambda name: name == "sqlite"):
        worker_arguments = ["--units", str(units)] + ["--small"] * arguments.small
        for line in _django.run_in_child(__file__, database, worker_arguments, postgres_url=POSTGRES_URL):
            print(line, flush=True)


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.partition("\n")[0])
    parser.add_argument("--units", type=int, help=f"units in the tree (default {FULL_UNITS:,})")
    small_help = f"smoke size: {SMALL_UNITS:,} units, {SMALL_REPETITIONS} repetitions"
    parser.add_argument("--small", action="store_true", help=small_help)
    parser.add_argument(
        "--databases",
        type=_django.database_list,
        default=_django.DATABASES,
        help="comma-separated: sqlite,postgresql",
    )
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    return parser.parse_args()


# The worker: runs in the child process, against the database DALUN_DATABASE_URL names.


def _measure(total_units: int, repetitions: int) -> None:
    _django.setup()
    from dalun.org.models import Unit  # only importable once Django is set up

    shape = _shape(total_units)
    started = perf_counter()
    _build(shape)
    build_s = perf_counter() - started
    _analyze()

    city_index = min(range(len(shape)), key=lambda i: abs(_city_size(shape[i]) - total_units / 5))
    county_index = min(
        ((c, k) for c, city in enumerate(shape) for k in range(len(city))),
        key=lambda ck: abs(_county_size(shape[ck[0]][ck[1]]) - total_units / 100),
    )
    province_path = child_path("", 1)
    city = Unit.objects.get(path=child_path(province_path, city_index + 1))
    county = Unit.objects.get(
        path=child_path(child_path(province_path, county_index[0] + 1), county_index[1] + 1)
    )
    county_units = _county_size(shape[county_index[0]][county_index[1]])
    city_units = _city_size(shape[city_index])

    units_total = Unit.objects.count()
    county_rows, city_rows, recursion_rows = _subtree_rows(county), _subtree_rows(city), _recursive_rows(city)
    _check(units_total == total_units, f"built {units_total} units, meant {total_units}")
    _check(len(county_rows) == county_units, f"county subtree: {len(county_rows)} rows, meant {county_units}")
    _check(len(city_rows) == city_units, f"city subtree: {len(city_rows)} rows, meant {city_units}")
    _check(
        sorted(pk for pk, _, _ in recursion_rows) == sorted(pk for pk, _, _ in city_rows),
        "subtree_of and recursion return different units",
    )
    uses_index = all(_uses_path_index(Unit.objects.subtree_of(unit)) for unit in (county, city))

    medians = _median_ms(
        {
            "subtree_1k_ms": lambda: _subtree_rows(county),
            "subtree_20k_ms": lambda: _subtree_rows(city),
            "recursion_20k_ms": lambda: _recursive_rows(city),
        },
        repetitions,
    )
    print(f"units_total: {units_total}")
    print(f"subtree_1k_units: {county_units}")
    print(f"subtree_20k_units: {city_units}")
    print(f"build_100k_s: {build_s:.2f}")
    print(f"subtree_uses_index: {'yes' if uses_index else 'no'}")
    for name, value in medians.items():
        print(f"{name}: {value:.2f}")
    print(f"subtree_vs_recursion_ratio: {medians['recursion_20k_ms'] / medians['subtree_20k_ms']:.1f}")


def _shape(total_units: int) -> Shape:
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
    townships_per_county = iter(_apportion(townships, [rng.uniform(0.6, 1.4) for _ in range(counties)]))
    villages_per_township = iter(_apportion(villages, [rng.uniform(0.5, 1.5) for _ in range(townships)]))
    return [
        [
            [next(villages_per_township) for _ in range(next(townships_per_county))]
            for _ in range(city_counties)
        ]
        for city_counties in CITY_COUNTIES
    ]


def _apportion(total: int, weights: list[float]) -> list[int]:
    """``total`` split in proportion to ``weights`` (largest remainders round up)."""
    shares = [weight * total / sum(weights) for weight in weights]
    counts = [int(share) for share in shares]
    by_remainder = sorted(range(len(shares)), key=lambda i: counts[i] - shares[i])
    for i in by_remainder[: total - sum(counts)]:
        counts[i] += 1
    return counts


def _county_size(county: list[int]) -> int:
    return 1 + len(county) + sum(county)


def _city_size(city: list[list[int]]) -> int:
    return 1 + sum(_county_size(county) for county in city)


def _build(shape: Shape) -> None:
    """Insert the tree level by level, each level in batches, each unit's ``child_count`` known upfront."""
    from django.db import transaction

    from dalun.org.models import Unit

    child_counts = [
        [len(shape)],
        [len(city) for city in shape],
        [len(county) for city in shape for county in city],
        [villages for city in shape for county in city for villages in county],
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


def _analyze() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def _subtree_rows(unit: "Unit") -> list[Row]:
    from dalun.org.models import Unit

    return list(Unit.objects.subtree_of(unit).values_list("pk", "path", "name"))


def _recursive_rows(unit: "Unit") -> list[Row]:
    """The naive way: the unit, then the children of every node, one query per node."""
    from dalun.org.models import Unit

    rows: list[Row] = [(unit.pk, unit.path, unit.name)]

    def visit(pk: int) -> None:
        children = list(Unit.objects.filter(parent=pk).values_list("pk", "path", "name"))
        rows.extend(children)
        for child_pk, _, _ in children:
            visit(child_pk)

    visit(unit.pk)
    return rows


# Names of the indexes whose first column is ``path``, by database vendor.
PATH_INDEXES_SQL = {
    "sqlite": (
        "SELECT list.name FROM pragma_index_list(%s) AS list, pragma_index_info(list.name) AS info"
        " WHERE info.seqno = 0 AND info.name = 'path'"
    ),
    "postgresql": (
        "SELECT index_class.relname FROM pg_index"
        " JOIN pg_class AS index_class ON index_class.oid = pg_index.indexrelid"
        " JOIN pg_attribute ON pg_attribute.attrelid = pg_index.indrelid"
        " AND pg_attribute.attnum = pg_index.indkey[0]"
        " WHERE pg_index.indrelid = %s::regclass AND pg_attribute.attname = 'path'"
    ),
}


def _uses_path_index(queryset: "QuerySet[Unit]") -> bool:
    """Whether the query plan (EXPLAIN QUERY PLAN on SQLite, EXPLAIN on PostgreSQL) names an index on path."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(PATH_INDEXES_SQL[connection.vendor], [queryset.model._meta.db_table])
        path_indexes = [name for (name,) in cursor.fetchall()]
    plan = queryset.values_list("pk", "path", "name").explain()
    return any(re.search(rf"\b{re.escape(name)}\b", plan) for name in path_indexes)


def _median_ms(fetches: dict[str, Callable[[], object]], repetitions: int) -> dict[str, float]:
    """Median milliseconds of each fetch: one warm-up, then the fetches interleaved in every repetition."""
    for fetch in fetches.values():
        fetch()
    samples: dict[str, list[float]] = {name: [] for name in fetches}
    for _ in range(repetitions):
        for name, fetch in fetches.items():
            started = perf_counter()
            fetch()
            samples[name].append((perf_counter() - started) * 1000)
    return {name: statistics.median(times) for name, times in samples.items()}


def _check(condition: bool, message: str) -> None:
    """Like assert, but kept under ``python -O``: a benchmark that measures a wrong answer is worthless."""
    if not condition:
        raise AssertionError(message)


if __name__ == "__main__":
    main()

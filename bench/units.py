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
import re
import statistics
from collections.abc import Callable
from time import perf_counter
from typing import TYPE_CHECKING

import _django
import _tree

if TYPE_CHECKING:
    from django.db.models import QuerySet

    from dalun.org.models import Unit

POSTGRES_URL = "postgres://postgres@127.0.0.1:5432/dalun_bench_units"
FULL_UNITS, SMALL_UNITS = _tree.FULL_UNITS, 3_000
REPETITIONS, SMALL_REPETITIONS = 7, 2

Row = tuple[int, str, str]


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

    shape = _tree.shape(total_units)
    started = perf_counter()
    _tree.build(shape)
    build_s = perf_counter() - started
    _tree.analyze()

    city_at = _tree.city_position(shape, total_units / 5)
    county_at = _tree.county_position(shape, total_units / 100)
    city = Unit.objects.get(path=_tree.path_of(city_at))
    county = Unit.objects.get(path=_tree.path_of(county_at))
    county_units = _tree.county_size(shape[county_at[0] - 1][county_at[1] - 1])
    city_units = _tree.city_size(shape[city_at[0] - 1])

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

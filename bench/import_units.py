"""Importing 30,000 units from CSV and from Excel through the same path as the web page and the command line.

Generates a file of 100 towns with 299 villages each under one existing county, then measures, on SQLite and
on PostgreSQL in one run: reading and checking the file, and the whole import (check, tree checks, inserts,
audit), for the CSV and the .xlsx form of the same rows. Each database is fresh; the CSV import is rolled
back before the Excel one, so both insert the same 30,000 units. PostgreSQL figures carry the suffix ``_pg``.

Run from the project root::

    .venv/bin/python bench/import_units.py            # 30,000 rows, SQLite and PostgreSQL
    .venv/bin/python bench/import_units.py --small    # 3,000 rows: the CI smoke run
"""

import argparse
import io
import time

import _django

POSTGRES_URL = "postgres://postgres@127.0.0.1:5432/dalun_bench_import"
FULL_ROWS = 30_000
SMALL_ROWS = 3_000
VILLAGES_PER_TOWN = 299


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.partition("\n")[0])
    parser.add_argument("--small", action="store_true", help=f"smoke size: {SMALL_ROWS:,} rows")
    parser.add_argument("--databases", type=_django.database_list, default=_django.DATABASES)
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    rows = SMALL_ROWS if arguments.small else FULL_ROWS
    if arguments.worker:
        _measure(rows)
        return
    for database in sorted(set(arguments.databases), key=lambda name: name == "sqlite"):
        for line in _django.run_in_child(
            __file__, database, ["--small"] * arguments.small, postgres_url=POSTGRES_URL
        ):
            print(line, flush=True)


def _csv(rows: int) -> bytes:
    lines = ["code,name,parent_code,kind,name_en"]
    towns = rows // (VILLAGES_PER_TOWN + 1)
    for town in range(towns):
        lines.append(f"T{town},测试镇{town},140105,town,Test Town {town}")
        lines.extend(
            f"T{town}-{v},测试村{town}-{v},T{town},villagers_committee,Village {v}"
            for v in range(VILLAGES_PER_TOWN)
        )
    return ("\n".join(lines) + "\n").encode("utf-8")


def _xlsx(csv_content: bytes) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet()
    for line in csv_content.decode("utf-8").splitlines():
        sheet.append(line.split(","))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _measure(rows: int) -> None:
    _django.setup()
    from django.db import transaction

    from dalun.demo.province import load_province
    from dalun.org.importing import parse_units, read_table
    from dalun.org.models import Unit
    from dalun.org.policy import SYSTEM
    from dalun.org.services import units_import

    load_province(keep=lambda row: len(row["code"]) <= 6)
    csv_content = _csv(rows)
    files = {"csv": ("units.csv", csv_content), "xlsx": ("units.xlsx", _xlsx(csv_content))}
    before = Unit.objects.count()
    figures: dict[str, float] = {}
    for form, (name, content) in files.items():
        started = time.perf_counter()
        parsed = parse_units(iter(list(read_table(content, filename=name))))
        figures[f"check_{form}_30k_s"] = time.perf_counter() - started
        assert not parsed.errors, parsed.errors[:3]
        started = time.perf_counter()
        with transaction.atomic():
            parsed = parse_units(iter(list(read_table(content, filename=name))))
            imported = units_import(actor=SYSTEM, parsed=parsed)
            figures[f"import_{form}_30k_s"] = time.perf_counter() - started
            assert imported == len(parsed.rows) and Unit.objects.count() == before + imported
            transaction.set_rollback(True)  # the next form inserts the same codes
    print(f"rows: {len(parsed.rows)}")
    for name, seconds in figures.items():
        print(f"{name}: {seconds:.2f}")


if __name__ == "__main__":
    main()

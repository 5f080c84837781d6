"""Loading the demo province: Shanxi's divisions and the bodies the reference campaign names.

The same import path as a user's file is used, so the demo exercises the real checks. Loading is idempotent:
units whose code is already in the tree are left alone.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable
from pathlib import Path

from dalun.org.importing import ParsedFile, parse_units
from dalun.org.models import Unit
from dalun.org.policy import SYSTEM
from dalun.org.services import units_import

DATA_DIR = Path(__file__).resolve().parent / "data"
DIVISION_FILES = ("province", "prefectures", "counties", "townships", "villages")


def division_rows(*, keep: Callable[[dict[str, str]], bool] | None = None) -> Iterable[list[str]]:
    """The division files as one table (header first), optionally filtered."""
    yield ["code", "name", "parent_code", "kind", "name_en", "name_pinyin"]
    for level in DIVISION_FILES:
        with open(DATA_DIR / "shanxi" / f"shanxi-{level}.csv", encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle):
                if keep is None or keep(row):
                    yield [
                        row["code"],
                        row["name"],
                        row["parent_code"],
                        row["kind"],
                        row["name_en"],
                        row["name_pinyin"],
                    ]


def body_rows() -> Iterable[list[str]]:
    with open(DATA_DIR / "provincial-bodies.csv", encoding="utf-8", newline="") as handle:
        yield from csv.reader(handle)


def load_units(table: Iterable[list[str]], *, progress: Callable[[float], None] | None = None) -> int:
    """Import the rows whose code is not in the tree yet; returns how many were added."""
    rows = iter(table)
    header = next(rows)
    parsed: ParsedFile = parse_units(iter([header, *rows]))
    existing = (
        set(Unit.objects.filter(code__in=[row.code for row in parsed.rows]).values_list("code", flat=True))
        if parsed.rows
        else set()
    )
    parsed.rows = [row for row in parsed.rows if row.code not in existing]
    if not parsed.rows:
        return 0
    return units_import(actor=SYSTEM, parsed=parsed, progress=progress)


def load_province(
    *, keep: Callable[[dict[str, str]], bool] | None = None, progress: Callable[[float], None] | None = None
) -> int:
    """Shanxi's divisions (all, or those ``keep`` accepts) plus the provincial bodies."""
    added = load_units(division_rows(keep=keep), progress=progress)
    return added + load_units(body_rows())

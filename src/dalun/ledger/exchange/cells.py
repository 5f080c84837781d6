"""Reading one cell of an imported row: choices, text, numbers, dates, progress and refs."""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import models
from django.utils import translation
from django.utils.translation import gettext as _
from openpyxl.utils import get_column_letter

from dalun.campaigns.models import ProblemCategory, localized
from dalun.engines.text import normalise
from dalun.ledger.choices import MeasureStatus, ProblemSource, ProblemStatus, Visibility
from dalun.ledger.exchange.columns import MEASURE_STATUS_ZH, PROBLEM_STATUS_ZH, SOURCE_ZH, VISIBILITY_ZH
from dalun.ledger.models import Ledger, Measure, Problem
from dalun.org.importing import RowError
from dalun.org.models import Unit

# ---- import: reading and checking ----


class LedgerImportError(Exception):
    """The workbook was refused whole; ``errors`` lists every problem found, by row and column."""

    def __init__(self, errors: list[RowError]):
        self.errors = errors
        super().__init__("; ".join(str(error) for error in errors[:20]))


@dataclass
class ImportResult:
    ledger: Ledger
    problems_created: int = 0
    measures_created: int = 0
    unchanged: int = 0  # rows with an existing ref that say what the ledger says


@dataclass
class _NewRow:
    row: int
    ref: str  # a new problem's N ref; a new measure's problem ref (P... or N...)
    values: dict[str, Any]


@dataclass
class _Check:
    """What the check of a file found: its errors, and the rows to write if there are none."""

    unit: Unit
    categories: dict[str, ProblemCategory]
    problems: dict[int, Problem]
    measures: dict[int, Measure]
    errors: list[RowError] = field(default_factory=list)
    new_refs: set[str] = field(default_factory=set)  # N refs of the new problems
    new_problems: list[_NewRow] = field(default_factory=list)
    new_measures: list[_NewRow] = field(default_factory=list)
    unchanged: int = 0
    lookups: dict[str, dict[str, str]] = field(default_factory=dict)


class _Bad:
    """The value of a cell that was refused (its error is recorded)."""


BAD = _Bad()


class _Row:
    """One data row of a sheet: cells by column key, and the spreadsheet name of each column."""

    def __init__(self, sheet: str, number: int, values: list[Any], index: dict[str, int], check: _Check):
        self.sheet, self.number, self.values, self.index, self.check = sheet, number, values, index, check

    def raw(self, key: str) -> Any:
        position = self.index.get(key)
        if position is None or position >= len(self.values):
            return ""
        value = self.values[position]
        return "" if value is None else value

    def text(self, key: str) -> str:
        value = self.raw(key)
        if isinstance(value, float) and value.is_integer():
            return str(int(value))
        if isinstance(value, datetime.datetime):
            return value.date().isoformat() if value.time() == datetime.time() else value.isoformat(" ")
        if isinstance(value, datetime.date):
            return value.isoformat()
        return str(value).strip()

    def blank(self) -> bool:
        return not any(self.text(key) for key in self.index)

    def error(self, key: str, message: str) -> _Bad:
        position = self.index.get(key)
        column = f"{self.sheet}!{get_column_letter(position + 1)}" if position is not None else self.sheet
        self.check.errors.append(RowError(self.number, column, message))
        return BAD


# A parser reads one cell: the value (None when the cell is empty), or BAD after recording the error.
Parser = Callable[[_Row, str, str], Any]


def _choice_parser(choices: type[models.TextChoices], chinese: dict[Any, str]) -> Parser:
    """A choice by its key, its Chinese value in the file, or its label in English or the active language."""

    def parse(row: _Row, key: str, name: str) -> Any:
        text = row.text(key)
        if not text:
            return None
        lookup = row.check.lookups.get(choices.__name__)
        if lookup is None:
            lookup = {normalise(value): value for value in choices.values}
            lookup.update({normalise(label): value for value, label in chinese.items()})
            lookup.update({normalise(str(label)): value for value, label in choices.choices})
            with translation.override("en"):
                lookup.update({normalise(str(label)): value for value, label in choices.choices})
            row.check.lookups[choices.__name__] = lookup
        value = lookup.get(normalise(text))
        if value is None:
            return row.error(
                key,
                _("%(column)s “%(value)s” is not known; expected one of: %(expected)s.")
                % {"column": name, "value": text, "expected": "、".join(chinese.values())},
            )
        return value

    return parse


def _text_parser(max_length: int) -> Parser:
    def parse(row: _Row, key: str, name: str) -> Any:
        text = row.text(key)
        if len(text) > max_length:
            return row.error(
                key, _("%(column)s is longer than %(max)s characters.") % {"column": name, "max": max_length}
            )
        return text or None

    return parse


def _category(row: _Row, key: str, name: str) -> Any:
    text = row.text(key)
    if not text:
        return None
    category = row.check.categories.get(normalise(text))
    if category is None:
        names = dict.fromkeys(localized(c.name, "zh-hans") for c in row.check.categories.values())
        return row.error(
            key,
            _("Unknown category “%(value)s”; expected one of: %(expected)s.")
            % {"value": text, "expected": "、".join(names)},
        )
    return category


def _number(row: _Row, key: str, name: str) -> Any:
    value, text = row.raw(key), normalise(row.text(key)).replace(",", "")
    if not text:
        return None
    try:
        number = Decimal(repr(value)) if isinstance(value, float) else Decimal(text)
    except InvalidOperation:
        number = Decimal("NaN")
    if not number.is_finite():
        return row.error(
            key, _("%(column)s must be a number, not “%(value)s”.") % {"column": name, "value": row.text(key)}
        )
    if abs(number) >= Decimal("1e12") or number != number.quantize(Decimal("0.01")):
        return row.error(
            key,
            _("%(column)s must be a number with at most two decimals and twelve digits before the point.")
            % {"column": name},
        )
    return number.quantize(Decimal("0.01"))


_DATE = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:[ t]0{1,2}:00(?::00)?)?")


def _date(row: _Row, key: str, name: str) -> Any:
    value = row.raw(key)
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    text = normalise(row.text(key))
    if not text:
        return None
    match = _DATE.fullmatch(text)
    try:
        if match:
            return datetime.date(*(int(part) for part in match.groups()))
    except ValueError:
        pass
    return row.error(
        key,
        _("%(column)s must be a date such as 2025-06-30, not “%(value)s”.")
        % {"column": name, "value": row.text(key)},
    )


def _progress(row: _Row, key: str, name: str) -> Any:
    text = normalise(row.text(key)).removesuffix("%").strip()
    if not text:
        return None
    try:
        number = Decimal(text)
    except InvalidOperation:
        number = Decimal("NaN")
    if not number.is_finite() or number != number.to_integral_value() or not 0 <= number <= 100:
        return row.error(
            key,
            _("%(column)s must be a whole number from 0 to 100, not “%(value)s”.")
            % {"column": name, "value": row.text(key)},
        )
    return int(number)


def _problem_fields() -> dict[str, tuple[Parser, str, bool]]:
    """Column key -> (parser, name in messages, required for a new row)."""
    return {
        "category": (_category, _("The category"), True),
        "manifestation": (_text_parser(4000), _("The manifestation"), True),
        "source": (_choice_parser(ProblemSource, SOURCE_ZH), _("The source"), False),
        "visibility": (_choice_parser(Visibility, VISIBILITY_ZH), _("The visibility"), True),
        "status": (_choice_parser(ProblemStatus, PROBLEM_STATUS_ZH), _("The status"), False),
    }


def _measure_fields() -> dict[str, tuple[Parser, str, bool]]:
    return {
        "action": (_text_parser(4000), _("The measure"), True),
        "indicator": (_text_parser(200), _("The indicator"), True),
        "baseline": (_number, _("The baseline"), False),
        "target": (_number, _("The target value"), True),
        "target_unit": (_text_parser(20), _("The unit of measure"), False),
        "owner": (_text_parser(100), _("The responsible person"), True),
        "deadline": (_date, _("The deadline"), True),
        "progress": (_progress, _("The progress"), False),
        "status": (_choice_parser(MeasureStatus, MEASURE_STATUS_ZH), _("The status"), False),
    }


def _new_values(row: _Row, fields: dict[str, tuple[Parser, str, bool]]) -> dict[str, Any]:
    """Every cell of a new row parsed; a required cell left empty is refused (BAD)."""
    values = {}
    for key, (parse, name, required) in fields.items():
        value = parse(row, key, name)
        if value is None and required:
            value = row.error(key, _("%(column)s is missing.") % {"column": name})
        values[key] = value
    return values


def _valid(values: dict[str, Any]) -> bool:
    return not any(value is BAD for value in values.values())


def _compare_existing(row: _Row, ref: str, record: Any, fields: dict[str, tuple[Parser, str, bool]]) -> None:
    """An existing row is compared with the ledger on every cell filled in; import never changes it."""
    differing = []
    for key, (parse, name, _required) in fields.items():
        value = parse(row, key, name)
        if value is None or value is BAD:
            continue
        current = record.category if key == "category" else getattr(record, key)
        if value != (current.strip() if isinstance(current, str) else current):
            differing.append(key)
    for key in differing:
        row.error(
            key,
            _(
                "%(ref)s is already in the ledger and this cell differs from it: updating existing rows is "
                "done on the page, not by import."
            )
            % {"ref": ref},
        )
    row.check.unchanged += not differing


_REF = re.compile(r"([pmn])(\d+)")


def _ref(row: _Row, key: str, letter: str, name: str) -> str | None:
    """The ref normalised (``P12``, ``N3``), "" when empty, or None (after an error) when malformed."""
    text = normalise(row.text(key)).replace(" ", "")
    if not text:
        return ""
    match = _REF.fullmatch(text)
    if match and match.group(1) in (letter.lower(), "n"):
        return f"{match.group(1).upper()}{int(match.group(2))}"
    row.error(
        key,
        _(
            "%(column)s “%(value)s” is neither %(letter)s followed by a number (a row already in the "
            "ledger) nor N followed by a number (a new row of this file)."
        )
        % {"column": name, "value": row.text(key), "letter": letter},
    )
    return None


def _unique(row: _Row, key: str, ref: str | None, seen: dict[str, int]) -> None:
    if not ref:
        return
    if ref in seen:
        row.error(
            key, _("Duplicate ref %(ref)s: already used on row %(first)s.") % {"ref": ref, "first": seen[ref]}
        )
    else:
        seen[ref] = row.number

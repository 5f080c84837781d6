"""Writing a subtree's ledger as the three lists, to Excel or CSV, streamed from the database."""

from __future__ import annotations

import csv
import datetime
import io
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

from django.utils import timezone
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from dalun.campaigns.models import Campaign, localized
from dalun.ledger import selectors
from dalun.ledger.exchange.columns import (
    CHUNK,
    LISTS,
    MEASURE_COLUMNS,
    MEASURE_STATUS_ZH,
    PROBLEM_COLUMNS,
    PROBLEM_STATUS_ZH,
    RESPONSIBILITY_COLUMNS,
    SOURCE_ZH,
    VISIBILITY_ZH,
    Column,
)
from dalun.org.models import Unit

# ---- export ----


def _problem_rows(actor: Any, root: Unit, campaign: Campaign) -> Iterator[list[Any]]:
    rows = selectors.problem_list(actor=actor, root=root, campaign=campaign)
    for problem in rows.iterator(chunk_size=CHUNK):
        yield [
            problem.unit.code or "",
            problem.unit.name,
            f"P{problem.pk}",
            localized(problem.category.name, "zh-hans"),
            problem.manifestation,
            SOURCE_ZH.get(problem.source, problem.source),
            VISIBILITY_ZH.get(problem.visibility, problem.visibility),
            PROBLEM_STATUS_ZH.get(problem.status, problem.status),
        ]


def _measure_rows(actor: Any, root: Unit, campaign: Campaign) -> Iterator[list[Any]]:
    rows = selectors.measure_list(actor=actor, root=root, campaign=campaign)
    for measure in rows.order_by("unit__path", "problem_id", "deadline", "id").iterator(chunk_size=CHUNK):
        yield [
            f"P{measure.problem_id}",
            f"M{measure.pk}",
            measure.action,
            measure.indicator,
            measure.baseline,
            measure.target,
            measure.target_unit,
            measure.owner,
            measure.deadline,
            measure.progress,
            MEASURE_STATUS_ZH.get(measure.status, measure.status),
        ]


def _responsibility_rows(actor: Any, root: Unit, campaign: Campaign) -> Iterator[list[Any]]:
    today = timezone.localdate()
    rows = selectors.measure_list(actor=actor, root=root, campaign=campaign)
    for measure in rows.order_by("unit__path", "owner", "deadline", "id").iterator(chunk_size=CHUNK):
        overdue = selectors.is_overdue(measure.deadline, measure.status, today)
        yield [
            measure.unit.code or "",
            measure.unit.name,
            measure.owner,
            f"M{measure.pk}",
            measure.action,
            measure.deadline,
            MEASURE_STATUS_ZH.get(measure.status, measure.status),
            "是" if overdue else "否",
        ]


_LIST_ROWS: dict[str, tuple[tuple[Column, ...], Callable[[Any, Unit, Campaign], Iterator[list[Any]]]]] = {
    "problems": (PROBLEM_COLUMNS, _problem_rows),
    "measures": (MEASURE_COLUMNS, _measure_rows),
    "responsibility": (RESPONSIBILITY_COLUMNS, _responsibility_rows),
}


def _xlsx_value(sheet: Any, value: Any) -> Any:
    if not isinstance(value, str):
        return value
    value = ILLEGAL_CHARACTERS_RE.sub("", value)
    if value.startswith("="):  # text, never a formula
        cell = WriteOnlyCell(sheet, value=value)
        cell.data_type = "s"
        return cell
    return value


def ledger_workbook(*, actor: Any, root: Unit, campaign: Campaign) -> bytes:
    """The subtree's ledger as the actor may see it: an .xlsx of the three lists, streamed from the rows."""
    workbook = Workbook(write_only=True)
    bold = Font(bold=True)
    for which, (columns, rows) in _LIST_ROWS.items():
        sheet = workbook.create_sheet(LISTS[which])
        for number, column in enumerate(columns, start=1):
            sheet.column_dimensions[get_column_letter(number)].width = column.width
        sheet.freeze_panes = "A2"
        header = []
        for column in columns:
            cell = WriteOnlyCell(sheet, value=column.header)
            cell.font = bold
            header.append(cell)
        sheet.append(header)
        for values in rows(actor, root, campaign):
            sheet.append([_xlsx_value(sheet, value) for value in values])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _csv_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    text = str(value)
    # A cell that starts like a formula is quoted so that a spreadsheet shows it as text (CSV injection).
    return "'" + text if isinstance(value, str) and text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def ledger_csv(*, actor: Any, root: Unit, campaign: Campaign, which: str) -> bytes:
    """One of the three lists as CSV: UTF-8 with a byte-order mark, which Excel on Chinese Windows reads."""
    if which not in _LIST_ROWS:
        raise ValueError(f"unknown list: {which}")
    columns, rows = _LIST_ROWS[which]
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([column.header for column in columns])
    for values in rows(actor, root, campaign):
        writer.writerow([_csv_value(value) for value in values])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")

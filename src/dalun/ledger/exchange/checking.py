"""Checking a whole workbook before anything is written: every error by sheet, row and column."""

from __future__ import annotations

import io
from typing import Any

from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from dalun.campaigns.models import Campaign, ProblemCategory
from dalun.campaigns.services import phase_allows
from dalun.engines.text import normalise
from dalun.ledger.choices import MeasureStatus, ProblemSource
from dalun.ledger.exchange.cells import (
    BAD,
    LedgerImportError,
    _Check,
    _compare_existing,
    _measure_fields,
    _new_values,
    _NewRow,
    _problem_fields,
    _ref,
    _Row,
    _unique,
    _valid,
)
from dalun.ledger.exchange.columns import (
    MAX_IMPORT_BYTES,
    MAX_IMPORT_ROWS,
    MEASURE_COLUMNS,
    MEASURES,
    PROBLEM_COLUMNS,
    PROBLEMS,
    Column,
)
from dalun.ledger.models import Measure, Problem
from dalun.org.importing import RowError
from dalun.org.models import Unit


def _check_problems(rows: list[list[Any]], index: dict[str, int], check: _Check) -> None:
    fields, seen = _problem_fields(), dict[str, int]()
    for number, values in enumerate(rows[1:], start=2):
        row = _Row(PROBLEMS, number, values, index, check)
        if row.blank():
            continue
        code = row.text("unit_code")
        if code and code != (check.unit.code or ""):
            row.error(
                "unit_code",
                _(
                    "This row belongs to unit %(code)s, but the file is being imported into "
                    "%(unit)s (%(own)s)."
                )
                % {"code": code, "unit": check.unit.name, "own": check.unit.code or "—"},
            )
        ref = _ref(row, "problem_ref", "P", _("The problem ref"))
        _unique(row, "problem_ref", ref, seen)
        if ref and ref.startswith("P"):
            problem = check.problems.get(int(ref[1:]))
            if problem is None:
                row.error(
                    "problem_ref",
                    _(
                        "%(ref)s is not a problem of this unit's ledger in this campaign; leave "
                        "the ref empty, or write N1, N2 ... for a new problem."
                    )
                    % {"ref": ref},
                )
            else:
                _compare_existing(row, ref, problem, fields)
            continue
        if ref:
            check.new_refs.add(ref)
        parsed = _new_values(row, fields)
        if _valid(parsed) and ref is not None:
            parsed["source"] = parsed["source"] or ProblemSource.SELF
            del parsed["status"]  # follows from the measures
            check.new_problems.append(_NewRow(number, ref, parsed))


def _check_measures(rows: list[list[Any]], index: dict[str, int], check: _Check) -> None:
    fields, seen = _measure_fields(), dict[str, int]()
    for number, values in enumerate(rows[1:], start=2):
        row = _Row(MEASURES, number, values, index, check)
        if row.blank():
            continue
        problem_ref = _ref(row, "problem_ref", "P", _("The problem ref"))
        if problem_ref == "":
            row.error("problem_ref", _("A measure needs the problem it rectifies: give its problem ref."))
        elif problem_ref and problem_ref.startswith("N") and problem_ref not in check.new_refs:
            row.error(
                "problem_ref",
                _("Unknown problem ref %(ref)s: no row of the problem list has it.") % {"ref": problem_ref},
            )
        elif problem_ref and problem_ref.startswith("P") and int(problem_ref[1:]) not in check.problems:
            row.error(
                "problem_ref",
                _("%(ref)s is not a problem of this unit's ledger in this campaign.") % {"ref": problem_ref},
            )
        ref = _ref(row, "measure_ref", "M", _("The measure ref"))
        _unique(row, "measure_ref", ref, seen)
        if ref and ref.startswith("M"):
            measure = check.measures.get(int(ref[1:]))
            if measure is None:
                row.error(
                    "measure_ref",
                    _(
                        "%(ref)s is not a measure of this unit's ledger in this campaign; leave "
                        "the ref empty for a new measure."
                    )
                    % {"ref": ref},
                )
                continue
            if problem_ref and problem_ref != f"P{measure.problem_id}":
                row.error(
                    "problem_ref",
                    _(
                        "%(ref)s is already in the ledger and this cell differs from it: "
                        "updating existing rows is done on the page, not by import."
                    )
                    % {"ref": ref},
                )
            _compare_existing(row, ref, measure, fields)
            continue
        parsed = _new_values(row, fields)
        if parsed["status"] not in (None, BAD, MeasureStatus.OPEN):
            parsed["status"] = row.error(
                "status",
                _(
                    "A new measure starts in progress: closing it needs evidence and verification, "
                    "on the page."
                ),
            )
        if _valid(parsed) and problem_ref:
            parsed["progress"] = parsed["progress"] or 0
            parsed["target_unit"] = parsed["target_unit"] or ""
            del parsed["status"]
            check.new_measures.append(_NewRow(number, problem_ref, parsed))


def _header(
    rows: list[list[Any]], sheet: str, columns: tuple[Column, ...], required: tuple[str, ...], check: _Check
) -> dict[str, int] | None:
    """Columns by their header, in any order; the header is row 1."""
    aliases = {
        normalise(alias): column.key
        for column in columns
        for alias in (column.header, column.zh, column.en, column.key)
    }
    index: dict[str, int] = {}
    for position, cell in enumerate(rows[0] if rows else []):
        key = aliases.get(normalise("" if cell is None else str(cell)))
        if key is not None and key not in index:
            index[key] = position
    missing = [column.header for column in columns if column.key in required and column.key not in index]
    if missing:
        check.errors.append(
            RowError(
                1,
                sheet,
                _("Missing column(s): %(columns)s. Start from a workbook exported from the ledger.")
                % {"columns": "; ".join(missing)},
            )
        )
        return None
    if len(rows) > MAX_IMPORT_ROWS + 1:
        check.errors.append(
            RowError(
                0,
                sheet,
                _("The sheet has more than %(max)s rows; split the file.") % {"max": MAX_IMPORT_ROWS},
            )
        )
        return None
    return index


def _read_sheets(content: bytes, filename: str) -> dict[str, list[list[Any]]]:
    """The problem and measure sheets as rows of cell values (calamine is fast, and gives dates as dates)."""
    import python_calamine

    if len(content) > MAX_IMPORT_BYTES:
        raise LedgerImportError(
            [
                RowError(
                    0,
                    "",
                    _("The file is larger than %(limit)s.") % {"limit": filesizeformat(MAX_IMPORT_BYTES)},
                )
            ]
        )
    refused = RowError(
        0,
        "",
        _(
            "“%(name)s” is not an Excel workbook (.xlsx): import the workbook that the ledger "
            "exports, filled in."
        )
        % {"name": filename},
    )
    if content[:4] != b"PK\x03\x04":
        raise LedgerImportError([refused])
    try:
        workbook = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(content))
        names = {name.strip(): name for name in workbook.sheet_names}
        missing = [name for name in (PROBLEMS, MEASURES) if name not in names]
        if missing:
            raise LedgerImportError(
                [
                    RowError(
                        0,
                        "",
                        _(
                            "The workbook needs the sheets %(needed)s; missing: "
                            "%(missing)s (it has: %(found)s)."
                        )
                        % {
                            "needed": "、".join((PROBLEMS, MEASURES)),
                            "missing": "、".join(missing),
                            "found": "、".join(names) or "—",
                        },
                    )
                ]
            )
        return {
            name: workbook.get_sheet_by_name(names[name]).to_python(skip_empty_area=False)
            for name in (PROBLEMS, MEASURES)
        }
    except (
        python_calamine.CalamineError,
        python_calamine.PasswordError,
        python_calamine.XmlError,
        python_calamine.ZipError,
        python_calamine.WorksheetNotFound,
        IndexError,
        ValueError,
    ) as error:
        raise LedgerImportError([refused]) from error


def _category_lookup(campaign: Campaign) -> dict[str, ProblemCategory]:
    lookup: dict[str, ProblemCategory] = {}
    for category in ProblemCategory.objects.filter(campaign=campaign).order_by("position"):
        for name in (category.key, *category.name.values()):
            lookup[normalise(name)] = category
    return lookup


def check_ledger_file(*, unit: Unit, campaign: Campaign, content: bytes, filename: str) -> _Check:
    """Read and check the whole workbook without writing anything; ``errors`` lists every problem found."""
    sheets = _read_sheets(content, filename)
    check = _Check(
        unit=unit,
        categories=_category_lookup(campaign),
        problems={
            p.pk: p
            for p in Problem.objects.filter(unit=unit, campaign=campaign).select_related(
                "category", "unit", "campaign"
            )
        },
        measures={m.pk: m for m in Measure.objects.filter(unit=unit, campaign=campaign)},
    )
    if not phase_allows(campaign, "ledger.edit"):
        check.errors.append(RowError(0, "", _("The campaign's current phase does not allow this.")))
    problem_index = _header(
        sheets[PROBLEMS],
        PROBLEMS,
        PROBLEM_COLUMNS,
        ("problem_ref", "category", "manifestation", "visibility"),
        check,
    )
    measure_index = _header(
        sheets[MEASURES],
        MEASURES,
        MEASURE_COLUMNS,
        ("problem_ref", "action", "indicator", "target", "owner", "deadline"),
        check,
    )
    if problem_index is not None:
        _check_problems(sheets[PROBLEMS], problem_index, check)
    if measure_index is not None:
        _check_measures(sheets[MEASURES], measure_index, check)
    if not check.errors and not (check.new_problems or check.new_measures or check.unchanged):
        check.errors.append(RowError(0, "", _("The workbook has no problem or measure rows.")))
    return check

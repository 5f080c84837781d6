"""Property-based fuzzing of the ledger importer (the three-list Excel workbook) and its upload page.

Each generated workbook is a small, good one (new problems N1.., new measures on them and on a problem
already in the ledger, rows that repeat what the ledger says) with one to three defects: broken files
(random bytes, CSV, a truncated or foreign zip, over the size limit), wrong or missing sheets, missing
header columns, and bad cells (refs, categories, choices, numbers, dates, progress, status, lengths,
duplicates, unknown refs, a changed existing row, another unit's code); plus harmless noise (extra columns,
blank rows, formula-looking text, headers in Chinese or English). Every defective workbook is refused
with errors naming sheet, row and column (or the file) and writes nothing; a workbook without defects
imports whole, so the generator is known to make files the importer otherwise accepts.
"""

from __future__ import annotations

import datetime
import io
import zipfile
from dataclasses import dataclass, field
from typing import Any

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st
from tests.fuzz.conftest import FUZZ

from dalun.ledger import exchange
from dalun.ledger.exchange import LedgerImportError
from dalun.ledger.exchange.columns import (
    MAX_IMPORT_BYTES,
    MEASURE_COLUMNS,
    MEASURES,
    PROBLEM_COLUMNS,
    PROBLEMS,
    RESPONSIBILITY,
)
from dalun.ledger.models import Measure, Problem

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 6, 30)


@dataclass
class Existing:
    unit: Any
    campaign: Any
    clerk: Any
    problem: Problem
    measure: Measure


@pytest.fixture
def existing(campaign, unit, persona, ledger, make_problem, make_measure) -> Existing:
    measure = make_measure(make_problem(ledger), action="推行一窗受理")
    return Existing(unit("140105"), campaign, persona("xiaodian_clerk"), measure.problem, measure)


@dataclass
class Book:
    """A workbook's sheets as header + rows (column keys -> values), before it is written."""

    problems: list[dict[str, Any]]
    measures: list[dict[str, Any]]
    problem_columns: list[str] = field(default_factory=lambda: [c.key for c in PROBLEM_COLUMNS])
    measure_columns: list[str] = field(default_factory=lambda: [c.key for c in MEASURE_COLUMNS])
    header_style: str = "header"  # header, zh, en or key
    sheet_names: tuple[str, str] = (PROBLEMS, MEASURES)
    extra_sheet: bool = False
    defects: list[str] = field(default_factory=list)
    file_defect: str | None = None


TEXT_NOISE = st.sampled_from(
    ["", "=1+1", "@SUM(A1)", "+86 351", "<b>粗体</b>", "全角（）", "第一行\n第二行", "  左右空格  "]
)
CATEGORIES = st.sampled_from(["reform_awareness", "innovation_spirit"])


@st.composite
def good_book(draw: st.DrawFn, existing: Existing) -> Book:
    problems = []
    for number in range(1, draw(st.integers(1, 3)) + 1):
        problems.append(
            {
                "unit_code": draw(st.sampled_from(["", existing.unit.code])),
                "problem_ref": f"N{number}",
                "category": draw(CATEGORIES),
                "manifestation": "群众反映办事难" + draw(TEXT_NOISE),
                "source": draw(st.sampled_from(["", "自查", "self", "Public"])),
                "visibility": draw(st.sampled_from(["公开", "内部", "public", "Internal"])),
            }
        )
    measures = []
    for _ in range(draw(st.integers(0, 3))):
        measures.append(
            {
                "problem_ref": draw(
                    st.sampled_from([p["problem_ref"] for p in problems] + [f"P{existing.problem.pk}"])
                ),
                "action": "限时办结" + draw(TEXT_NOISE),
                "indicator": "办理时限",
                "baseline": draw(st.sampled_from(["", 15, 15.5, "1,200"])),
                "target": draw(st.sampled_from([5, "5", 0.25, "100%".rstrip("%")])),
                "target_unit": draw(st.sampled_from(["", "天", "%"])),
                "owner": "刘芳",
                "deadline": draw(
                    st.sampled_from(
                        [TODAY, datetime.datetime(2026, 7, 1), "2026-07-31", "2026年8月1日", "2026/9/1"]
                    )
                ),
                "progress": draw(st.sampled_from(["", 0, 40, "60%", 100])),
                "status": draw(st.sampled_from(["", "进行中", "open"])),
            }
        )
    if draw(st.booleans()):  # a row that repeats the ledger is unchanged, not an error
        measures.append({"problem_ref": f"P{existing.problem.pk}", "measure_ref": f"M{existing.measure.pk}"})
    book = Book(problems, measures, header_style=draw(st.sampled_from(["header", "zh", "en", "key"])))
    if draw(st.booleans()):
        book.problem_columns = [*draw(st.permutations(book.problem_columns)), "remarks"]
    book.extra_sheet = draw(st.booleans())
    return book


CELL_DEFECTS = {
    "problems": {
        "problem_ref": ["X1", "N", "P", "P0", "P999999999", "N1.5", 1.5, "PN1", "N１x"],
        "category": ["no such category", 42, TODAY],
        "manifestation": ["", "   ", "长" * 4001],
        "source": ["hearsay", 3],
        "visibility": ["", "secret", True],
        "unit_code": ["140106", "999999"],
        "status": ["maybe"],
    },
    "measures": {
        "problem_ref": ["", "N99", "P999999999", "M1", "Q7"],
        "measure_ref": ["M999999999", "P1", "X"],
        "action": ["", "长" * 4001],
        "indicator": ["", "指" * 201],
        "baseline": ["abc", "NaN", "inf", "-inf", "1e12", 1e300, "0.001", "1,2,3"],
        "target": ["", "abc", "NaN", float("inf"), "1e999", 10**13, "0.125"],
        "target_unit": ["单" * 21],
        "owner": ["", "人" * 101],
        "deadline": [
            "",
            "2026-02-30",
            "yesterday",
            99999999,
            "2026-13-01",
            "0000-01-01",
            True,
            "2026-07-01 12:30",
        ],
        "progress": ["101", "-1", "50.5", "half", "1e3", 1000],
        "status": ["已办结", "待验收", "closed", "unknown"],
    },
}
BOOK_DEFECTS = [
    "missing_sheet",
    "renamed_sheet",
    "missing_column",
    "duplicate_problem_ref",
    "changed_existing",
]
FILE_DEFECTS = ["random_bytes", "csv", "zip_signature_then_garbage", "truncated", "foreign_zip", "too_large"]


@st.composite
def bad_book(draw: st.DrawFn, existing: Existing) -> Book:
    book = draw(good_book(existing))
    if draw(st.integers(0, 4)) == 0:
        book.file_defect = draw(st.sampled_from(FILE_DEFECTS))
        return book
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(st.sampled_from(["cell", "cell", "cell", "book"]))
        if kind == "book":
            defect = draw(st.sampled_from(BOOK_DEFECTS))
            _book_defect(book, defect, draw, existing)
        else:
            sheet = draw(st.sampled_from(["problems", "measures"]))
            key = draw(st.sampled_from(sorted(CELL_DEFECTS[sheet])))
            value = draw(st.sampled_from(CELL_DEFECTS[sheet][key]))
            rows = book.problems if sheet == "problems" else book.measures
            new_rows = [row for row in rows if row.get("measure_ref") is None]
            if not new_rows:
                book.measures.append(
                    {
                        "problem_ref": "N1",
                        "action": "整改",
                        "indicator": "x",
                        "target": 1,
                        "owner": "刘芳",
                        "deadline": TODAY,
                    }
                )
                new_rows = [book.measures[-1]]
            draw(st.sampled_from(new_rows))[key] = value
            book.defects.append(f"{sheet}.{key}={value!r:.40}")
    return book


def _book_defect(book: Book, defect: str, draw: st.DrawFn, existing: Existing) -> None:
    book.defects.append(defect)
    if defect == "missing_sheet":
        book.sheet_names = draw(
            st.sampled_from([(PROBLEMS, "Sheet2"), ("Sheet1", MEASURES), ("Sheet1", "Sheet2")])
        )
    elif defect == "renamed_sheet":
        book.sheet_names = (PROBLEMS + "（修订）", MEASURES)
    elif defect == "missing_column":
        which = draw(st.sampled_from(["problem_ref", "category", "manifestation", "visibility"]))
        book.problem_columns = [key for key in book.problem_columns if key != which]
    elif defect == "duplicate_problem_ref":
        book.problems.append(dict(book.problems[0]))
    elif defect == "changed_existing":
        book.problems.append(
            {
                "problem_ref": f"P{existing.problem.pk}",
                "category": "reform_awareness",
                "manifestation": "改过的内容",
            }
        )


def _header(key: str, columns: tuple, style: str) -> str:
    column = next((c for c in columns if c.key == key), None)
    if column is None:
        return key
    return {"header": column.header, "zh": column.zh, "en": column.en, "key": column.key}[style]


def write(book: Book) -> bytes:
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for name, keys, columns, rows in (
        (book.sheet_names[0], book.problem_columns, PROBLEM_COLUMNS, book.problems),
        (book.sheet_names[1], book.measure_columns, MEASURE_COLUMNS, book.measures),
    ):
        sheet = workbook.create_sheet(name)
        sheet.append([_header(key, columns, book.header_style) for key in keys])
        for row in rows:
            sheet.append([row.get(key) for key in keys])
        sheet.append([])  # blank rows are skipped
        for cells in sheet.iter_rows(min_row=2):
            for cell in cells:
                if isinstance(cell.value, str) and cell.value.startswith("="):
                    cell.data_type = "s"  # text that looks like a formula stays text
    if book.extra_sheet:
        workbook.create_sheet(RESPONSIBILITY).append(["anything"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def render(book: Book, draw: st.DrawFn) -> tuple[bytes, str]:
    content, filename = write(book), draw(st.sampled_from(["台账.xlsx", "ledger.XLSX", "ledger"]))
    if book.file_defect == "random_bytes":
        content = draw(st.binary(max_size=3000))
    elif book.file_defect == "csv":
        content, filename = "问题编号,问题类别\nN1,reform_awareness\n".encode(), "ledger.csv"
    elif book.file_defect == "zip_signature_then_garbage":
        content = b"PK\x03\x04" + draw(st.binary(max_size=3000))
    elif book.file_defect == "truncated":
        content = content[: draw(st.integers(0, len(content) - 1))]
    elif book.file_defect == "foreign_zip":
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            archive.writestr(
                draw(st.sampled_from(["doc.txt", "xl/workbook.xml", "word/document.xml"])), "<x/>"
            )
        content = buffer.getvalue()
    elif book.file_defect == "too_large":
        content = content + b"\x00" * (MAX_IMPORT_BYTES + 1 - len(content))
    return content, filename


def ledger_rows() -> tuple[int, ...]:
    from dalun.audit.models import AuditEntry
    from dalun.ledger.models import Event, Ledger

    return tuple(model.objects.count() for model in (Ledger, Problem, Measure, Event, AuditEntry))


@FUZZ
@given(data=st.data())
def test_malformed_ledger_workbooks_are_refused_naming_cells_and_write_nothing(data, existing, table_counts):
    book = data.draw(bad_book(existing), label="book")
    content, filename = render(book, data.draw)
    before = table_counts()
    with transaction.atomic():
        with pytest.raises(LedgerImportError) as refused:
            exchange.ledger_import(
                actor=existing.clerk,
                unit=existing.unit,
                campaign=existing.campaign,
                content=content,
                filename=filename,
            )
        transaction.set_rollback(True)
    assert table_counts() == before
    assert refused.value.errors
    for error in refused.value.errors:
        assert error.row >= 0 and isinstance(error.column, str) and error.message.strip(), error
        if error.row > 0:  # a cell or a header: its sheet is named
            assert error.column.split("!")[0] in (PROBLEMS, MEASURES), error


@FUZZ
@given(data=st.data())
def test_ledger_workbooks_without_defects_import_whole(data, existing):
    book = data.draw(good_book(existing), label="book")
    content, filename = render(book, data.draw)
    with transaction.atomic():
        before = Problem.objects.count(), Measure.objects.count()
        result = exchange.ledger_import(
            actor=existing.clerk,
            unit=existing.unit,
            campaign=existing.campaign,
            content=content,
            filename=filename,
        )
        new_measures = [row for row in book.measures if "measure_ref" not in row]
        assert (result.problems_created, result.measures_created) == (len(book.problems), len(new_measures))
        assert (Problem.objects.count(), Measure.objects.count()) == (
            before[0] + len(book.problems),
            before[1] + len(new_measures),
        )
        texts = set(Problem.objects.filter(ledger=result.ledger).values_list("manifestation", flat=True))
        assert {row["manifestation"].strip() for row in book.problems} <= texts  # formulas stay text
        transaction.set_rollback(True)


@pytest.fixture
def clerk_client(client_as):
    return client_as("xiaodian_clerk")


@FUZZ
@given(data=st.data())
def test_the_import_page_answers_a_malformed_workbook_with_its_errors(
    data, existing, clerk_client, table_counts
):
    book = data.draw(bad_book(existing), label="book")
    content, filename = render(book, data.draw)
    before = table_counts()
    url = reverse("ledger-import", args=[existing.unit.pk, existing.campaign.key])
    with transaction.atomic():
        response = clerk_client.post(url, {"file": SimpleUploadedFile(filename, content)})
        transaction.set_rollback(True)
    assert response.status_code == 200, response.status_code  # the form again, with the errors
    form = response.context["form"]  # an empty upload is refused by the form, a bad workbook by the import
    assert response.context["errors"] or form.errors, "refused without saying why"
    assert table_counts() == before

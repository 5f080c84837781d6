"""Property-based fuzzing of the unit importer (CSV and Excel) through both of its entry points.

Entry points: the command line (``dalun import-units``: read_table -> parse_units -> units_import) and
the upload page's job (import_job_create -> run_import_job). Each generated file is a small, good unit
file with one to three defects (bad encodings, missing columns, wrong kinds, huge fields, NUL bytes,
duplicated codes, cyclic or unknown parents, cells past the csv module's limit, a broken workbook ...)
and harmless noise (extra columns, formula-looking text, quotes and line breaks in cells, typed Excel
cells). Every such file must be refused with errors naming a row and column (or row 0, the file) and
must write nothing; a file without defects must import whole, so the generator is known to make files
the importer otherwise accepts.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import Workbook
from tests.fuzz.conftest import FUZZ

from dalun.org.importing import UnitImportError, parse_units, read_table
from dalun.org.imports import import_job_create, run_import_job
from dalun.org.models import ImportJob, Unit
from dalun.org.services import units_import

pytestmark = pytest.mark.django_db

PARENT = "140105"  # Xiaodian District: in the office's subtree
HEADER = ["code", "name", "parent_code", "kind", "name_en"]


@dataclass
class UnitFile:
    """A unit table before it is written as CSV or Excel, and what was done to it."""

    header: list[str]
    rows: list[list[Any]]
    defects: list[str] = field(default_factory=list)
    byte_defect: str | None = None  # applied to the written bytes
    format: str = "csv"


NAMES = st.sampled_from(["坞城街道", "北格镇", "小店社区", "黄陵村", "营盘街道"]).map(lambda s: s + "居委会")
NOISE_TEXT = st.sampled_from(
    [
        '=HYPERLINK("http://evil.example","click")',
        "+SUM(A1:A9)",
        "@cmd",
        "-2+3",
        'say "hi", twice',
        "line one\nline two",
        "  padded  ",
        "<script>alert(1)</script>",
        "Robert'); DROP TABLE org_unit;--",
        "全角ＡＢＣ１２３",
        "",
    ]
)


@st.composite
def good_units(draw: st.DrawFn) -> UnitFile:
    count = draw(st.integers(1, 5))
    rows: list[list[Any]] = []
    for index in range(count):
        parent = PARENT if index == 0 or draw(st.booleans()) else rows[draw(st.integers(0, index - 1))][0]
        rows.append([f"H7-{index}", draw(NAMES), parent, "subdistrict", draw(NOISE_TEXT)])
    header = list(HEADER)
    if draw(st.booleans()):  # extra columns are ignored
        header.append("remarks")
        for row in rows:
            row.append(draw(NOISE_TEXT))
    if draw(st.booleans()):  # columns in any order
        order = draw(st.permutations(range(len(header))))
        header = [header[i] for i in order]
        rows = [[row[i] for i in order] for row in rows]
    return UnitFile(header, rows)


def _set(file: UnitFile, row: int, column: str, value: Any) -> None:
    file.rows[row][file.header.index(column)] = value


def _get(file: UnitFile, row: int, column: str) -> Any:
    return file.rows[row][file.header.index(column)]


TABLE_DEFECTS = [
    "missing_column",
    "duplicate_code",
    "existing_code",
    "cycle",
    "own_parent",
    "unknown_parent",
    "no_parent",
    "bad_kind",
    "empty_name",
    "huge_name",
    "empty_code",
    "code_with_space",
    "long_code",
    "header_only",
    "long_name_en",
    "huge_cell",
]
CSV_BYTE_DEFECTS = ["invalid_utf8", "gb18030_as_utf8", "utf16", "nul_byte", "empty_file", "random_bytes"]
XLSX_BYTE_DEFECTS = [
    "random_bytes",
    "zip_signature_then_garbage",
    "truncated_workbook",
    "zip_without_workbook",
]


def _apply(file: UnitFile, defect: str, draw: st.DrawFn) -> None:
    row = draw(st.integers(0, len(file.rows) - 1)) if file.rows else 0
    file.defects.append(defect)
    if defect == "missing_column":
        position = file.header.index(draw(st.sampled_from(["code", "name", "parent_code", "kind"])))
        file.header[position] = draw(st.sampled_from(["", "kode", "name2", "父级"]))
    elif defect == "duplicate_code":
        file.rows.append(list(file.rows[row]))
    elif defect == "existing_code":
        _set(file, row, "code", draw(st.sampled_from(["140105", "1401", "14"])))
    elif defect == "cycle":
        loop = list(file.rows[row])
        loop[file.header.index("code")] = "H7-LOOP"
        loop[file.header.index("parent_code")] = _get(file, row, "code")
        file.rows.append(loop)
        _set(file, row, "parent_code", "H7-LOOP")
    elif defect == "own_parent":
        _set(file, row, "parent_code", _get(file, row, "code"))
    elif defect == "unknown_parent":
        _set(file, row, "parent_code", "H7-NOWHERE")
    elif defect == "no_parent":  # a new root: only a system administrator may add one
        _set(file, row, "parent_code", "")
    elif defect == "bad_kind":
        _set(file, row, "kind", draw(st.sampled_from(["galaxy", "", "1", "区 county", "subdistrict!"])))
    elif defect == "empty_name":
        _set(file, row, "name", draw(st.sampled_from(["", "   "])))
    elif defect == "huge_name":
        _set(file, row, "name", "长" * draw(st.integers(201, 40_000)))
    elif defect == "empty_code":
        _set(file, row, "code", "")
    elif defect == "code_with_space":
        _set(file, row, "code", draw(st.sampled_from(["H7 1", "H7\t2", "H7\u30003"])))
    elif defect == "long_code":
        _set(file, row, "code", "H" * draw(st.integers(33, 5000)))
    elif defect == "header_only":
        file.rows.clear()
    elif defect == "long_name_en":  # the model stores 300 characters; PostgreSQL refuses more
        _set(file, row, "name_en", "x" * draw(st.integers(301, 2000)))
    elif defect == "huge_cell":  # past the csv module's field limit of 131,072 characters
        column = draw(st.sampled_from(["code", "name", "parent_code", "kind", "name_en"]))
        _set(file, row, column, "x" * draw(st.integers(131_073, 200_000)))


@st.composite
def bad_units(draw: st.DrawFn) -> UnitFile:
    file = draw(good_units())
    file.format = draw(st.sampled_from(["csv", "xlsx"]))
    byte_defects = CSV_BYTE_DEFECTS if file.format == "csv" else XLSX_BYTE_DEFECTS
    if draw(st.integers(0, 3)) == 0:
        file.byte_defect = draw(st.sampled_from(byte_defects))
        return file
    defects = draw(st.lists(st.sampled_from(TABLE_DEFECTS), min_size=1, max_size=3, unique=True))
    for defect in sorted(defects, key=lambda name: name == "missing_column"):  # renames a column: last
        if file.rows or defect == "missing_column":
            _apply(file, defect, draw)
    if not file.defects:
        _apply(file, "missing_column", draw)
    return file


def _csv(file: UnitFile) -> bytes:
    import csv

    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(file.header)
    writer.writerows(file.rows)
    return buffer.getvalue().encode("utf-8")


def _xlsx(file: UnitFile, typed: bool) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(file.header)
    for row in file.rows:
        sheet.append(row)
    for cells in sheet.iter_rows(min_row=2):
        for cell in cells:
            if isinstance(cell.value, str) and cell.value.startswith("="):
                cell.data_type = "s"  # formula-looking text stays text, as a clerk typing it would get
            elif typed and isinstance(cell.value, str) and cell.value.isdigit():
                cell.value = int(cell.value)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def render(file: UnitFile, draw: st.DrawFn) -> tuple[bytes, str, str]:
    """The file's bytes, its name and the encoding the uploader chose."""
    if file.format == "xlsx":
        content = _xlsx(file, typed=draw(st.booleans()))
        if file.byte_defect == "random_bytes":
            content = draw(st.binary(max_size=2000))
        elif file.byte_defect == "zip_signature_then_garbage":
            content = b"PK\x03\x04" + draw(st.binary(max_size=2000))
        elif file.byte_defect == "truncated_workbook":
            content = content[: draw(st.integers(0, len(content) - 1))]
        elif file.byte_defect == "zip_without_workbook":
            buffer = io.BytesIO()
            with zipfile.ZipFile(buffer, "w") as archive:
                archive.writestr(
                    draw(st.sampled_from(["a.txt", "xl/workbook.xml", "[Content_Types].xml"])), b"<x"
                )
            content = buffer.getvalue()
        return content, draw(st.sampled_from(["units.xlsx", "UNITS.XLSX", "units"])), "utf-8"
    content = _csv(file)
    if draw(st.booleans()):
        content = b"\xef\xbb\xbf" + content  # Excel's UTF-8 BOM
    if file.byte_defect == "invalid_utf8":
        position = draw(st.integers(0, len(content)))
        content = (
            content[:position]
            + draw(st.sampled_from([b"\xff", b"\xc3", b"\xed\xa0\x80"]))
            + content[position:]
        )
    elif file.byte_defect == "gb18030_as_utf8":
        content = content.decode("utf-8").encode("gb18030")
    elif file.byte_defect == "utf16":
        content = content.decode("utf-8").encode("utf-16")
    elif file.byte_defect == "nul_byte":
        position = draw(st.integers(0, len(content)))
        content = content[:position] + b"\x00" + content[position:]
    elif file.byte_defect == "empty_file":
        content = b""
    elif file.byte_defect == "random_bytes":
        content = draw(st.binary(max_size=2000).filter(lambda data: not data.startswith(b"PK\x03\x04")))
    return content, draw(st.sampled_from(["units.csv", "units.txt", "units"])), "utf-8"


def import_by_command(content: bytes, filename: str, encoding: str, actor: Any) -> int:
    """What ``dalun import-units`` does (its progress bars aside)."""
    table = list(read_table(content, filename=filename, encoding=encoding))
    return units_import(actor=actor, parsed=parse_units(iter(table), total_hint=len(table)))


def import_by_upload(content: bytes, filename: str, encoding: str, actor: Any) -> ImportJob:
    """What the upload page does: save the file as a job, then the task runs it."""
    upload = SimpleUploadedFile(filename, content)
    job = import_job_create(actor=actor, upload=upload, encoding=encoding, language="en")
    return run_import_job(job_id=job.pk, cache=cache)


def assert_errors_name_where(errors: list[dict[str, Any]]) -> None:
    assert errors, "refused without saying why"
    for error in errors:
        assert isinstance(error["row"], int) and error["row"] >= 0, error
        assert isinstance(error["column"], str), error
        assert error["message"].strip(), error


@FUZZ
@given(data=st.data(), via=st.sampled_from(["command", "upload"]))
def test_malformed_unit_files_are_refused_naming_rows_and_write_nothing(
    data, via, persona, table_counts
) -> None:
    file = data.draw(bad_units(), label="file")
    content, filename, encoding = render(file, data.draw)
    with transaction.atomic():  # each example starts from the same tree
        check_refused(file, content, filename, encoding, via, persona, table_counts)
        transaction.set_rollback(True)


def check_refused(file, content, filename, encoding, via, persona, table_counts) -> None:
    before = table_counts()
    office = persona("office")
    if via == "command":
        with pytest.raises(UnitImportError) as refused:
            import_by_command(content, filename, encoding, office)
        errors = [error.as_dict() for error in refused.value.errors]
    else:
        job = import_by_upload(content, filename, encoding, office)
        assert job.status == ImportJob.Status.FAILED, (file.defects, file.byte_defect)
        job.refresh_from_db()
        errors = job.errors
    assert_errors_name_where(errors)
    assert table_counts() == before
    assert not Unit.objects.filter(code__startswith="H7-").exists()


@FUZZ
@given(data=st.data(), format=st.sampled_from(["csv", "xlsx"]), via=st.sampled_from(["command", "upload"]))
def test_unit_files_without_defects_import_whole(data, format, via, persona) -> None:
    file = data.draw(good_units(), label="file")
    file.format = format
    content, filename, encoding = render(file, data.draw)
    with transaction.atomic():  # each example starts from the same tree
        check_imported(file, content, filename, encoding, via, persona)
        transaction.set_rollback(True)


def check_imported(file, content, filename, encoding, via, persona) -> None:
    before = Unit.objects.count()
    if via == "command":
        count = import_by_command(content, filename, encoding, persona("office"))
    else:
        job = import_by_upload(content, filename, encoding, persona("office"))
        assert job.status == ImportJob.Status.DONE, job.errors
        count = job.rows_imported
    assert count == len(file.rows) == Unit.objects.count() - before
    name_en = file.header.index("name_en")
    for row in file.rows:  # formula-looking and markup text is kept as text, never evaluated
        unit = Unit.objects.get(code=row[file.header.index("code")])
        assert unit.name_en == str(row[name_en]).strip()

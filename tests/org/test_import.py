"""Unit import: a good file adds every unit; a bad one is refused whole, every error by row and column."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation
from openpyxl import Workbook

from dalun.audit.models import AuditEntry
from dalun.org.importing import UnitImportError, parse_units, read_table
from dalun.org.models import Unit
from dalun.org.policy import SYSTEM
from dalun.org.services import units_import

pytestmark = pytest.mark.django_db

HEADER = "code,name,parent_code,kind,name_en\n"


def run_import(content: bytes, *, actor=SYSTEM, filename: str = "units.csv", encoding: str = "utf-8") -> int:
    parsed = parse_units(iter(list(read_table(content, filename=filename, encoding=encoding))))
    return units_import(actor=actor, parsed=parsed)


def errors_of(content: bytes, **kwargs) -> list[tuple[int, str, str]]:
    with translation.override("en"), pytest.raises(UnitImportError) as refused:
        run_import(content, **kwargs)
    return [(error.row, error.column, error.message) for error in refused.value.errors]


def csv_bytes(*rows: str) -> bytes:
    return (HEADER + "".join(row + "\n" for row in rows)).encode("utf-8")


def test_good_file_adds_units_under_existing_and_new_parents_in_any_order(unit):
    content = csv_bytes(
        "X-BRANCH-1,坞城街道第一党支部,X-COMMITTEE,party_committee,First Branch",  # child before its parent
        "X-COMMITTEE,坞城街道党工委,140105001,party_committee,Wucheng Working Committee",
        "X-DEPT,小店区发展和改革局,140105,department,Xiaodian Development and Reform Bureau",
    )
    before = AuditEntry.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    assert run_import(content) == 3
    committee = Unit.objects.get(code="X-COMMITTEE")
    branch = Unit.objects.get(code="X-BRANCH-1")
    assert branch.parent == committee and committee.parent == unit("140105001")
    assert branch.path.startswith(committee.path) and branch.depth == committee.depth + 1
    assert committee.child_count == 1
    assert unit("140105001").child_count == Unit.objects.filter(parent=unit("140105001")).count()
    assert AuditEntry.objects.filter(action="unit.import", object_id=str(unit("140105").pk)).exists()
    # One chain head for the whole import, so two imports at once cannot deadlock on chain heads.
    written = AuditEntry.objects.filter(pk__gt=before)
    assert written.count() >= 2 and written.values("chain").distinct().count() == 1


def test_bad_file_reports_every_error_with_row_and_column_and_writes_nothing(unit):
    before = Unit.objects.count()
    content = csv_bytes(
        "Y1,好单位,140105,department,",  # row 2: fine
        "Y2,,140105,department,",  # row 3: missing name
        "Y1,重复,140105,department,",  # row 4: duplicate code in file
        "140106,迎泽区副本,1401,district,",  # row 5: code already in the tree
        "Y3,无父单位,NOPE,department,",  # row 6: unknown parent
        "Y4,种类错,140105,planet,",  # row 7: bad kind
        "Y5,循环甲,Y6,department,",  # row 8: cycle
        "Y6,循环乙,Y5,department,",  # row 9: cycle
    )
    errors = errors_of(content)
    where = {(row, column) for row, column, _message in errors}
    assert where == {
        (3, "name"),
        (4, "code"),
        (5, "code"),
        (6, "parent_code"),
        (7, "kind"),
        (8, "parent_code"),
        (9, "parent_code"),
    }
    assert any("Y1" in message and "2" in message for _r, _c, message in errors)
    assert any("NOPE" in message for _r, _c, message in errors)
    assert Unit.objects.count() == before


def test_wrong_encoding_is_refused_with_the_line_and_a_hint():
    content = csv_bytes("Z1,小店区测试局,140105,department,").decode("utf-8").encode("gb18030")
    errors = errors_of(content)
    assert errors[0][0] == 2
    assert "GB18030" in errors[0][2]


def test_gb18030_file_imports_when_that_encoding_is_chosen():
    content = csv_bytes("Z2,小店区测试局,140105,department,").decode("utf-8").encode("gb18030")
    assert run_import(content, encoding="gb18030") == 1
    assert Unit.objects.get(code="Z2").name == "小店区测试局"


def test_missing_columns_and_empty_files_are_refused():
    assert errors_of(b"code,name\nA,B\n")[0][:2] == (1, "parent_code, kind")
    assert errors_of(b"")[0][0] == 0
    assert errors_of(HEADER.encode())[0][0] == 0


def test_kinds_are_accepted_by_chinese_or_english_label(settings):
    content = csv_bytes("K1,甲,140105,Department,", "K2,乙,140105,State-owned enterprise,")
    assert run_import(content) == 2
    assert Unit.objects.get(code="K2").kind == "enterprise"


def xlsx_bytes(rows: list[list[object]]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["code", "name", "parent_code", "kind"])
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_excel_file_with_numeric_codes_imports(unit):
    content = xlsx_bytes(
        [
            [140105990, "测试街道", 140105, "subdistrict"],
            [140105990001, "测试社区", 140105990, "residents_committee"],
        ]
    )
    assert run_import(content, filename="units.xlsx") == 2
    assert Unit.objects.get(code="140105990001").parent.code == "140105990"


def test_bad_excel_rows_are_reported_by_row_and_column():
    content = xlsx_bytes([["E1", "好", "140105", "department"], ["E2", None, "140105", "department"]])
    assert errors_of(content, filename="units.xlsx") == [(3, "name", "The name is missing.")]


def test_a_file_that_is_not_a_workbook_is_refused():
    assert errors_of(b"PK\x03\x04garbage", filename="units.xlsx")[0][0] == 0


def test_import_under_units_outside_the_actors_subtree_is_refused(persona):
    content = csv_bytes("P1,小店区新单位,140105,department,", "P2,迎泽区新单位,140106,department,")
    errors = errors_of(content, actor=persona("xiaodian_head"))
    assert [(row, column) for row, column, _m in errors] == [(3, "parent_code")]
    assert not Unit.objects.filter(code__in=["P1", "P2"]).exists()


def test_root_units_need_a_system_administrator(persona):
    errors = errors_of(csv_bytes("R1,新省,,province,"), actor=persona("office"))
    assert errors[0][:2] == (2, "parent_code")


def test_thirty_thousand_rows_import_whole(unit):
    lines = [HEADER]
    for township in range(100):
        lines.append(f"T{township},测试镇{township},140105,town,\n")
        lines.extend(
            f"T{township}-{v},测试村{township}-{v},T{township},villagers_committee,\n" for v in range(299)
        )
    content = "".join(lines).encode("utf-8")
    assert run_import(content) == 30_000
    assert Unit.objects.subtree_of(unit("140105")).filter(code__startswith="T").count() == 30_000


def test_command_line_import_prints_progress_and_refuses_bad_files(tmp_path, capsys):
    good = tmp_path / "good.csv"
    good.write_bytes(csv_bytes("C1,命令行单位,140105,department,"))
    bad = tmp_path / "bad.csv"
    bad.write_bytes(csv_bytes("C2,,140105,department,"))
    with translation.override("en"):
        call_command("import_units", str(good))
        captured = capsys.readouterr()
        assert "1 units imported" in captured.out and "100.0%" in captured.err
        with pytest.raises(CommandError, match="nothing was imported"):
            call_command("import_units", str(bad))
    assert "row 2, column name" in capsys.readouterr().err


def test_command_line_language_follows_the_shell_locale():
    from dalun.cli import cli_language

    assert cli_language({"LANG": "zh_CN.UTF-8"}) == "zh-hans"
    assert cli_language({"LANG": "C.UTF-8"}) == "en"
    assert cli_language({"LANG": "zh_CN.UTF-8", "DALUN_LANGUAGE": "en"}) == "en"

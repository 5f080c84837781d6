"""Ledger export to Excel and CSV (the three lists) and import from the same workbook, all or nothing."""

import csv
import datetime
import io
import zipfile
from decimal import Decimal
from urllib.parse import quote

import openpyxl
import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from dalun.audit.models import AuditEntry
from dalun.ledger import exchange, exchange_views, services
from dalun.ledger.choices import EventKind, LedgerStatus
from dalun.ledger.exchange import LedgerImportError, checking
from dalun.ledger.exchange.columns import MEASURE_COLUMNS, MEASURES, PROBLEM_COLUMNS, PROBLEMS, RESPONSIBILITY
from dalun.ledger.models import Event, Measure, Problem

pytestmark = pytest.mark.django_db

PROBLEM_HEADER = [column.header for column in PROBLEM_COLUMNS]
MEASURE_HEADER = [column.header for column in MEASURE_COLUMNS]


@pytest.fixture
def filled(ledger, make_problem, make_measure):
    """Xiaodian's ledger: a public problem with two measures (one overdue), an internal one with one."""
    public = make_problem(ledger, text="审批事项办理时限长，群众反映多次跑腿。")
    internal = make_problem(
        ledger, category_key="innovation_spirit", text="内部：科研经费使用不规范。", visibility="internal"
    )
    on_time = make_measure(public, deadline=timezone.localdate() + datetime.timedelta(days=30))
    late = make_measure(
        public,
        action="建立超时督办机制",
        owner="张华",
        baseline=None,
        target=Decimal("100"),
        target_unit="%",
        deadline=timezone.localdate() - datetime.timedelta(days=3),
    )
    hidden = make_measure(
        internal,
        action="开展经费专项审计",
        owner="王强",
        deadline=timezone.localdate() + datetime.timedelta(days=60),
    )
    return {"public": public, "internal": internal, "on_time": on_time, "late": late, "hidden": hidden}


def sheet_rows(content: bytes, name: str) -> list[list]:
    workbook = openpyxl.load_workbook(io.BytesIO(content))
    return [list(row) for row in workbook[name].iter_rows(values_only=True)]


def workbook_bytes(
    problems: list[list],
    measures: list[list],
    *,
    problem_header=None,
    measure_header=None,
    sheets=(PROBLEMS, MEASURES),
) -> bytes:
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for name, header, rows in (
        (sheets[0], problem_header or PROBLEM_HEADER, problems),
        (sheets[1], measure_header or MEASURE_HEADER, measures),
    ):
        sheet = workbook.create_sheet(name)
        sheet.append(header)
        for row in rows:
            sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def counts() -> tuple[int, int, int, int]:
    return Problem.objects.count(), Measure.objects.count(), AuditEntry.objects.count(), Event.objects.count()


# ---- export ----


def test_export_has_the_three_lists_with_every_row_the_clerk_sees(filled, persona, unit, campaign):
    content = exchange.ledger_workbook(
        actor=persona("xiaodian_clerk"), root=unit("140105"), campaign=campaign
    )
    assert openpyxl.load_workbook(io.BytesIO(content)).sheetnames == [PROBLEMS, MEASURES, RESPONSIBILITY]

    problems = sheet_rows(content, PROBLEMS)
    assert problems[0] == PROBLEM_HEADER and problems[0][2] == "问题编号 Problem ref"
    public, internal = filled["public"], filled["internal"]
    assert problems[1:] == [
        ["140105", "小店区", f"P{public.pk}", "改革意识不强", public.manifestation, "自查", "公开", "整改中"],
        [
            "140105",
            "小店区",
            f"P{internal.pk}",
            "创新精神不足",
            internal.manifestation,
            "自查",
            "内部",
            "整改中",
        ],
    ]

    measures = sheet_rows(content, MEASURES)
    assert measures[0] == MEASURE_HEADER
    by_ref = {row[1]: row for row in measures[1:]}
    assert set(by_ref) == {f"M{filled[key].pk}" for key in ("on_time", "late", "hidden")}
    on_time = by_ref[f"M{filled['on_time'].pk}"]
    assert on_time[0] == f"P{public.pk}" and on_time[2:8] == [
        "推行一窗受理、限时办结",
        "平均办理时限",
        15,
        5,
        "个工作日",
        "刘芳",
    ]
    assert on_time[8].date() == filled["on_time"].deadline and on_time[9:] == [0, "进行中"]

    responsibility = sheet_rows(content, RESPONSIBILITY)
    assert responsibility[0][:3] == ["单位代码 Unit code", "单位名称 Unit name", "责任人 Responsible person"]
    overdue = {row[3]: row[-1] for row in responsibility[1:]}
    assert overdue == {
        f"M{filled['on_time'].pk}": "否",
        f"M{filled['late'].pk}": "是",
        f"M{filled['hidden'].pk}": "否",
    }


def test_internal_problems_and_their_measures_are_left_out_for_an_outsider(filled, persona, unit, campaign):
    content = exchange.ledger_workbook(actor=persona("yingze_clerk"), root=unit("140105"), campaign=campaign)
    assert [row[2] for row in sheet_rows(content, PROBLEMS)[1:]] == [f"P{filled['public'].pk}"]
    refs = {row[1] for row in sheet_rows(content, MEASURES)[1:]}
    assert refs == {f"M{filled['on_time'].pk}", f"M{filled['late'].pk}"}
    assert f"M{filled['hidden'].pk}" not in {row[3] for row in sheet_rows(content, RESPONSIBILITY)[1:]}
    assert "经费" not in exchange.ledger_csv(
        actor=persona("yingze_clerk"), root=unit("140105"), campaign=campaign, which="responsibility"
    ).decode("utf-8-sig")


def test_the_city_supervisor_exports_the_whole_subtree_with_internal_rows(filled, persona, unit, campaign):
    content = exchange.ledger_workbook(
        actor=persona("taiyuan_supervisor"), root=unit("1401"), campaign=campaign
    )
    assert len(sheet_rows(content, PROBLEMS)) == 3 and len(sheet_rows(content, MEASURES)) == 4


def test_csv_starts_with_a_bom_and_keeps_chinese(filled, persona, unit, campaign):
    for which, header in (
        ("problems", "问题编号 Problem ref"),
        ("measures", "整改措施 Measure"),
        ("responsibility", "是否逾期 Overdue"),
    ):
        content = exchange.ledger_csv(
            actor=persona("xiaodian_clerk"), root=unit("140105"), campaign=campaign, which=which
        )
        assert content.startswith(b"\xef\xbb\xbf")
        rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
        assert header in rows[0]
        assert len(rows) == {"problems": 3, "measures": 4, "responsibility": 4}[which]
    problems = exchange.ledger_csv(
        actor=persona("xiaodian_clerk"), root=unit("140105"), campaign=campaign, which="problems"
    ).decode("utf-8-sig")
    assert "审批事项办理时限长，群众反映多次跑腿。" in problems and "改革意识不强" in problems
    measures = exchange.ledger_csv(
        actor=persona("xiaodian_clerk"), root=unit("140105"), campaign=campaign, which="measures"
    ).decode("utf-8-sig")
    assert filled["on_time"].deadline.isoformat() in measures and ",15,5,个工作日," in measures


def test_text_that_looks_like_a_formula_is_exported_as_text(ledger, make_problem, persona, unit, campaign):
    make_problem(ledger, text='=HYPERLINK("http://example.com","点击")')
    content = exchange.ledger_workbook(
        actor=persona("xiaodian_clerk"), root=unit("140105"), campaign=campaign
    )
    cell = openpyxl.load_workbook(io.BytesIO(content))[PROBLEMS]["E2"]
    assert cell.data_type == "s" and cell.value.startswith("=HYPERLINK")
    text = exchange.ledger_csv(
        actor=persona("xiaodian_clerk"), root=unit("140105"), campaign=campaign, which="problems"
    ).decode("utf-8-sig")
    assert "'=HYPERLINK" in text


def test_export_queries_do_not_grow_with_the_rows(
    ledger, make_problem, make_measure, persona, unit, campaign, django_assert_max_num_queries
):
    clerk, xiaodian = persona("xiaodian_clerk"), unit("140105")
    make_measure(make_problem(ledger))
    with CaptureQueriesContext(connection) as few:
        exchange.ledger_workbook(actor=clerk, root=xiaodian, campaign=campaign)
    assert len(few) <= 4  # the clerk's roles, then one query per list
    for number in range(25):
        make_measure(make_problem(ledger, text=f"问题{number}"), owner=f"责任人{number}")
    with django_assert_max_num_queries(len(few)):
        content = exchange.ledger_workbook(actor=clerk, root=xiaodian, campaign=campaign)
    assert len(sheet_rows(content, MEASURES)) == 27


# ---- import ----


def test_a_ledger_exported_then_imported_into_a_sibling_creates_the_same_rows(
    filled, persona, unit, campaign
):
    content = exchange.ledger_workbook(
        actor=persona("xiaodian_clerk"), root=unit("140105"), campaign=campaign
    )
    workbook = openpyxl.load_workbook(io.BytesIO(content))
    for row in workbook[PROBLEMS].iter_rows(min_row=2):  # another unit, and every problem new: P12 -> N12
        row[0].value, row[2].value = "140106", row[2].value.replace("P", "N")
    for row in workbook[MEASURES].iter_rows(min_row=2):
        row[0].value, row[1].value = row[0].value.replace("P", "N"), None
    buffer = io.BytesIO()
    workbook.save(buffer)

    yingze = unit("140106")
    result = exchange.ledger_import(
        actor=persona("yingze_clerk"),
        unit=yingze,
        campaign=campaign,
        content=buffer.getvalue(),
        filename="小店区台账.xlsx",
    )

    assert (result.problems_created, result.measures_created, result.unchanged) == (2, 3, 0)

    def problems(unit_):
        return sorted(
            (p.category.key, p.manifestation, p.source, p.visibility)
            for p in Problem.objects.filter(unit=unit_).select_related("category")
        )

    def measures(unit_):
        return sorted(
            (
                m.problem.manifestation,
                m.action,
                m.indicator,
                m.baseline,
                m.target,
                m.target_unit,
                m.owner,
                m.deadline,
                m.progress,
                m.status,
            )
            for m in Measure.objects.filter(unit=unit_).select_related("problem")
        )

    assert problems(yingze) == problems(unit("140105"))
    assert measures(yingze) == measures(unit("140105"))
    # through the services: audited, on the timeline, counted in the rollups
    assert AuditEntry.objects.filter(action="measure.create", actor=persona("yingze_clerk")).count() == 3
    assert Event.objects.filter(ledger=result.ledger, kind=EventKind.CREATED).count() == 3


def test_reimporting_an_unchanged_export_adds_nothing(filled, persona, unit, campaign):
    content = exchange.ledger_workbook(
        actor=persona("xiaodian_clerk"), root=unit("140105"), campaign=campaign
    )
    before = counts()
    result = exchange.ledger_import(
        actor=persona("xiaodian_clerk"),
        unit=unit("140105"),
        campaign=campaign,
        content=content,
        filename="台账.xlsx",
    )
    assert (result.problems_created, result.measures_created, result.unchanged) == (0, 0, 5)
    assert counts()[:2] == before[:2]


def test_new_rows_next_to_existing_ones_are_added_and_progress_is_posted(
    filled, persona, unit, campaign, ledger
):
    ledger.status = LedgerStatus.SUBMITTED  # signed off: an import, like a page edit, sends it back to draft
    ledger.save(update_fields=["status"])
    public = filled["public"]
    deadline = timezone.localdate() + datetime.timedelta(days=20)
    content = workbook_bytes(
        [["140105", "小店区", "N1", "opening_up", "招商引资重签约、轻落地。", "督导发现", "Public", ""]],
        [
            ["N1", "", "建立项目落地台账", "落地率", 40, 80, "%", "李明", deadline, 30, "进行中"],
            [
                f"P{public.pk}",
                None,
                "推行帮办代办",
                "代办件数",
                None,
                "200",
                "件",
                "刘芳",
                deadline.isoformat(),
                None,
                None,
            ],
        ],
    )
    result = exchange.ledger_import(
        actor=persona("xiaodian_clerk"),
        unit=unit("140105"),
        campaign=campaign,
        content=content,
        filename="新增.xlsx",
    )
    assert (result.problems_created, result.measures_created) == (1, 2)
    new = Problem.objects.get(manifestation="招商引资重签约、轻落地。")
    assert (new.category.key, new.source, new.visibility) == ("opening_up", "supervision", "public")
    tracked = new.measures.get()
    assert (tracked.baseline, tracked.target, tracked.deadline, tracked.progress) == (
        Decimal("40"),
        Decimal("80"),
        deadline,
        30,
    )
    assert Event.objects.filter(measure=tracked, kind=EventKind.PROGRESS, percent=30).exists()
    assert public.measures.filter(action="推行帮办代办", target=Decimal("200"), baseline=None).exists()
    ledger.refresh_from_db()
    assert ledger.status == LedgerStatus.DRAFT
    assert Event.objects.filter(ledger=ledger, kind=EventKind.REOPENED).count() == 1


def test_changing_an_existing_row_in_the_file_is_refused_cell_by_cell(filled, persona, unit, campaign):
    content = exchange.ledger_workbook(
        actor=persona("xiaodian_clerk"), root=unit("140105"), campaign=campaign
    )
    workbook = openpyxl.load_workbook(io.BytesIO(content))
    workbook[PROBLEMS]["E2"] = "改过的表现"
    workbook[MEASURES]["F2"] = 999
    buffer = io.BytesIO()
    workbook.save(buffer)
    before = counts()
    with pytest.raises(LedgerImportError) as refused:
        exchange.ledger_import(
            actor=persona("xiaodian_clerk"),
            unit=unit("140105"),
            campaign=campaign,
            content=buffer.getvalue(),
            filename="台账.xlsx",
        )
    assert [(e.row, e.column) for e in refused.value.errors] == [(2, "问题清单!E"), (2, "整改清单!F")]
    assert all("updating existing rows is done on the page" in e.message for e in refused.value.errors)
    assert counts() == before


def test_a_bad_file_reports_every_error_by_row_and_column_and_writes_nothing(filled, persona, unit, campaign):
    public = filled["public"]
    content = workbook_bytes(
        [
            ["140105", "", "N1", "不存在的类别", "有效的表现", "自查", "公开", ""],  # 2: category
            ["140105", "", "N2", "改革意识不强", "", "自查", "公开", ""],  # 3: manifestation missing
            ["140105", "", "N3", "改革意识不强", "表现", "听说", "半公开", ""],  # 4: source, visibility
            ["140106", "", "N4", "改革意识不强", "表现", "自查", "公开", ""],  # 5: another unit
            ["140105", "", "N1", "改革意识不强", "表现", "自查", "公开", ""],  # 6: duplicate ref
            ["140105", "", "X9", "改革意识不强", "表现", "自查", "公开", ""],  # 7: malformed ref
            ["140105", "", "P999999", "改革意识不强", "表现", "自查", "公开", ""],  # 8: not in this ledger
        ],
        [
            ["N7", "", "措施", "指标", 1, 2, "", "刘芳", "2030-01-01", 0, ""],  # 2: unknown problem ref
            ["", "", "措施", "指标", 1, 2, "", "刘芳", "2030-01-01", 0, ""],  # 3: measure without a problem
            [
                f"P{public.pk}",
                "",
                "措施",
                "指标",
                "很多",
                None,
                "",
                "刘芳",
                "2030-01-01",
                0,
                "",
            ],  # 4: number, target
            [f"P{public.pk}", "", "措施", "指标", 1, 2, "", "刘芳", "明年", 0, ""],  # 5: not a date
            [
                f"P{public.pk}",
                "",
                "措施",
                "指标",
                1,
                2,
                "",
                "刘芳",
                None,
                150,
                "",
            ],  # 6: no deadline, progress
            [
                f"P{public.pk}",
                "",
                "措施",
                "指标",
                1,
                2,
                "",
                "刘芳",
                "2030-02-30",
                0,
                "已办结",
            ],  # 7: date, status
            [
                "N1",
                "",
                "",
                "",
                1,
                2.345,
                "",
                "",
                "2030-01-01",
                "",
                "",
            ],  # 8: action, indicator, decimals, owner
        ],
    )
    before = counts()
    with pytest.raises(LedgerImportError) as refused:
        exchange.ledger_import(
            actor=persona("xiaodian_clerk"),
            unit=unit("140105"),
            campaign=campaign,
            content=content,
            filename="错误.xlsx",
        )
    found = {(error.row, error.column) for error in refused.value.errors}
    assert found == {
        (2, "问题清单!D"),
        (3, "问题清单!E"),
        (4, "问题清单!F"),
        (4, "问题清单!G"),
        (5, "问题清单!A"),
        (6, "问题清单!C"),
        (7, "问题清单!C"),
        (8, "问题清单!C"),
        (2, "整改清单!A"),
        (3, "整改清单!A"),
        (4, "整改清单!E"),
        (4, "整改清单!F"),
        (5, "整改清单!I"),
        (6, "整改清单!I"),
        (6, "整改清单!J"),
        (7, "整改清单!I"),
        (7, "整改清单!K"),
        (8, "整改清单!C"),
        (8, "整改清单!D"),
        (8, "整改清单!F"),
        (8, "整改清单!H"),
    }
    assert len(refused.value.errors) == len(found)
    assert all(error.message for error in refused.value.errors)
    assert counts() == before


def test_columns_are_found_by_header_in_any_order_and_language(ledger, persona, unit, campaign):
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    problems, measures = workbook.create_sheet(PROBLEMS), workbook.create_sheet(MEASURES)
    problems.append(["Manifestation", "category", "问题编号", "公开范围"])
    problems.append(["窗口服务态度生硬", "Weak awareness of reform", "n1", "内部"])
    measures.append(["deadline", "Responsible person", "目标值", "Indicator", "整改措施", "Problem ref"])
    measures.append(["2030/6/30", "刘芳", "９５", "满意率", "开展礼仪培训", "N1"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    content = buffer.getvalue()
    result = exchange.ledger_import(
        actor=persona("xiaodian_clerk"),
        unit=unit("140105"),
        campaign=campaign,
        content=content,
        filename="short.xlsx",
    )
    assert (result.problems_created, result.measures_created) == (1, 1)
    measure = Measure.objects.get(action="开展礼仪培训")
    assert (measure.deadline, measure.target, measure.problem.visibility) == (
        datetime.date(2030, 6, 30),
        Decimal("95"),
        "internal",
    )


def zip_of(files: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("content", "filename", "expected"),
    [
        (b"\xef\xbb\xbf\xe9\x97\xae\xe9\xa2\x98,x\n", "台账.csv", "not an Excel workbook"),
        (b"PK\x03\x04 not really a zip", "台账.xlsx", "not an Excel workbook"),
        (b"", "empty.xlsx", "not an Excel workbook"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 512, "old.xls", "not an Excel workbook"),
        (zip_of({"word/document.xml": "<w/>"}), "report.docx", "not an Excel workbook"),
    ],
)
def test_a_file_that_is_not_an_xlsx_is_refused(ledger, persona, unit, campaign, content, filename, expected):
    with pytest.raises(LedgerImportError) as refused:
        exchange.ledger_import(
            actor=persona("xiaodian_clerk"),
            unit=unit("140105"),
            campaign=campaign,
            content=content,
            filename=filename,
        )
    assert [(e.row, e.column) for e in refused.value.errors] == [(0, "")]
    assert expected in refused.value.errors[0].message


def test_a_file_over_the_size_limit_is_refused(ledger, persona, unit, campaign, monkeypatch):
    monkeypatch.setattr(checking, "MAX_IMPORT_BYTES", 1024)
    content = workbook_bytes([["140105", "", "", "改革意识不强", "表现" * 400, "自查", "公开", ""]], [])
    with pytest.raises(LedgerImportError, match="larger than"):
        exchange.ledger_import(
            actor=persona("xiaodian_clerk"),
            unit=unit("140105"),
            campaign=campaign,
            content=content,
            filename="x.xlsx",
        )


def test_wrong_sheet_names_and_missing_columns_are_refused(ledger, persona, unit, campaign):
    with pytest.raises(LedgerImportError) as refused:
        exchange.ledger_import(
            actor=persona("xiaodian_clerk"),
            unit=unit("140105"),
            campaign=campaign,
            content=workbook_bytes([], [], sheets=("Sheet1", MEASURES)),
            filename="x.xlsx",
        )
    assert "问题清单" in refused.value.errors[0].message and "Sheet1" in refused.value.errors[0].message
    with pytest.raises(LedgerImportError) as refused:
        exchange.ledger_import(
            actor=persona("xiaodian_clerk"),
            unit=unit("140105"),
            campaign=campaign,
            content=workbook_bytes([], [], measure_header=["问题编号", "整改措施"]),
            filename="x.xlsx",
        )
    assert [(e.row, e.column) for e in refused.value.errors] == [(1, MEASURES)]
    assert "目标值 Target" in refused.value.errors[0].message
    with pytest.raises(LedgerImportError, match="no problem or measure rows"):
        exchange.ledger_import(
            actor=persona("xiaodian_clerk"),
            unit=unit("140105"),
            campaign=campaign,
            content=workbook_bytes([], []),
            filename="x.xlsx",
        )


def test_a_refusal_while_writing_undoes_the_whole_import(ledger, persona, unit, campaign, monkeypatch):
    content = workbook_bytes(
        [["140105", "", "N1", "改革意识不强", "表现一", "自查", "公开", ""]],
        [
            ["N1", "", "措施一", "指标", 1, 2, "", "刘芳", "2030-01-01", 0, ""],
            ["N1", "", "措施二", "指标", 1, 2, "", "刘芳", "2030-01-01", 0, ""],
        ],
    )
    real = services.measure_create

    def refuse_the_second(**kwargs):
        if kwargs["action"] == "措施二":
            raise ValidationError("refused late")
        return real(**kwargs)

    monkeypatch.setattr(services, "measure_create", refuse_the_second)
    before = counts()
    with pytest.raises(LedgerImportError) as refused:
        exchange.ledger_import(
            actor=persona("xiaodian_clerk"),
            unit=unit("140105"),
            campaign=campaign,
            content=content,
            filename="x.xlsx",
        )
    assert [(e.row, e.column, e.message) for e in refused.value.errors] == [(3, MEASURES, "refused late")]
    assert counts() == before


def test_yingze_clerk_cannot_import_into_xiaodian(ledger, persona, unit, campaign):
    content = workbook_bytes([["140105", "", "", "改革意识不强", "表现", "自查", "公开", ""]], [])
    with pytest.raises(PermissionDenied):
        exchange.ledger_import(
            actor=persona("yingze_clerk"),
            unit=unit("140105"),
            campaign=campaign,
            content=content,
            filename="x.xlsx",
        )
    assert not Problem.objects.filter(manifestation="表现").exists()


# ---- views ----


def export_url(unit_, campaign, query: str = "") -> str:
    return f"/ledger/{unit_.pk}/{campaign.key}/export/{query}"


def import_url(unit_, campaign) -> str:
    return f"/ledger/{unit_.pk}/{campaign.key}/import/"


def test_export_view_serves_the_workbook_and_the_csv_lists_with_a_chinese_filename(
    filled, client_as, unit, campaign
):
    clerk, xiaodian = client_as("xiaodian_clerk"), unit("140105")
    response = clerk.get(export_url(xiaodian, campaign, "?format=xlsx"))
    assert response.status_code == 200
    assert response["Content-Type"] == exchange_views.XLSX
    disposition = response["Content-Disposition"]
    assert disposition.startswith('attachment; filename="ledger-140105-')
    assert f"filename*=UTF-8''{quote('小店区-台账-')}" in disposition
    assert openpyxl.load_workbook(io.BytesIO(response.content)).sheetnames == [
        PROBLEMS,
        MEASURES,
        RESPONSIBILITY,
    ]

    response = clerk.get(export_url(xiaodian, campaign, "?format=csv&list=responsibility"))
    assert response.status_code == 200 and response["Content-Type"] == "text/csv; charset=utf-8"
    assert quote("责任清单") in response["Content-Disposition"]
    assert response.content.startswith(b"\xef\xbb\xbf")
    assert clerk.get(export_url(xiaodian, campaign, "?format=pdf")).status_code == 400
    assert clerk.get(export_url(xiaodian, campaign, "?format=csv&list=all")).status_code == 400


def test_export_view_needs_a_role_over_the_unit(filled, client, client_as, unit, campaign):
    xiaodian = unit("140105")
    assert client.get(export_url(xiaodian, campaign)).status_code == 302  # to the login page
    assert client_as("yingze_clerk").get(export_url(xiaodian, campaign)).status_code == 403
    assert client_as("taiyuan_supervisor").get(export_url(xiaodian, campaign)).status_code == 200


def test_import_view_lists_every_error_and_imports_nothing(filled, client_as, unit, campaign):
    clerk, xiaodian = client_as("xiaodian_clerk"), unit("140105")
    page = clerk.get(import_url(xiaodian, campaign))
    assert page.status_code == 200 and "?format=xlsx" in page.content.decode()
    content = workbook_bytes(
        [["140105", "", "N1", "不存在", "", "自查", "公开", ""]],
        [["N9", "", "措施", "指标", 1, 2, "", "刘芳", "明天", 0, ""]],
    )
    before = counts()
    response = clerk.post(
        import_url(xiaodian, campaign),
        {"file": SimpleUploadedFile("坏.xlsx", content)},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 200
    html = response.content.decode()
    for cell in ("问题清单!D", "问题清单!E", "整改清单!A", "整改清单!I"):
        assert f"<td>{cell}</td>" in html
    assert "Nothing was imported" in html and counts() == before

    refused = clerk.post(
        import_url(xiaodian, campaign), {"file": SimpleUploadedFile("台账.csv", b"a,b\n1,2\n")}
    )
    assert refused.status_code == 200 and "台账.csv" in refused.content.decode()


def test_import_view_imports_a_good_file_and_returns_to_the_ledger(ledger, client_as, unit, campaign):
    content = workbook_bytes(
        [["140105", "", "N1", "改革意识不强", "会议多、文件多", "自查", "公开", ""]],
        [["N1", "", "精简会议文件", "会议数量", 30, 15, "次/月", "刘芳", "2030-01-01", 0, ""]],
    )
    response = client_as("xiaodian_clerk").post(
        import_url(unit("140105"), campaign),
        {"file": SimpleUploadedFile("台账.xlsx", content)},
        follow=True,
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.redirect_chain[-1][0] == f"/ledger/{unit('140105').pk}/{campaign.key}/"
    assert "Imported: 1 new problems and 1 new measures" in response.content.decode()
    assert Measure.objects.filter(action="精简会议文件", problem__manifestation="会议多、文件多").exists()


def test_import_view_is_forbidden_outside_the_clerks_unit(ledger, client, client_as, unit, campaign):
    xiaodian = unit("140105")
    content = workbook_bytes([["140105", "", "", "改革意识不强", "表现", "自查", "公开", ""]], [])
    yingze_clerk = client_as("yingze_clerk")
    assert yingze_clerk.get(import_url(xiaodian, campaign)).status_code == 403
    response = yingze_clerk.post(
        import_url(xiaodian, campaign), {"file": SimpleUploadedFile("x.xlsx", content)}
    )
    assert response.status_code == 403
    assert client_as("taiyuan_supervisor").get(import_url(xiaodian, campaign)).status_code == 403
    assert client.get(import_url(xiaodian, campaign)).status_code == 302
    assert not Problem.objects.filter(manifestation="表现").exists()

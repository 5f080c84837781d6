"""Ledger and dashboard pages: what each role sees and does, with bounded queries."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from dalun.ledger import services
from dalun.ledger.choices import LedgerStatus
from dalun.ledger.models import Measure, Problem

from .conftest import PDF

pytestmark = pytest.mark.django_db


def ledger_url(unit, campaign) -> str:
    return f"/ledger/{unit.pk}/{campaign.key}/"


def test_clerk_records_a_problem_and_a_measure_from_the_page(client_as, unit, campaign):
    clerk, xiaodian = client_as("xiaodian_clerk"), unit("140105")
    category = campaign.categories.get(key="work_style")
    response = clerk.post(
        f"{ledger_url(xiaodian, campaign)}problems/new/",
        {
            "category": category.pk,
            "manifestation": "部分窗口工作人员服务态度生硬",
            "source": "self",
            "visibility": "public",
        },
    )
    assert response.status_code == 302
    problem = Problem.objects.get(unit=xiaodian)
    response = clerk.post(
        f"/ledger/problems/{problem.pk}/measures/new/",
        {
            "action": "开展窗口服务礼仪培训",
            "indicator": "群众满意率",
            "baseline": "82",
            "target": "95",
            "target_unit": "%",
            "owner": "刘芳",
            "working_days": "15",
        },
    )
    assert response.status_code == 302
    page = clerk.get(ledger_url(xiaodian, campaign)).content.decode()
    assert "部分窗口工作人员服务态度生硬" in page and "开展窗口服务礼仪培训" in page


def test_bad_measure_input_is_reported_by_field_and_nothing_is_written(
    client_as, unit, campaign, ledger, make_problem
):
    problem = make_problem(ledger)
    clerk = client_as("xiaodian_clerk")
    response = clerk.post(
        f"/ledger/problems/{problem.pk}/measures/new/",
        {"action": "", "target": "很多"},
        HTTP_ACCEPT_LANGUAGE="en",
        follow=True,
    )
    body = response.content.decode()
    assert "Target value" in body and "Responsible person" in body
    assert not Measure.objects.filter(problem=problem).exists()


def test_other_county_cannot_post_into_the_ledger(client_as, unit, campaign):
    category = campaign.categories.first()
    response = client_as("yingze_clerk").post(
        f"{ledger_url(unit('140105'), campaign)}problems/new/",
        {"category": category.pk, "manifestation": "x", "source": "self", "visibility": "public"},
    )
    assert response.status_code == 403
    assert not Problem.objects.exists()


def test_internal_problems_are_hidden_from_outsiders(client, client_as, unit, campaign, ledger, make_problem):
    make_problem(ledger, text="内部问题：干部考勤不严", visibility="internal")
    make_problem(ledger, text="公开问题：办事指南不清楚")
    url = ledger_url(unit("140105"), campaign)
    outsider = client_as("yingze_clerk").get(url).content.decode()
    assert "公开问题" in outsider and "内部问题" not in outsider
    assert "内部问题" in client_as("xiaodian_clerk").get(url).content.decode()
    assert "内部问题" not in client.get(url).content.decode()


def test_measure_journey_evidence_close_verify_from_the_pages(client_as, ledger, make_problem, make_measure):
    measure = make_measure(make_problem(ledger))
    clerk = client_as("xiaodian_clerk")
    clerk.post(f"/ledger/measures/{measure.pk}/progress/", {"percent": "60", "text": "已完成两轮培训"})
    clerk.post(
        f"/ledger/measures/{measure.pk}/evidence/", {"file": SimpleUploadedFile("培训签到表.pdf", PDF)}
    )
    clerk.post(f"/ledger/measures/{measure.pk}/close/")
    client_as("taiyuan_supervisor").post(f"/ledger/measures/{measure.pk}/verify/", {"decision": "approve"})
    measure.refresh_from_db()
    assert measure.status == "closed" and measure.evidence.count() == 1
    page = clerk.get(f"/ledger/measures/{measure.pk}/").content.decode()
    assert "已完成两轮培训" in page and "培训签到表.pdf" in page


def test_renamed_executable_is_refused_on_the_page(client_as, ledger, make_problem, make_measure):
    measure = make_measure(make_problem(ledger))
    response = client_as("xiaodian_clerk").post(
        f"/ledger/measures/{measure.pk}/evidence/",
        {"file": SimpleUploadedFile("scan.pdf", b"MZ" + b"\0" * 64)},
        follow=True,
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert "file:" in response.content.decode()
    assert not measure.evidence.exists()


def test_head_submits_and_the_level_above_accepts_from_the_page(
    client_as, unit, campaign, ledger, make_problem, make_measure
):
    make_measure(make_problem(ledger))
    ledger.refresh_from_db()
    url = f"{ledger_url(unit('140105'), campaign)}signoff/"
    client_as("xiaodian_head").post(url, {"decision": "submit", "version": ledger.version})
    ledger.refresh_from_db()
    assert ledger.status == LedgerStatus.SUBMITTED
    client_as("office").post(url, {"decision": "accept", "version": ledger.version})
    ledger.refresh_from_db()
    assert ledger.status == LedgerStatus.ACCEPTED


def test_dashboard_shows_the_subtree_and_links_to_the_rows(
    client_as, unit, campaign, ledger, make_problem, make_measure, django_assert_max_num_queries
):
    make_measure(make_problem(ledger, category_key="work_style"))
    office = client_as("office")
    with django_assert_max_num_queries(15):
        response = office.get(f"/dashboard/{unit('1401').pk}/{campaign.key}/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "小店区" in body and "vendor/chart.js/chart.umd.js" in body
    board = response.context["board"]
    assert sum(counts["open"] for key, _name, counts in board.categories if key == "work_style") == 1
    assert board.measures["on_time"] == 1
    xiaodian_row = next(row for row in board.children if row.unit.code == "140105")
    assert xiaodian_row.open_measures == 1
    rows = office.get(f"/ledger/{unit('1401').pk}/{campaign.key}/measures/", {"state": "on_time"})
    assert rows.context["page"].paginator.count == 1


def test_dashboard_needs_a_role_over_the_subtree(client, client_as, unit, campaign):
    url = f"/dashboard/{unit('1404').pk}/{campaign.key}/"
    assert client_as("xiaodian_clerk").get(url).status_code == 403
    assert client.get(url).status_code == 302
    assert client_as("changzhi_head").get(url).status_code == 200


def test_dashboard_query_count_does_not_grow_with_data(
    client_as, unit, campaign, ledger, make_problem, make_measure, django_assert_max_num_queries
):
    for index in range(15):
        make_measure(make_problem(ledger, text=f"问题{index}"))
    office, clerk = client_as("office"), client_as("xiaodian_clerk")
    with django_assert_max_num_queries(15):
        assert office.get(f"/dashboard/{unit('14').pk}/{campaign.key}/").status_code == 200
    with django_assert_max_num_queries(20):
        assert clerk.get(ledger_url(unit("140105"), campaign)).status_code == 200


def test_evidence_of_internal_problems_and_key_links_is_not_found_outside(
    client, client_as, ledger, make_problem, make_measure, persona, unit
):
    from dalun.campaigns.models import KeyLinkObligation

    from .conftest import pdf_upload

    clerk = persona("xiaodian_clerk")
    public = services.evidence_attach(
        actor=clerk, measure=make_measure(make_problem(ledger)), upload=pdf_upload()
    )
    hidden = services.evidence_attach(
        actor=clerk, measure=make_measure(make_problem(ledger, visibility="internal")), upload=pdf_upload()
    )
    obligation = KeyLinkObligation.objects.get(unit=unit("140105"), key_link__key="mobilisation")
    progress = services.keylink_report(
        actor=clerk,
        obligation=obligation,
        status="done",
        reported_on=obligation.key_link.starts_on,
        upload=pdf_upload(),
    )
    link_file = progress.evidence.get()
    assert client.get(f"/evidence/{public.pk}/").status_code == 200
    for evidence in (hidden, link_file):
        assert client.get(f"/evidence/{evidence.pk}/").status_code == 404
        assert client_as("yingze_clerk").get(f"/evidence/{evidence.pk}/").status_code == 404
        assert client_as("xiaodian_clerk").get(f"/evidence/{evidence.pk}/").status_code == 200


def test_a_refused_measure_edit_without_deadline_is_explained_not_a_server_error(
    client_as, ledger, make_problem, make_measure
):
    measure = make_measure(make_problem(ledger))
    deadline = measure.deadline
    response = client_as("xiaodian_clerk").post(
        f"/ledger/measures/{measure.pk}/",
        {"action": "", "indicator": "培训人次", "target": "abc", "owner": "张三", "deadline": ""},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 200
    assert "This field is required." in response.content.decode()
    measure.refresh_from_db()
    assert measure.deadline == deadline and measure.action

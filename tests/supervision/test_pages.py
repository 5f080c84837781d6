"""Supervision pages: each role sees what it should; others are refused or told "not found"."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.urls import reverse
from django.utils import timezone

from dalun.ledger.models import Problem
from dalun.supervision.models import Finding, GroupCoverage, GroupMember, Inspection, SupervisionGroup

from .conftest import pdf_upload

pytestmark = pytest.mark.django_db

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def test_the_office_forms_a_group_assigns_members_and_coverage_and_plans(campaign, client_as, unit):
    office = client_as("office")
    page = office.get(reverse("supervision-home"), **EN)
    assert page.status_code == 200 and b"Form a group" in page.content
    response = office.post(
        reverse("supervision-group-create", args=[campaign.key]), {"name": "第一督导组", "leading_unit": "14"}
    )
    group = SupervisionGroup.objects.get(name="第一督导组")
    assert response.url == group.get_absolute_url()
    act = reverse("supervision-group-act", args=[group.pk])
    office.post(act, {"action": "add_member", "username": "taiyuan_supervisor", "role": "leader"})
    office.post(act, {"action": "add_unit", "unit_code": "1401"})
    today = timezone.localdate().isoformat()
    office.post(act, {"action": "plan", "unit_code": "140105", "planned_on": today, "kind": "spot"})
    assert GroupMember.objects.filter(
        group=group, person__username="taiyuan_supervisor", role="leader"
    ).exists()
    assert GroupCoverage.objects.filter(group=group, unit=unit("1401")).exists()
    assert Inspection.objects.get(group=group).kind == "spot"
    page = office.get(group.get_absolute_url(), **EN)
    assert unit("140105").display_name in page.content.decode() and b"Spot check" in page.content


def test_bad_group_input_is_answered_with_a_message_naming_the_field(group, client_as):
    office = client_as("office")
    act = reverse("supervision-group-act", args=[group.pk])
    response = office.post(act, {"action": "add_unit", "unit_code": "999999"}, follow=True, **EN)
    assert response.status_code == 200 and b"unit: No unit has the code" in response.content
    response = office.post(
        act, {"action": "plan", "unit_code": "140105", "planned_on": "soon"}, follow=True, **EN
    )
    assert b"planned_on: Enter a date" in response.content
    response = office.post(act, {"action": "add_member", "username": "nobody"}, follow=True, **EN)
    assert b"username: No staff member" in response.content


def test_only_the_office_changes_a_group(group, client_as):
    act = reverse("supervision-group-act", args=[group.pk])
    supervisor = client_as("taiyuan_supervisor")
    assert supervisor.get(group.get_absolute_url()).status_code == 200  # a member reads it
    assert supervisor.post(act, {"action": "add_unit", "unit_code": "1404"}).status_code == 403
    assert client_as("xiaodian_clerk").get(group.get_absolute_url()).status_code == 404


def test_the_supervisor_sees_the_covered_units_in_one_place(group, planned, client_as, campaign, unit):
    page = client_as("taiyuan_supervisor").get(reverse("supervision-my-units", args=[campaign.key]), **EN)
    assert page.status_code == 200
    html = page.content.decode()
    assert unit("1401").display_name in html and "Key links done" in html and "Suggestions overdue" in html
    assert planned.get_absolute_url() in html
    assert (
        client_as("xiaodian_clerk").get(reverse("supervision-my-units", args=[campaign.key])).status_code
        == 403
    )


def test_the_supervisor_records_the_inspection_and_a_finding_with_evidence(
    planned, client_as, unit, campaign
):
    supervisor = client_as("taiyuan_supervisor")
    act = reverse("supervision-inspection-act", args=[planned.pk])
    page = supervisor.get(planned.get_absolute_url(), **EN)
    assert b"Record the inspection" in page.content
    response = supervisor.post(
        act,
        {
            "action": "record",
            "version": planned.version,
            "inspected_on": timezone.localdate().isoformat(),
            "method": "site_visit",
            "checked": "查阅问题清单和整改台账",
            "answer_ledger_specific": "no",
            "note_ledger_specific": "口号多",
        },
    )
    assert response.status_code == 302
    planned.refresh_from_db()
    assert planned.status == "recorded"
    assert next(item for item in planned.checklist if item["key"] == "ledger_specific")["answer"] == "no"
    supervisor.post(
        act,
        {
            "action": "finding",
            "text": "问题清单以口号代替问题。",
            "evidence_note": "见台账第3页",
            "files": [pdf_upload()],
        },
    )
    finding = Finding.objects.get()
    assert finding.evidence.count() == 1 and finding.problem.source == "supervision"
    page = supervisor.get(planned.get_absolute_url(), **EN)
    assert "问题清单以口号代替问题" in page.content.decode() and b"Issue the notice" in page.content
    supervisor.post(act, {"action": "notice", "text": "限期整改"})
    assert Finding.objects.get().notice is not None


def test_a_refused_finding_says_why_and_writes_nothing(recorded, client_as):
    response = client_as("taiyuan_supervisor").post(
        reverse("supervision-inspection-act", args=[recorded.pk]),
        {"action": "finding", "text": " ", "deadline": "2020-01-01"},
        follow=True,
        **EN,
    )
    assert response.status_code == 200 and b"text: Describe what was found" in response.content
    for junk in ({"category": "abc", "text": "x"}, {"category": "999999", "text": "x"}):
        response = client_as("taiyuan_supervisor").post(
            reverse("supervision-inspection-act", args=[recorded.pk]),
            {"action": "finding", **junk},
            follow=True,
            **EN,
        )
        assert response.status_code == 200 and b"category: Choose one of the campaign" in response.content
    assert not Finding.objects.exists() and not Problem.objects.exists()


def test_the_unit_sees_the_finding_in_its_queue_and_ledger(make_finding, client_as, unit, campaign):
    finding = make_finding()
    clerk = client_as("xiaodian_clerk")
    queue = clerk.get(reverse("supervision-findings", args=[unit("140105").pk, campaign.key]), **EN)
    html = queue.content.decode()
    assert queue.status_code == 200 and finding.text[:10] in html and finding.deadline.isoformat() in html
    assert finding.problem.get_absolute_url() in html
    detail = clerk.get(finding.get_absolute_url(), **EN)
    assert detail.status_code == 200 and b"Open the problem in the unit" in detail.content
    ledger = clerk.get(reverse("ledger-detail", args=[unit("140105").pk, campaign.key]), **EN)
    assert finding.text[:10] in ledger.content.decode() and b"Supervision finding" in ledger.content
    link = reverse("supervision-problem-finding", args=[finding.problem_id])
    assert link.encode() in ledger.content  # the problem links back to the finding
    jump = clerk.get(reverse("supervision-problem-finding", args=[finding.problem_id]))
    assert jump.url == finding.get_absolute_url()


def test_the_sibling_and_the_public_do_not_see_the_finding(make_finding, client_as, unit, campaign, client):
    finding = make_finding()
    sibling = client_as("yingze_clerk")
    assert sibling.get(finding.get_absolute_url()).status_code == 404
    assert (
        sibling.get(reverse("supervision-findings", args=[unit("140105").pk, campaign.key])).status_code
        == 403
    )
    assert (
        sibling.get(reverse("supervision-dashboard", args=[unit("140105").pk, campaign.key])).status_code
        == 403
    )
    assert client.get(finding.get_absolute_url()).status_code == 302  # to the login page
    ledger = client.get(reverse("ledger-detail", args=[unit("140105").pk, campaign.key]))
    assert finding.text[:10] not in ledger.content.decode()  # internal by default
    file_finding = make_finding(text="另一条", uploads=[pdf_upload()])
    url = file_finding.evidence.get().get_absolute_url()
    assert sibling.get(url).status_code == 404
    assert client_as("xiaodian_head").get(url).status_code == 200


def test_a_planned_spot_check_stays_hidden_from_the_unit(group, client_as, unit, persona):
    from dalun.supervision import services

    spot = services.inspection_plan(
        actor=persona("office"),
        group=group,
        unit=unit("140105"),
        planned_on=timezone.localdate(),
        kind="spot",
    )
    assert client_as("xiaodian_clerk").get(spot.get_absolute_url()).status_code == 404
    assert client_as("taiyuan_supervisor").get(spot.get_absolute_url()).status_code == 200


def test_the_unit_cannot_record_findings(recorded, client_as):
    response = client_as("xiaodian_head").post(
        reverse("supervision-inspection-act", args=[recorded.pk]), {"action": "finding", "text": "x"}
    )
    assert response.status_code == 403
    assert not Finding.objects.exists()


def test_dashboard_shows_findings_by_unit_rate_and_alerts_panel(
    make_finding, rectify, client_as, unit, campaign
):
    rectify(make_finding())
    make_finding(text="第二条")
    page = client_as("office").get(reverse("supervision-dashboard", args=[unit("14").pk, campaign.key]), **EN)
    html = page.content.decode()
    assert page.status_code == 200
    assert "Units with most findings" in html and unit("140105").display_name in html and "100%" in html
    assert "Formalism alerts by kind" in html
    if apps.is_installed("dalun.formalism"):  # the alerts app fills the panel: one row per kind
        assert 'data-kind="slogan"' in html


def test_pages_issue_a_bounded_number_of_queries(
    make_finding, client_as, unit, campaign, django_assert_max_num_queries
):
    for index in range(5):
        make_finding(text=f"第{index}条发现")
    clerk = client_as("xiaodian_clerk")
    office = client_as("office")
    supervisor = client_as("taiyuan_supervisor")
    with django_assert_max_num_queries(20):
        clerk.get(reverse("supervision-findings", args=[unit("140105").pk, campaign.key]))
    with django_assert_max_num_queries(25):
        office.get(reverse("supervision-dashboard", args=[unit("14").pk, campaign.key]))
    with django_assert_max_num_queries(40):
        supervisor.get(reverse("supervision-my-units", args=[campaign.key]))
    inspection = Finding.objects.first().inspection
    with django_assert_max_num_queries(30):
        supervisor.get(inspection.get_absolute_url())


def test_navigation_offers_supervision_to_staff(client_as):
    page = client_as("xiaodian_clerk").get(reverse("supervision-home"), **EN)
    assert page.status_code == 200 and reverse("supervision-home").encode() in page.content


@pytest.mark.parametrize(
    "data",
    [
        {},
        {
            "version": "x",
            "inspected_on": "2026-02-30",
            "method": "",
            "planned_on": "-1",
            "deadline": "tomorrow",
        },
        {"username": "", "unit_code": "", "role": "boss", "kind": "surprise", "name": ""},
    ],
)
def test_junk_posts_are_answered_without_a_server_error(recorded, group, client_as, data):
    supervisor, office = client_as("taiyuan_supervisor"), client_as("office")
    for action in ("record", "finding", "notice", "reinspect", "nonsense"):
        response = supervisor.post(
            reverse("supervision-inspection-act", args=[recorded.pk]), {"action": action, **data}
        )
        assert response.status_code in {302, 403, 404}, action
    for action in ("rename", "add_member", "remove_member", "add_unit", "remove_unit", "plan", "nonsense"):
        response = office.post(reverse("supervision-group-act", args=[group.pk]), {"action": action, **data})
        assert response.status_code in {302, 404}, action
    response = office.post(reverse("supervision-group-create", args=[group.campaign.key]), data)
    assert response.status_code == 302

"""Supervision services: groups and the supervisor roles they grant, inspections, findings that become
ledger problems, notices, re-inspections and on-time rectification."""

from __future__ import annotations

import datetime

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from dalun.audit.models import AuditEntry
from dalun.ledger.choices import LedgerStatus, ProblemSource, ProblemStatus, Visibility
from dalun.ledger.models import Counter, Ledger, Problem
from dalun.org import policy
from dalun.org.models import RoleAssignment
from dalun.org.policy import SYSTEM
from dalun.org.services import person_create, role_assign
from dalun.supervision import selectors, services
from dalun.supervision.models import Finding, GroupRoleGrant
from dalun.voices.models import Notification
from dalun.workcalendar.selectors import deadline_after

from .conftest import pdf_upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def newcomer(db):
    return person_create(actor=SYSTEM, username="inspector_li", display_name="李督导", password="x-secret-1")


def fresh(person):
    """Policy caches role assignments on the person object: read them again."""
    return type(person).objects.get(pk=person.pk)


# --- groups and the roles they grant ---------------------------------------------------------------


def test_membership_times_coverage_grants_supervisor_role_and_removal_revokes_it(
    group, newcomer, unit, persona
):
    office = persona("office")
    xiaodian = unit("140105")
    assert not policy.allows(fresh(newcomer), "supervision.inspect", xiaodian)
    services.member_add(actor=office, group=group, person=newcomer)
    assignment = RoleAssignment.objects.get(person=newcomer, role="supervisor", unit=unit("1401"))
    assert GroupRoleGrant.objects.filter(assignment=assignment).exists()
    assert policy.allows(fresh(newcomer), "supervision.inspect", xiaodian)
    assert not policy.allows(fresh(newcomer), "supervision.inspect", unit("1404"))  # Changzhi is not covered

    services.coverage_add(actor=office, group=group, unit=unit("1404"))
    assert policy.allows(fresh(newcomer), "supervision.inspect", unit("1404"))
    services.coverage_remove(actor=office, group=group, unit=unit("1404"))
    assert not policy.allows(fresh(newcomer), "supervision.inspect", unit("1404"))

    services.member_remove(actor=office, group=group, person=newcomer)
    assert not RoleAssignment.objects.filter(person=newcomer, role="supervisor").exists()
    assert AuditEntry.objects.filter(action="role.revoke").exists()


def test_removing_a_member_keeps_a_supervisor_role_given_by_hand(group, unit, persona):
    supervisor = persona("taiyuan_supervisor")  # the persona holds its role over Taiyuan by hand
    services.member_remove(actor=persona("office"), group=group, person=supervisor)
    assert RoleAssignment.objects.filter(person=supervisor, role="supervisor", unit=unit("1401")).exists()


def test_a_role_another_group_still_grants_survives_leaving_one_group(
    group, newcomer, campaign, unit, persona
):
    office = persona("office")
    other = services.group_create(actor=office, campaign=campaign, name="第二组", leading_unit=unit("14"))
    services.coverage_add(actor=office, group=other, unit=unit("1401"))
    services.member_add(actor=office, group=group, person=newcomer)
    services.member_add(actor=office, group=other, person=newcomer)
    services.member_remove(actor=office, group=group, person=newcomer)
    assert policy.allows(fresh(newcomer), "supervision.inspect", unit("140105"))


def test_only_the_office_over_the_leading_unit_manages_groups(campaign, unit, persona, group):
    with pytest.raises(PermissionDenied):
        services.group_create(
            actor=persona("changzhi_head"), campaign=campaign, name="x", leading_unit=unit("1404")
        )
    with pytest.raises(PermissionDenied):
        services.coverage_add(actor=persona("taiyuan_supervisor"), group=group, unit=unit("140106"))


def test_a_group_name_that_is_empty_or_too_long_is_refused_not_cut_short(campaign, unit, persona, group):
    office = persona("office")
    for name in ("  ", "组" * 201):
        with pytest.raises(ValidationError) as refused:
            services.group_create(actor=office, campaign=campaign, name=name, leading_unit=unit("14"))
        assert "name" in refused.value.message_dict
        with pytest.raises(ValidationError):
            services.group_rename(actor=office, group=group, name=name, expected_version=group.version)
    assert services.group_create(actor=office, campaign=campaign, name="组" * 200, leading_unit=unit("14"))


def test_coverage_must_lie_inside_the_forming_units_subtree(campaign, unit, persona, db):
    role_assign(actor=SYSTEM, person=persona("changzhi_head"), role="office", unit=unit("1404"))
    office = fresh(persona("changzhi_head"))
    group = services.group_create(actor=office, campaign=campaign, name="长治组", leading_unit=unit("1404"))
    with pytest.raises(ValidationError) as error:
        services.coverage_add(actor=office, group=group, unit=unit("1401"))
    assert "unit" in error.value.message_dict


# --- inspections -------------------------------------------------------------------------------------


def test_planned_inspection_carries_the_campaigns_checklist_and_announces_itself(planned, persona):
    keys = [item["key"] for item in planned.checklist]
    assert keys[:2] == ["leadership", "ledger_specific"]
    assert all(item["answer"] == "" for item in planned.checklist)
    assert Notification.objects.filter(
        recipient=persona("xiaodian_head"), text__contains="announced"
    ).exists()


def test_a_spot_check_is_not_announced(group, unit, persona):
    services.inspection_plan(
        actor=persona("office"),
        group=group,
        unit=unit("140106"),
        planned_on=timezone.localdate(),
        kind="spot",
    )
    assert not Notification.objects.filter(recipient=persona("yingze_clerk")).exists()


def test_inspection_outside_the_groups_coverage_is_refused(group, unit, persona):
    with pytest.raises(ValidationError):
        services.inspection_plan(
            actor=persona("office"), group=group, unit=unit("1404"), planned_on=timezone.localdate()
        )


def test_recording_stores_date_method_and_checklist_answers(recorded):
    answers = {item["key"]: item["answer"] for item in recorded.checklist}
    assert recorded.status == "recorded" and recorded.method == "document_review"
    assert answers["ledger_specific"] == "no" and answers["leadership"] == "yes"
    assert answers["no_formalism"] == ""


def test_recording_is_for_members_of_the_group_only(planned, persona, newcomer, unit):
    role_assign(actor=SYSTEM, person=newcomer, role="supervisor", unit=unit("1401"))
    with pytest.raises(PermissionDenied):
        services.inspection_record(
            actor=fresh(newcomer),
            inspection=planned,
            inspected_on=timezone.localdate(),
            method="site_visit",
            checked="x",
        )
    with pytest.raises(PermissionDenied):
        services.inspection_record(
            actor=persona("xiaodian_clerk"),
            inspection=planned,
            inspected_on=timezone.localdate(),
            method="site_visit",
            checked="x",
        )


def test_recording_rejects_bad_input_naming_the_field(planned, persona):
    supervisor = persona("taiyuan_supervisor")
    cases = [
        ({"inspected_on": timezone.localdate() + datetime.timedelta(days=3)}, "inspected_on"),
        ({"method": "telepathy"}, "method"),
        ({"checked": "  "}, "checked"),
        ({"answers": {"nonsense": ("yes", "")}}, "checklist"),
        ({"answers": {"leadership": ("maybe", "")}}, "checklist"),
        ({"answers": {"leadership": ("yes", "记" * 1001)}}, "checklist"),  # refused, not cut short
    ]
    for change, field in cases:
        values = {"inspected_on": timezone.localdate(), "method": "site_visit", "checked": "台账"}
        values.update(change)
        with pytest.raises(ValidationError) as error:
            services.inspection_record(actor=supervisor, inspection=planned, **values)
        assert field in error.value.message_dict
    planned.refresh_from_db()
    assert planned.status == "planned"


# --- findings ----------------------------------------------------------------------------------------


def test_a_finding_becomes_an_internal_supervision_problem_in_the_units_ledger(make_finding, campaign, unit):
    finding = make_finding()
    problem = finding.problem
    assert problem.source == ProblemSource.SUPERVISION
    assert problem.visibility == Visibility.INTERNAL == finding.visibility
    assert problem.unit == unit("140105") and problem.ledger.unit == unit("140105")
    assert problem.manifestation == finding.text
    assert finding.category.key == "work_style"  # no category given: the work-style one
    counted = Counter.objects.get(
        unit=unit("1401"), campaign=campaign, metric="problems", key="work_style|open"
    )
    assert counted.value == 1  # the subtree rollups see it at once
    assert AuditEntry.objects.filter(action="supervision.finding_record", object_id=str(finding.pk)).exists()


def test_default_deadline_is_twenty_working_days_from_today(make_finding):
    finding = make_finding()
    assert finding.deadline == deadline_after(timezone.localdate(), 20).due
    # Weekends are skipped: twenty working days span at least the three weekends between their four weeks
    # (exactly three when counting starts on a Sunday).
    assert (finding.deadline - timezone.localdate()).days >= 20 + 3 * 2


def test_the_unit_is_notified_in_app_and_by_mail(make_finding, persona, django_capture_on_commit_callbacks):
    type(persona("office")).objects.filter(username="xiaodian_head").update(email="head@example.cn")
    with django_capture_on_commit_callbacks(execute=True):
        finding = make_finding()
    for name in ("xiaodian_head", "xiaodian_clerk"):
        assert Notification.objects.filter(recipient=persona(name), url__endswith=f"/{finding.pk}/").exists()
    assert [message.to for message in mail.outbox] == [["head@example.cn"]]
    assert finding.text[:10] in mail.outbox[0].body


def test_the_finding_creates_the_ledger_when_the_unit_has_none(make_finding, unit, campaign):
    assert not Ledger.objects.filter(unit=unit("140105"), campaign=campaign).exists()
    make_finding()
    assert Ledger.objects.filter(unit=unit("140105"), campaign=campaign).exists()


def test_a_finding_after_sign_off_puts_the_ledger_back_to_draft(make_finding, unit, campaign):
    ledger = Ledger.objects.create(unit=unit("140105"), campaign=campaign, status=LedgerStatus.SUBMITTED)
    make_finding()
    ledger.refresh_from_db()
    assert ledger.status == LedgerStatus.DRAFT


def test_a_finding_from_an_alert_needs_no_inspection(campaign, unit, persona):
    finding = services.finding_record(
        actor=persona("taiyuan_supervisor"),
        unit=unit("140106"),
        campaign=campaign,
        text="以会议落实会议，同一内容一周开会三次。",
        origin="alert",
        origin_ref="alert:7",
    )
    assert finding.origin == "alert" and finding.origin_ref == "alert:7" and finding.inspection is None
    assert finding.problem.source == ProblemSource.SUPERVISION


def test_findings_outside_the_supervisors_subtree_are_refused(campaign, unit, persona):
    with pytest.raises(PermissionDenied):
        services.finding_record(
            actor=persona("taiyuan_supervisor"), unit=unit("1404"), campaign=campaign, text="x"
        )
    with pytest.raises(PermissionDenied):
        services.finding_record(
            actor=persona("xiaodian_clerk"), unit=unit("140105"), campaign=campaign, text="x"
        )
    assert not Finding.objects.exists() and not Problem.objects.exists()


def test_a_refused_upload_leaves_neither_finding_nor_problem(make_finding):
    from django.core.files.uploadedfile import SimpleUploadedFile

    bad = SimpleUploadedFile("photo.pdf", b"MZ\x90\x00 this is a program", content_type="application/pdf")
    with pytest.raises(ValidationError) as error:
        make_finding(uploads=[bad])
    assert "file" in error.value.message_dict
    assert not Finding.objects.exists() and not Problem.objects.exists()


def test_finding_evidence_is_stored_after_the_content_check(make_finding):
    finding = make_finding(uploads=[pdf_upload()], evidence_note="现场照片两张")
    assert finding.evidence.get().mime == "application/pdf"


def test_finding_input_errors_name_the_field(make_finding, campaign):
    from dalun.campaigns.models import ProblemCategory

    with pytest.raises(ValidationError) as error:
        make_finding(text="   ")
    assert "text" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        make_finding(deadline=timezone.localdate() - datetime.timedelta(days=1))
    assert "deadline" in error.value.message_dict
    other = ProblemCategory(campaign_id=campaign.pk + 1000, key="x", position=1, name={})
    with pytest.raises(ValidationError) as error:
        make_finding(category=other)
    assert "category" in error.value.message_dict


def test_a_finding_must_concern_the_inspected_unit(make_finding, unit):
    with pytest.raises(ValidationError) as error:
        make_finding(unit=unit("140106"))
    assert "unit" in error.value.message_dict


def test_the_unit_sees_its_findings_and_the_sibling_does_not(make_finding, unit, campaign, persona):
    finding = make_finding()
    mine = selectors.findings_for_unit(
        actor=persona("xiaodian_clerk"), unit=unit("140105"), campaign=campaign
    )
    assert list(mine) == [finding]
    above = selectors.findings_for_unit(
        actor=persona("taiyuan_supervisor"), unit=unit("1401"), campaign=campaign
    )
    assert list(above) == [finding]
    with pytest.raises(PermissionDenied):
        selectors.findings_for_unit(actor=persona("yingze_clerk"), unit=unit("140105"), campaign=campaign)


# --- rectification, notice, re-inspection ------------------------------------------------------------


def test_rectified_through_the_ledger_by_the_deadline_counts_on_time(
    make_finding, rectify, unit, campaign, persona
):
    on_time = make_finding()
    late = make_finding(text="关键环节佐证材料缺失。")
    still_open = make_finding(text="群众意见答复超期。", deadline=timezone.localdate())
    rectify(on_time)
    rectify(late, closed_on=late.deadline + datetime.timedelta(days=1))
    assert on_time.problem.status == ProblemStatus.RECTIFIED
    states = {
        f.pk: selectors.rectification_state(f)
        for f in selectors.findings_for_unit(
            actor=persona("xiaodian_clerk"), unit=unit("140105"), campaign=campaign
        )
    }
    assert states == {on_time.pk: "rectified_on_time", late.pk: "rectified_late", still_open.pk: "open"}
    later = timezone.localdate() + datetime.timedelta(days=1)
    assert selectors.rectification_state(Finding.objects.get(pk=still_open.pk), later) == "overdue"
    board = selectors.dashboard(actor=persona("office"), unit=unit("14"), campaign=campaign)
    assert (board.total, board.rectified, board.rectified_on_time, board.open) == (3, 2, 1, 1)
    assert board.on_time_rate == 50
    assert board.by_unit[0].unit == unit("140105") and board.by_unit[0].total == 3


def test_notice_lists_the_inspections_findings_and_goes_to_the_unit_head(make_finding, recorded, persona):
    first, second = make_finding(), make_finding(text="关键环节佐证材料缺失。")
    notice = services.notice_issue(
        actor=persona("taiyuan_supervisor"), inspection=recorded, text="限期整改，逐条销号。"
    )
    assert set(notice.findings.all()) == {first, second}
    assert notice.deadline == max(first.deadline, second.deadline)
    assert "张华" in notice.recipients
    assert Notification.objects.filter(recipient=persona("xiaodian_head"), text__contains="notice").exists()
    with pytest.raises(ValidationError):  # nothing left to notify
        services.notice_issue(actor=persona("taiyuan_supervisor"), inspection=recorded, text="再次")


def test_notice_needs_a_recorded_inspection_and_a_member(planned, recorded, make_finding, persona):
    make_finding()
    with pytest.raises(PermissionDenied):
        services.notice_issue(actor=persona("xiaodian_head"), inspection=recorded, text="x")


def test_reinspection_follows_a_recorded_inspection(recorded, planned, persona, unit, group):
    supervisor = persona("taiyuan_supervisor")
    again = services.inspection_plan(
        actor=supervisor,
        group=group,
        unit=unit("140105"),
        planned_on=timezone.localdate() + datetime.timedelta(days=30),
        kind="spot",
        follows=recorded,
    )
    assert again.follows == recorded and list(recorded.reinspections.all()) == [again]
    fresh_plan = services.inspection_plan(
        actor=persona("office"), group=group, unit=unit("140105"), planned_on=timezone.localdate()
    )
    with pytest.raises(ValidationError):  # only a recorded one can be inspected again
        services.inspection_plan(
            actor=supervisor,
            group=group,
            unit=unit("140105"),
            planned_on=timezone.localdate(),
            follows=fresh_plan,
        )
    with pytest.raises(ValidationError):  # and not before it happened
        services.inspection_plan(
            actor=supervisor,
            group=group,
            unit=unit("140105"),
            planned_on=timezone.localdate() - datetime.timedelta(days=1),
            follows=recorded,
        )

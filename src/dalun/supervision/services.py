"""Writes of supervision: groups, members and coverage (with the supervisor roles they imply), inspections,
findings (each one a problem in the unit's ledger) and rectification notices.

Every service checks the policy, runs in one transaction and leaves an audit entry; notifications go out
as in-app notices at once and as e-mail after commit.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping
from typing import Any, BinaryIO, cast

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from dalun.audit.services import audit_record
from dalun.campaigns.models import Campaign, ProblemCategory
from dalun.campaigns.services import phase_allows
from dalun.engines.filetypes import FileRejected, check_upload
from dalun.ledger import rollups
from dalun.ledger.choices import EventKind, LedgerStatus, ProblemSource, Visibility
from dalun.ledger.models import Event, Ledger, Problem
from dalun.ledger.services import EVIDENCE_MAX_BYTES, rejection_message
from dalun.org import policy
from dalun.org.choices import Role
from dalun.org.models import Person, RoleAssignment, Unit
from dalun.supervision.checklist import campaign_checklist
from dalun.supervision.choices import (
    ChecklistAnswer,
    FindingOrigin,
    InspectionKind,
    InspectionMethod,
    InspectionStatus,
    MemberRole,
)
from dalun.supervision.models import (
    Finding,
    FindingEvidence,
    GroupCoverage,
    GroupMember,
    GroupRoleGrant,
    Inspection,
    RectificationNotice,
    SupervisionGroup,
)
from dalun.voices.models import Notification
from dalun.workcalendar.selectors import deadline_after

#: Working days a unit has to rectify a finding when the campaign template does not say.
DEFAULT_FINDING_WORKING_DAYS = 20
#: Category keys preferred for a finding recorded without one (formalism is a matter of work style).
PREFERRED_CATEGORY_KEYS = ("work_style", "formalism")
UNIT_HEAD_ROLES = (Role.FIRST_RESPONSIBLE, Role.CLERK)


def _person(actor: Any) -> Any:
    return actor if getattr(actor, "is_authenticated", False) else None


def _notify(people: Iterable[Person], text: str, url: str) -> None:
    """An in-app notice to each person and an e-mail to those with an address, sent after commit."""
    people = list({person.pk: person for person in people}.values())
    Notification.objects.bulk_create(
        Notification(recipient=person, text=text[:300], url=url) for person in people
    )
    addresses = [person.email for person in people if person.email]
    if addresses:
        transaction.on_commit(
            lambda: send_mail(text[:150], f"{text}\n{url}", None, addresses, fail_silently=True)
        )


def unit_heads(unit: Unit) -> list[Person]:
    """Who answers for a unit's rectification: its first responsible person and clerks (held at the unit)."""
    return [
        a.person
        for a in RoleAssignment.objects.filter(unit=unit, role__in=UNIT_HEAD_ROLES)
        .select_related("person")
        .order_by("role", "person__username")
    ]


def _require_phase(campaign: Campaign) -> None:
    if not phase_allows(campaign, "supervision.inspect"):
        raise ValidationError(_("The campaign's current phase does not allow supervision."))


def is_member(actor: Any, group: SupervisionGroup) -> bool:
    if policy.is_system(actor):
        return True
    return bool(actor.pk) and GroupMember.objects.filter(group=group, person_id=actor.pk).exists()


def _require_member(actor: Any, group: SupervisionGroup, unit: Unit) -> None:
    """A supervisor acts only for a group they belong to, and only inside the units it covers."""
    policy.require(actor, "supervision.inspect", unit)
    if not is_member(actor, group):
        raise PermissionDenied("not a member of this supervision group")
    if not covers(group, unit):
        raise PermissionDenied("the group does not cover this unit")


def covers(group: SupervisionGroup, unit: Unit) -> bool:
    """Does the group supervise ``unit`` (a covered unit covers its whole subtree)?"""
    return any(unit.is_within(row.unit) for row in group.coverage.select_related("unit"))


# --- groups, members, coverage ---------------------------------------------------------------------


@transaction.atomic
def group_create(*, actor: Any, campaign: Campaign, name: str, leading_unit: Unit) -> SupervisionGroup:
    """The leading-group office forms a liaison supervision group within its campaign and its subtree."""
    policy.require(actor, "supervision.manage", leading_unit)
    if not leading_unit.is_within(campaign.owner_unit) and not campaign.owner_unit.is_within(leading_unit):
        raise ValidationError({"leading_unit": _("This unit takes no part in the campaign.")})
    name = name.strip()
    if not name:
        raise ValidationError({"name": _("Give the group a name.")})
    group = SupervisionGroup.objects.create(
        campaign=campaign, name=name[:200], leading_unit=leading_unit, created_by=_person(actor)
    )
    audit_record(
        actor=actor, action="supervision.group_create", obj=group, changes={"name": [None, group.name]}
    )
    return group


@transaction.atomic
def group_rename(
    *, actor: Any, group: SupervisionGroup, name: str, expected_version: int
) -> SupervisionGroup:
    policy.require(actor, "supervision.manage", group.leading_unit)
    current = SupervisionGroup.objects.select_for_update().get(pk=group.pk)
    if current.version != expected_version:
        raise ValidationError(_("This group was changed by someone else since you opened it."))
    name = name.strip()
    if not name:
        raise ValidationError({"name": _("Give the group a name.")})
    before, current.name = current.name, name[:200]
    current.version += 1
    current.save(update_fields=["name", "version"])
    audit_record(
        actor=actor, action="supervision.group_rename", obj=current, changes={"name": [before, current.name]}
    )
    return current


@transaction.atomic
def member_add(
    *, actor: Any, group: SupervisionGroup, person: Person, role: str = MemberRole.MEMBER
) -> GroupMember:
    """Add a person to the group; they become a supervisor of every unit the group covers."""
    policy.require(actor, "supervision.manage", group.leading_unit)
    if role not in MemberRole.values:
        raise ValidationError({"role": _("Unknown role in the group.")})
    member, created = GroupMember.objects.get_or_create(group=group, person=person, defaults={"role": role})
    if not created and member.role != role:
        GroupMember.objects.filter(pk=member.pk).update(role=role)
        member.role = role
    _sync_grants(actor, [person.pk])
    audit_record(
        actor=actor,
        action="supervision.member_add",
        obj=group,
        changes={"person": [None, person.username], "role": [None, role]},
    )
    return member


@transaction.atomic
def member_remove(*, actor: Any, group: SupervisionGroup, person: Person) -> None:
    policy.require(actor, "supervision.manage", group.leading_unit)
    deleted, _rows = GroupMember.objects.filter(group=group, person=person).delete()
    if not deleted:
        raise ValidationError({"person": _("This person is not a member of the group.")})
    _sync_grants(actor, [person.pk])
    audit_record(
        actor=actor,
        action="supervision.member_remove",
        obj=group,
        changes={"person": [person.username, None]},
    )


@transaction.atomic
def coverage_add(*, actor: Any, group: SupervisionGroup, unit: Unit) -> GroupCoverage:
    """The group will supervise ``unit``'s subtree; its members become supervisors there."""
    policy.require(actor, "supervision.manage", group.leading_unit)
    if not unit.is_within(group.leading_unit):
        raise ValidationError(
            {"unit": _("The unit must lie within the subtree of the unit forming the group.")}
        )
    coverage, _created = GroupCoverage.objects.get_or_create(group=group, unit=unit)
    _sync_grants(actor, list(group.members.values_list("person_id", flat=True)))
    audit_record(
        actor=actor,
        action="supervision.coverage_add",
        obj=group,
        changes={"unit": [None, unit.code or unit.pk]},
    )
    return coverage


@transaction.atomic
def coverage_remove(*, actor: Any, group: SupervisionGroup, unit: Unit) -> None:
    policy.require(actor, "supervision.manage", group.leading_unit)
    deleted, _rows = GroupCoverage.objects.filter(group=group, unit=unit).delete()
    if not deleted:
        raise ValidationError({"unit": _("The group does not cover this unit.")})
    _sync_grants(actor, list(group.members.values_list("person_id", flat=True)))
    audit_record(
        actor=actor,
        action="supervision.coverage_remove",
        obj=group,
        changes={"unit": [unit.code or unit.pk, None]},
    )


def _sync_grants(actor: Any, person_ids: Iterable[int]) -> None:
    """Make the supervisor role assignments of these people match their groups' membership x coverage.

    Wanted pairs (person, unit) without any supervisor assignment get one, marked as a group grant; granted
    assignments no group wants any more are removed. Assignments given by hand are left alone.
    """
    person_ids = sorted(set(person_ids))
    if not person_ids:
        return
    wanted = set(
        GroupCoverage.objects.filter(group__members__person_id__in=person_ids).values_list(
            "group__members__person_id", "unit_id"
        )
    )
    existing = {
        (a.person_id, a.unit_id): a
        for a in RoleAssignment.objects.filter(person_id__in=person_ids, role=Role.SUPERVISOR)
    }
    granted = set(
        GroupRoleGrant.objects.filter(assignment__in=[a.pk for a in existing.values()]).values_list(
            "assignment_id", flat=True
        )
    )
    for pair, assignment in existing.items():
        if pair not in wanted and assignment.pk in granted:
            audit_record(
                actor=actor,
                action="role.revoke",
                obj=assignment,
                changes={"person": assignment.person_id, "role": Role.SUPERVISOR, "unit": assignment.unit_id},
            )
            assignment.delete()
    for person_id, unit_id in sorted(wanted - set(existing)):
        assignment = RoleAssignment.objects.create(person_id=person_id, role=Role.SUPERVISOR, unit_id=unit_id)
        GroupRoleGrant.objects.create(assignment=assignment)
        audit_record(
            actor=actor,
            action="role.assign",
            obj=assignment,
            changes={
                "person": person_id,
                "role": Role.SUPERVISOR,
                "unit": unit_id,
                "by": "supervision group",
            },
        )


# --- inspections -----------------------------------------------------------------------------------


@transaction.atomic
def inspection_plan(
    *,
    actor: Any,
    group: SupervisionGroup,
    unit: Unit,
    planned_on: datetime.date,
    kind: str = InspectionKind.ANNOUNCED,
    follows: Inspection | None = None,
) -> Inspection:
    """Plan an inspection (announced, or a spot check) of a covered unit, with the campaign's checklist.

    The office plans for its groups; a member of the group may schedule a re-inspection (``follows``).
    """
    if not policy.allows(actor, "supervision.manage", group.leading_unit):
        _require_member(actor, group, unit)
    if kind not in InspectionKind.values:
        raise ValidationError({"kind": _("Choose an announced inspection or a spot check.")})
    if not covers(group, unit):
        raise ValidationError({"unit": _("The group does not cover this unit.")})
    if follows is not None:
        if (
            follows.group_id != group.pk
            or not unit.is_within(follows.unit)
            and not follows.unit.is_within(unit)
        ):
            raise ValidationError(
                {"follows": _("A re-inspection follows an inspection of the same unit by the same group.")}
            )
        if follows.status != InspectionStatus.RECORDED:
            raise ValidationError({"follows": _("Only a recorded inspection can be inspected again.")})
        if planned_on < (follows.inspected_on or follows.planned_on):
            raise ValidationError({"planned_on": _("A re-inspection comes after the inspection it follows.")})
    checklist = [
        {"key": item.key, "text": item.text, "answer": "", "note": ""}
        for item in campaign_checklist(group.campaign)
    ]
    inspection = Inspection.objects.create(
        group=group,
        unit=unit,
        campaign=group.campaign,
        kind=kind,
        planned_on=planned_on,
        checklist=checklist,
        follows=follows,
        created_by=_person(actor),
    )
    audit_record(
        actor=actor,
        action="supervision.inspection_plan",
        obj=inspection,
        changes={
            "unit": [None, unit.code or unit.pk],
            "kind": [None, kind],
            "planned_on": [None, planned_on.isoformat()],
            "follows": [None, follows.pk if follows else None],
        },
    )
    if kind == InspectionKind.ANNOUNCED:  # a spot check is, by definition, not announced to the unit
        _notify(
            unit_heads(unit),
            _("Supervision inspection announced for %(date)s: %(group)s")
            % {"date": planned_on.isoformat(), "group": group.name},
            reverse("supervision-findings", args=[unit.pk, group.campaign.key]),
        )
    return inspection


@transaction.atomic
def inspection_record(
    *,
    actor: Any,
    inspection: Inspection,
    inspected_on: datetime.date,
    method: str,
    checked: str,
    answers: Mapping[str, tuple[str, str]] | None = None,
    expected_version: int | None = None,
) -> Inspection:
    """Record how a planned inspection went: date, method, what was checked and the checklist answers.

    Findings are recorded next with :func:`finding_record` (``inspection=`` this one).
    """
    current = (
        Inspection.objects.select_for_update().select_related("group__campaign", "unit").get(pk=inspection.pk)
    )
    _require_member(actor, current.group, current.unit)
    _require_phase(current.campaign)
    if expected_version is not None and current.version != expected_version:
        raise ValidationError(_("This inspection was changed by someone else since you opened it."))
    if inspected_on > timezone.localdate():
        raise ValidationError({"inspected_on": _("The date cannot be in the future.")})
    if method not in InspectionMethod.values:
        raise ValidationError({"method": _("Choose how the inspection was carried out.")})
    if not checked.strip():
        raise ValidationError({"checked": _("Say what was checked.")})
    answers = answers or {}
    keys = {item["key"] for item in current.checklist}
    unknown = sorted(set(answers) - keys)
    if unknown:
        raise ValidationError({"checklist": _("Unknown checklist item: %(key)s") % {"key": unknown[0]}})
    checklist = []
    for item in current.checklist:
        answer, note = answers.get(item["key"], (item.get("answer", ""), item.get("note", "")))
        if answer not in ChecklistAnswer.values:
            raise ValidationError(
                {"checklist": _("Unknown answer for checklist item %(key)s.") % {"key": item["key"]}}
            )
        checklist.append({**item, "answer": answer, "note": note.strip()[:1000]})
    before = current.status
    current.inspected_on, current.method, current.checked, current.checklist = (
        inspected_on,
        method,
        checked.strip(),
        checklist,
    )
    current.status = InspectionStatus.RECORDED
    current.recorded_by = _person(actor)
    current.version += 1
    current.full_clean()
    current.save()
    audit_record(
        actor=actor,
        action="supervision.inspection_record",
        obj=current,
        changes={
            "status": [before, current.status],
            "inspected_on": [None, inspected_on.isoformat()],
            "method": [None, method],
        },
    )
    return current


# --- findings ----------------------------------------------------------------------------------------


def default_category(campaign: Campaign) -> ProblemCategory:
    """The category a finding gets when none is given: work style (formalism) if the campaign has it."""
    categories = list(campaign.categories.order_by("position"))
    if not categories:
        raise ValidationError({"category": _("The campaign has no problem categories.")})
    for key in PREFERRED_CATEGORY_KEYS:
        for category in categories:
            if category.key == key:
                return category
    return categories[0]


def finding_deadline(campaign: Campaign, start: datetime.date | None = None) -> tuple[datetime.date, bool]:
    """The default rectification deadline of a finding, in working days from ``start`` (today)."""
    days = int(campaign.deadlines.get("finding_rectification_working_days", DEFAULT_FINDING_WORKING_DAYS))
    counted = deadline_after(start or timezone.localdate(), days)
    return counted.due, counted.estimated


@transaction.atomic
def finding_record(
    *,
    actor: Any,
    unit: Unit,
    campaign: Campaign,
    text: str,
    category: ProblemCategory | None = None,
    deadline: datetime.date | None = None,
    inspection: Inspection | None = None,
    origin: str = "inspection",
    origin_ref: str = "",
    evidence_note: str = "",
    uploads: Iterable[UploadedFile] = (),
    visibility: str = Visibility.INTERNAL,
) -> Finding:
    """Record a finding and, in the same transaction, the problem it becomes in the unit's ledger.

    The problem has source "supervision" and is rectified through the unit's ordinary measures; the
    unit's ledger is created if it has none. ``origin`` is "inspection" or "alert" (a confirmed formalism
    alert, ``origin_ref`` naming it, e.g. ``alert:12``). Without ``deadline`` the unit gets the campaign's
    finding deadline in working days from today. The unit's head and clerks are notified.
    """
    if inspection is not None:
        _require_member(actor, inspection.group, unit)
        if inspection.campaign_id != campaign.pk or not unit.is_within(inspection.unit):
            raise ValidationError(
                {"unit": _("The finding must concern the inspected unit or a unit below it.")}
            )
    elif not (
        policy.allows(actor, "supervision.inspect", unit) or policy.allows(actor, "supervision.manage", unit)
    ):
        raise PermissionDenied("supervision.inspect is not allowed on this unit")
    _require_phase(campaign)
    if origin not in FindingOrigin.values:
        raise ValidationError({"origin": _("Unknown origin of the finding.")})
    if visibility not in Visibility.values:
        raise ValidationError({"visibility": _("Unknown visibility.")})
    text = text.strip()
    if not text:
        raise ValidationError({"text": _("Describe what was found.")})
    if category is None:
        category = default_category(campaign)
    elif category.campaign_id != campaign.pk:
        raise ValidationError({"category": _("This category belongs to another campaign.")})
    estimated = False
    if deadline is None:
        deadline, estimated = finding_deadline(campaign)
    elif deadline < timezone.localdate():
        raise ValidationError({"deadline": _("The deadline cannot be in the past.")})

    ledger, created = Ledger.objects.get_or_create(unit=unit, campaign=campaign)
    if created:
        audit_record(actor=actor, action="ledger.open", obj=ledger)
    problem = Problem(
        ledger=ledger,
        unit=unit,
        campaign=campaign,
        category=category,
        manifestation=text,
        source=ProblemSource.SUPERVISION,
        visibility=visibility,
        created_by=_person(actor),
    )
    problem.full_clean()
    problem.save()
    rollups.apply(
        unit=unit,
        campaign_id=campaign.pk,
        delta=rollups.problem_contribution(category_key=category.key, status=problem.status),
    )
    if ledger.status in {LedgerStatus.SUBMITTED, LedgerStatus.ACCEPTED}:
        # As for any problem added after sign-off, the ledger goes back to draft to be approved again.
        Ledger.objects.filter(pk=ledger.pk).update(status=LedgerStatus.DRAFT, version=F("version") + 1)
        Event.objects.create(ledger=ledger, kind=EventKind.REOPENED, actor=_person(actor))
    finding = Finding.objects.create(
        inspection=inspection,
        unit=unit,
        campaign=campaign,
        category=category,
        text=text,
        evidence_note=evidence_note.strip(),
        deadline=deadline,
        deadline_estimated=estimated,
        problem=problem,
        origin=origin,
        origin_ref=origin_ref[:100],
        visibility=visibility,
        created_by=_person(actor),
    )
    for upload in uploads:
        _store_evidence(actor=actor, finding=finding, upload=upload)
    Event.objects.create(
        ledger=ledger,
        kind=EventKind.CREATED,
        actor=_person(actor),
        text=_("Supervision finding, to be rectified by %(date)s: %(text)s")
        % {"date": deadline.isoformat(), "text": text[:200]},
    )
    audit_record(
        actor=actor,
        action="problem.create",
        obj=problem,
        changes={"source": [None, ProblemSource.SUPERVISION], "finding": [None, finding.pk]},
    )
    audit_record(
        actor=actor,
        action="supervision.finding_record",
        obj=finding,
        changes={
            "unit": [None, unit.code or unit.pk],
            "deadline": [None, deadline.isoformat()],
            "origin": [None, origin],
            "origin_ref": [None, origin_ref],
            "problem": [None, problem.pk],
        },
    )
    _notify(
        unit_heads(unit),
        _("New supervision finding to rectify by %(date)s: %(text)s")
        % {"date": deadline.isoformat(), "text": text[:120]},
        reverse("supervision-finding", args=[finding.pk]),
    )
    return finding


def _store_evidence(*, actor: Any, finding: Finding, upload: UploadedFile) -> FindingEvidence:
    try:
        kind = check_upload(
            cast(BinaryIO, upload), declared_name=upload.name or "", max_bytes=EVIDENCE_MAX_BYTES
        )
    except FileRejected as rejected:
        raise ValidationError({"file": rejection_message(rejected)}) from None
    upload.seek(0)
    return FindingEvidence.objects.create(
        finding=finding,
        file=upload,
        original_name=(upload.name or "evidence")[:255],
        mime=kind.mime,
        size=upload.size or 0,
        uploaded_by=_person(actor),
    )


@transaction.atomic
def finding_evidence_attach(*, actor: Any, finding: Finding, upload: UploadedFile) -> FindingEvidence:
    """Add a file to a finding already recorded (a photo taken on site, a document seen)."""
    if finding.inspection is not None:
        _require_member(actor, finding.inspection.group, finding.unit)
    else:
        policy.require(actor, "supervision.inspect", finding.unit)
    evidence = _store_evidence(actor=actor, finding=finding, upload=upload)
    audit_record(
        actor=actor,
        action="supervision.finding_evidence",
        obj=finding,
        changes={"file": [None, evidence.original_name], "mime": [None, evidence.mime]},
    )
    return evidence


# --- notices -----------------------------------------------------------------------------------------


@transaction.atomic
def notice_issue(
    *,
    actor: Any,
    inspection: Inspection,
    text: str,
    deadline: datetime.date | None = None,
) -> RectificationNotice:
    """Issue a rectification notice to the inspected unit's head for the inspection's findings.

    The notice lists the findings not yet in a notice; its deadline defaults to the latest of theirs.
    """
    _require_member(actor, inspection.group, inspection.unit)
    if inspection.status != InspectionStatus.RECORDED:
        raise ValidationError(_("Record the inspection before issuing a notice."))
    findings = list(inspection.findings.filter(notice__isnull=True).order_by("id"))
    if not findings:
        raise ValidationError(_("Every finding of this inspection is already in a notice, or there is none."))
    text = text.strip()
    if not text:
        raise ValidationError({"text": _("Write the rectification requirements.")})
    estimated = False
    if deadline is None:
        latest = max(findings, key=lambda finding: finding.deadline)
        deadline, estimated = latest.deadline, latest.deadline_estimated
    elif deadline < timezone.localdate():
        raise ValidationError({"deadline": _("The deadline cannot be in the past.")})
    heads = unit_heads(inspection.unit)
    notice = RectificationNotice.objects.create(
        inspection=inspection,
        unit=inspection.unit,
        text=text,
        deadline=deadline,
        deadline_estimated=estimated,
        recipients=", ".join(str(person) for person in heads)[:300],
        issued_by=_person(actor),
    )
    Finding.objects.filter(pk__in=[finding.pk for finding in findings]).update(notice=notice)
    audit_record(
        actor=actor,
        action="supervision.notice_issue",
        obj=notice,
        changes={
            "findings": [None, [finding.pk for finding in findings]],
            "deadline": [None, deadline.isoformat()],
        },
    )
    _notify(
        heads,
        _("Rectification notice from %(group)s: %(count)s findings to rectify by %(date)s")
        % {"group": inspection.group.name, "count": len(findings), "date": deadline.isoformat()},
        reverse("supervision-findings", args=[inspection.unit_id, inspection.campaign.key]),
    )
    return notice

"""Inspections: planned (announced or spot checks) and recorded with the template's checklist."""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from dalun.audit.services import audit_record
from dalun.org import policy
from dalun.org.models import Unit
from dalun.supervision.checklist import campaign_checklist
from dalun.supervision.choices import (
    ChecklistAnswer,
    InspectionKind,
    InspectionMethod,
    InspectionStatus,
)
from dalun.supervision.models import (
    Inspection,
    SupervisionGroup,
)
from dalun.supervision.services._shared import (
    _person,
    _require_member,
    _require_phase,
    covers,
    unit_heads,
)
from dalun.voices.notifications import notify

CHECKLIST_NOTE_MAX = 1000  # characters of the note on one checklist item


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
        notify(
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
        if len(note.strip()) > CHECKLIST_NOTE_MAX:
            raise ValidationError(
                {"checklist": _("At most %(max)s characters.") % {"max": CHECKLIST_NOTE_MAX}}
            )
        checklist.append({**item, "answer": answer, "note": note.strip()})
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

"""Rectification notices: an inspection's findings sent to the unit's heads with a deadline."""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from dalun.audit.services import audit_record
from dalun.supervision.choices import (
    InspectionStatus,
)
from dalun.supervision.models import (
    Finding,
    Inspection,
    RectificationNotice,
)
from dalun.supervision.services._shared import (
    _person,
    _require_member,
    unit_heads,
)
from dalun.voices.notifications import notify


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
    notify(
        heads,
        _("Rectification notice from %(group)s: %(count)s findings to rectify by %(date)s")
        % {"group": inspection.group.name, "count": len(findings), "date": deadline.isoformat()},
        reverse("supervision-findings", args=[inspection.unit_id, inspection.campaign.key]),
    )
    return notice

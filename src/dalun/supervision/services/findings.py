"""Findings: each one a supervision problem in the inspected unit's ledger, with a deadline and evidence."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from dalun.audit.services import audit_record
from dalun.campaigns.models import Campaign, ProblemCategory
from dalun.campaigns.services import campaign_deadline
from dalun.ledger import rollups
from dalun.ledger.choices import EventKind, LedgerStatus, ProblemSource, Visibility
from dalun.ledger.models import Event, Ledger, Problem
from dalun.ledger.services import EVIDENCE_MAX_BYTES, checked_upload
from dalun.org import policy
from dalun.org.models import Unit
from dalun.supervision.choices import (
    FindingOrigin,
)
from dalun.supervision.models import (
    Finding,
    FindingEvidence,
    Inspection,
)
from dalun.supervision.services._shared import (
    DEFAULT_FINDING_WORKING_DAYS,
    PREFERRED_CATEGORY_KEYS,
    _person,
    _require_member,
    _require_phase,
    unit_heads,
)
from dalun.voices.notifications import notify


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
    key = "finding_rectification_working_days"
    deadline = campaign_deadline(campaign, key, DEFAULT_FINDING_WORKING_DAYS, start=start)
    return deadline.due, deadline.estimated


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
    notify(
        unit_heads(unit),
        _("New supervision finding to rectify by %(date)s: %(text)s")
        % {"date": deadline.isoformat(), "text": text[:120]},
        reverse("supervision-finding", args=[finding.pk]),
    )
    return finding


def _store_evidence(*, actor: Any, finding: Finding, upload: UploadedFile) -> FindingEvidence:
    kind = checked_upload(upload, max_bytes=EVIDENCE_MAX_BYTES)
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

"""Writes to the ledger: problems, measures, progress, evidence, sign-off and key-link progress.

Every service checks the policy and the campaign phase, runs in one transaction, adjusts the subtree
rollups, appends to the timeline and leaves an audit entry.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any, BinaryIO, cast

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from dalun.audit.services import audit_record, diff_fields
from dalun.campaigns.models import Campaign, KeyLinkObligation, ProblemCategory
from dalun.campaigns.services import campaign_deadline, phase_allows
from dalun.engines.filetypes import FileKind, FileRejected, check_upload
from dalun.ledger import rollups
from dalun.ledger.choices import EventKind, KeyLinkStatus, LedgerStatus, MeasureStatus, ProblemStatus
from dalun.ledger.models import Event, Evidence, KeyLinkProgress, Ledger, Measure, Problem
from dalun.org import policy
from dalun.org.models import Unit
from dalun.workcalendar.selectors import deadline_after

EVIDENCE_MAX_BYTES = 20 * 1024 * 1024
PROBLEM_FIELDS = ("category_id", "manifestation", "source", "visibility")
MEASURE_FIELDS = ("action", "indicator", "baseline", "target", "target_unit", "owner", "deadline")


class ConcurrentEditError(Exception):
    """Someone saved the record after ``expected_version``; ``current`` holds what they saved."""

    def __init__(self, current: dict[str, Any]):
        self.current = current
        super().__init__(_("This record was changed by someone else since you opened it."))


def _person(actor: Any) -> Any:
    return actor if getattr(actor, "is_authenticated", False) else None


def _require_phase(campaign: Campaign, capability: str) -> None:
    if not phase_allows(campaign, capability):
        raise ValidationError(_("The campaign's current phase does not allow this."))


def _event(
    ledger: Ledger,
    kind: str,
    actor: Any,
    *,
    measure: Measure | None = None,
    text: str = "",
    percent: int | None = None,
) -> Event:
    return Event.objects.create(
        ledger=ledger, measure=measure, kind=kind, text=text, percent=percent, actor=_person(actor)
    )


def _reopen_if_signed(ledger: Ledger, actor: Any) -> None:
    """A change to the ledger's content after sign-off sends it back to draft: it must be approved again."""
    if ledger.status in {LedgerStatus.SUBMITTED, LedgerStatus.ACCEPTED}:
        ledger.status = LedgerStatus.DRAFT
        ledger.version += 1
        ledger.save(update_fields=["status", "version", "updated_at"])
        _event(ledger, EventKind.REOPENED, actor)


def _check_version(record: Any, expected_version: int, fields: tuple[str, ...]) -> None:
    if record.version != expected_version:
        raise ConcurrentEditError({name: getattr(record, name) for name in fields})


@transaction.atomic
def ledger_open(*, actor: Any, unit: Unit, campaign: Campaign) -> Ledger:
    """The unit's ledger in the campaign, created empty the first time someone who may edit it asks."""
    policy.require(actor, "ledger.edit", unit)
    ledger, created = Ledger.objects.get_or_create(unit=unit, campaign=campaign)
    if created:
        audit_record(actor=actor, action="ledger.open", obj=ledger)
    return ledger


@transaction.atomic
def problem_create(
    *, actor: Any, ledger: Ledger, category: ProblemCategory, manifestation: str, source: str, visibility: str
) -> Problem:
    policy.require(actor, "ledger.edit", ledger.unit)
    _require_phase(ledger.campaign, "ledger.edit")
    if category.campaign_id != ledger.campaign_id:
        raise ValidationError({"category": _("This category belongs to another campaign.")})
    problem = Problem(
        ledger=ledger,
        unit=ledger.unit,
        campaign=ledger.campaign,
        category=category,
        manifestation=manifestation.strip(),
        source=source,
        visibility=visibility,
        created_by=_person(actor),
    )
    problem.full_clean()
    problem.save()
    rollups.apply(
        unit=ledger.unit,
        campaign_id=ledger.campaign_id,
        delta=rollups.problem_contribution(category_key=category.key, status=problem.status),
    )
    _reopen_if_signed(ledger, actor)
    audit_record(
        actor=actor,
        action="problem.create",
        obj=problem,
        changes={name: [None, str(getattr(problem, name))] for name in PROBLEM_FIELDS},
    )
    return problem


@transaction.atomic
def problem_update(*, actor: Any, problem: Problem, expected_version: int, **changes: Any) -> Problem:
    policy.require(actor, "ledger.edit", problem.unit)
    _require_phase(problem.campaign, "ledger.edit")
    current = Problem.objects.select_for_update().select_related("category", "ledger").get(pk=problem.pk)
    _check_version(current, expected_version, PROBLEM_FIELDS)
    before = {name: getattr(current, name) for name in PROBLEM_FIELDS}
    old = rollups.problem_contribution(category_key=current.category.key, status=current.status)
    for name, value in changes.items():
        if name not in PROBLEM_FIELDS:
            raise ValueError(f"not editable: {name}")
        setattr(current, name, value)
    current.full_clean()
    current.version += 1
    current.save()
    current.refresh_from_db(fields=["category"])
    new = rollups.problem_contribution(category_key=current.category.key, status=current.status)
    rollups.apply(unit=current.unit, campaign_id=current.campaign_id, delta=new - old)
    _reopen_if_signed(current.ledger, actor)
    audit_record(
        actor=actor,
        action="problem.update",
        obj=current,
        changes=diff_fields(before, {name: getattr(current, name) for name in PROBLEM_FIELDS}),
    )
    return current


def default_deadline(*, campaign: Campaign, start: datetime.date | None = None) -> tuple[datetime.date, bool]:
    """The campaign's default rectification deadline counted in working days from ``start`` (today)."""
    deadline = campaign_deadline(campaign, "problem_rectification_default_working_days", 60, start=start)
    return deadline.due, deadline.estimated


@transaction.atomic
def measure_create(
    *,
    actor: Any,
    problem: Problem,
    action: str,
    indicator: str,
    target: Decimal,
    owner: str,
    deadline: datetime.date | None = None,
    working_days: int | None = None,
    baseline: Decimal | None = None,
    target_unit: str = "",
) -> Measure:
    """Commit to a measure; the deadline is a date, or a number of working days from today."""
    policy.require(actor, "ledger.edit", problem.unit)
    _require_phase(problem.campaign, "ledger.edit")
    estimated = False
    if deadline is None:
        if working_days is None:
            deadline, estimated = default_deadline(campaign=problem.campaign)
        else:
            counted = deadline_after(timezone.localdate(), working_days)
            deadline, estimated = counted.due, counted.estimated
    measure = Measure(
        problem=problem,
        unit=problem.unit,
        campaign=problem.campaign,
        action=action.strip(),
        indicator=indicator.strip(),
        baseline=baseline,
        target=target,
        target_unit=target_unit,
        owner=owner.strip(),
        deadline=deadline,
        deadline_estimated=estimated,
        created_by=_person(actor),
    )
    measure.full_clean()
    measure.save()
    rollups.apply(
        unit=problem.unit, campaign_id=problem.campaign_id, delta=rollups.measure_contribution(measure)
    )
    _problem_status_follow(problem)
    _reopen_if_signed(problem.ledger, actor)
    _event(problem.ledger, EventKind.CREATED, actor, measure=measure)
    audit_record(
        actor=actor,
        action="measure.create",
        obj=measure,
        changes={name: [None, str(getattr(measure, name))] for name in MEASURE_FIELDS},
    )
    return measure


@transaction.atomic
def measure_update(*, actor: Any, measure: Measure, expected_version: int, **changes: Any) -> Measure:
    """Change a measure's commitment; refused if someone saved it after ``expected_version``."""
    policy.require(actor, "ledger.edit", measure.unit)
    _require_phase(measure.campaign, "ledger.edit")
    current = Measure.objects.select_for_update().select_related("problem__ledger").get(pk=measure.pk)
    _check_version(current, expected_version, MEASURE_FIELDS)
    if current.status == MeasureStatus.CLOSED:
        raise ValidationError(_("A closed measure cannot be changed."))
    before = {name: getattr(current, name) for name in MEASURE_FIELDS}
    old = rollups.measure_contribution(current)
    for name, value in changes.items():
        if name not in MEASURE_FIELDS:
            raise ValueError(f"not editable: {name}")
        setattr(current, name, value)
    if "deadline" in changes:
        current.deadline_estimated = False
    current.full_clean()
    current.version += 1
    current.save()
    rollups.apply(
        unit=current.unit, campaign_id=current.campaign_id, delta=rollups.measure_contribution(current) - old
    )
    _reopen_if_signed(current.problem.ledger, actor)
    after = {name: getattr(current, name) for name in MEASURE_FIELDS}
    _event(current.problem.ledger, EventKind.EDITED, actor, measure=current)
    audit_record(
        actor=actor,
        action="measure.update",
        obj=current,
        changes={k: [str(v[0]), str(v[1])] for k, v in diff_fields(before, after).items()},
    )
    return current


@transaction.atomic
def measure_progress(*, actor: Any, measure: Measure, percent: int, text: str) -> Event:
    """Post a progress update (percentage and what was done) to the measure's timeline."""
    policy.require(actor, "ledger.edit", measure.unit)
    if not 0 <= percent <= 100:
        raise ValidationError({"percent": _("Progress is a percentage from 0 to 100.")})
    if not text.strip():
        raise ValidationError({"text": _("Say what was done.")})
    current = Measure.objects.select_for_update().select_related("problem__ledger").get(pk=measure.pk)
    if current.status == MeasureStatus.CLOSED:
        raise ValidationError(_("This measure is closed."))
    before = current.progress
    current.progress = percent
    current.save(update_fields=["progress"])
    audit_record(actor=actor, action="measure.progress", obj=current, changes={"progress": [before, percent]})
    return _event(
        current.problem.ledger, EventKind.PROGRESS, actor, measure=current, text=text.strip(), percent=percent
    )


def rejection_message(rejected: FileRejected) -> str:
    """The refusal of an upload, in the reader's language."""
    params = dict(rejected.params)
    if "limit" in params:
        params["limit"] = int(params["limit"]) // (1024 * 1024)  # type: ignore[call-overload]
    messages = {
        "empty": _("“%(name)s” is empty."),
        "too_large": _("“%(name)s” is larger than the limit of %(limit)s MB."),
        "unknown_type": _("The content of “%(name)s” is not a PDF, an image or an office document."),
        "forbidden_type": _("“%(name)s” is not accepted as evidence: its content is %(actual)s."),
        "extension_mismatch": _(
            "“%(name)s” is named .%(declared)s, but its content is %(actual)s (.%(extension)s)."
        ),
        "damaged": _(
            "“%(name)s” looks like a %(label)s but is damaged or incomplete; save or export it again."
        ),
    }
    return messages[rejected.code] % params if rejected.code in messages else str(rejected)


def checked_upload(upload: UploadedFile, *, max_bytes: int, field: str = "file") -> FileKind:
    """What an uploaded file really is (its content, not its name), rewound to be stored; a file refused
    by its content or size is a ValidationError on ``field`` saying why."""
    try:
        kind = check_upload(cast(BinaryIO, upload), declared_name=upload.name or "", max_bytes=max_bytes)
    except FileRejected as rejected:
        raise ValidationError({field: rejection_message(rejected)}) from None
    upload.seek(0)
    return kind


def _stored_evidence(*, actor: Any, upload: UploadedFile, unit: Unit, **owner: Any) -> Evidence:
    kind = checked_upload(upload, max_bytes=EVIDENCE_MAX_BYTES)
    return Evidence.objects.create(
        file=upload,
        original_name=(upload.name or "evidence")[:255],
        mime=kind.mime,
        size=upload.size or 0,
        unit=unit,
        uploaded_by=_person(actor),
        **owner,
    )


@transaction.atomic
def evidence_attach(*, actor: Any, measure: Measure, upload: UploadedFile) -> Evidence:
    """Attach a file to a measure; its type is checked from its content, not its name."""
    policy.require(actor, "ledger.edit", measure.unit)
    evidence = _stored_evidence(actor=actor, upload=upload, unit=measure.unit, measure=measure)
    _event(measure.problem.ledger, EventKind.EVIDENCE, actor, measure=measure, text=evidence.original_name)
    audit_record(
        actor=actor,
        action="evidence.attach",
        obj=evidence,
        changes={"measure": [None, measure.pk], "mime": [None, evidence.mime]},
    )
    return evidence


@transaction.atomic
def measure_request_close(*, actor: Any, measure: Measure, text: str = "") -> Measure:
    """The unit says the measure is done; it needs evidence, and then the level above verifies it."""
    policy.require(actor, "ledger.edit", measure.unit)
    current = Measure.objects.select_for_update().select_related("problem__ledger").get(pk=measure.pk)
    if current.status != MeasureStatus.OPEN:
        raise ValidationError(_("Only a measure in progress can be put forward for closing."))
    if not current.evidence.exists():
        raise ValidationError(_("Attach evidence before asking to close the measure."))
    old = rollups.measure_contribution(current)
    current.status = MeasureStatus.CLOSING
    current.version += 1
    current.save(update_fields=["status", "version"])
    rollups.apply(
        unit=current.unit, campaign_id=current.campaign_id, delta=rollups.measure_contribution(current) - old
    )
    _event(current.problem.ledger, EventKind.CLOSE_REQUESTED, actor, measure=current, text=text)
    audit_record(
        actor=actor, action="measure.request_close", obj=current, changes={"status": ["open", "closing"]}
    )
    return current


@transaction.atomic
def measure_verify(*, actor: Any, measure: Measure, approve: bool, comment: str = "") -> Measure:
    """The level above (or a supervisor) closes the measure, or sends it back with a reason."""
    policy.require(actor, "measure.verify", measure.unit)
    current = Measure.objects.select_for_update().select_related("problem__ledger").get(pk=measure.pk)
    if current.status != MeasureStatus.CLOSING:
        raise ValidationError(_("This measure is not awaiting verification."))
    if not approve and not comment.strip():
        raise ValidationError({"comment": _("Say why the measure is not accepted as done.")})
    old = rollups.measure_contribution(current)
    if approve:
        current.status, current.closed_on, current.verified_by = (
            MeasureStatus.CLOSED,
            timezone.localdate(),
            actor,
        )
        current.progress = 100
    else:
        current.status = MeasureStatus.OPEN
    current.version += 1
    current.save(update_fields=["status", "closed_on", "verified_by", "progress", "version"])
    rollups.apply(
        unit=current.unit, campaign_id=current.campaign_id, delta=rollups.measure_contribution(current) - old
    )
    _problem_status_follow(current.problem)
    kind = EventKind.VERIFIED if approve else EventKind.VERIFICATION_REFUSED
    _event(current.problem.ledger, kind, actor, measure=current, text=comment.strip())
    audit_record(
        actor=actor,
        action="measure.verify",
        obj=current,
        changes={"status": ["closing", current.status], "comment": [None, comment.strip()]},
    )
    return current


def _problem_status_follow(problem: Problem) -> None:
    """A problem is rectified when it has measures and every one of them is closed."""
    statuses = set(problem.measures.values_list("status", flat=True))
    status = ProblemStatus.RECTIFIED if statuses == {MeasureStatus.CLOSED} else ProblemStatus.OPEN
    if status != problem.status:
        old = rollups.problem_contribution(category_key=problem.category.key, status=problem.status)
        Problem.objects.filter(pk=problem.pk).update(status=status)
        problem.status = status
        new = rollups.problem_contribution(category_key=problem.category.key, status=status)
        rollups.apply(unit=problem.unit, campaign_id=problem.campaign_id, delta=new - old)


@transaction.atomic
def ledger_submit(*, actor: Any, ledger: Ledger, expected_version: int) -> Ledger:
    """The first responsible person approves the draft and submits it to the level above."""
    policy.require(actor, "ledger.submit", ledger.unit)
    _require_phase(ledger.campaign, "ledger.submit")
    current = Ledger.objects.select_for_update().get(pk=ledger.pk)
    _check_version(current, expected_version, ("status",))
    if not current.editable:
        raise ValidationError(_("Only a draft or returned ledger can be submitted."))
    problems = list(current.problems.all())
    if not problems:
        raise ValidationError(_("Record at least one problem before submitting the ledger."))
    without = [problem for problem in problems if not problem.measures.exists()]
    if without:
        raise ValidationError(
            _("Every problem needs at least one measure; missing for: %(problems)s")
            % {"problems": "; ".join(str(problem) for problem in without[:5])}
        )
    return _ledger_move(current, LedgerStatus.SUBMITTED, EventKind.SUBMITTED, actor, "")


@transaction.atomic
def ledger_review(
    *, actor: Any, ledger: Ledger, expected_version: int, accept: bool, comment: str = ""
) -> Ledger:
    """The level above accepts the submitted ledger, or returns it with comments."""
    policy.require(actor, "ledger.review", ledger.unit)
    current = Ledger.objects.select_for_update().get(pk=ledger.pk)
    _check_version(current, expected_version, ("status",))
    if current.status != LedgerStatus.SUBMITTED:
        raise ValidationError(_("Only a submitted ledger can be accepted or returned."))
    if not accept and not comment.strip():
        raise ValidationError({"comment": _("Say what must be revised.")})
    if accept:
        return _ledger_move(current, LedgerStatus.ACCEPTED, EventKind.ACCEPTED, actor, comment)
    return _ledger_move(current, LedgerStatus.RETURNED, EventKind.RETURNED, actor, comment)


def _ledger_move(ledger: Ledger, status: str, kind: str, actor: Any, comment: str) -> Ledger:
    before = ledger.status
    ledger.status = status
    ledger.version += 1
    ledger.save(update_fields=["status", "version", "updated_at"])
    _event(ledger, kind, actor, text=comment.strip())
    audit_record(
        actor=actor,
        action=f"ledger.{kind}",
        obj=ledger,
        changes={"status": [before, status], "comment": [None, comment.strip()]},
    )
    return ledger


@transaction.atomic
def keylink_report(
    *,
    actor: Any,
    obligation: KeyLinkObligation,
    status: str,
    reported_on: datetime.date,
    note: str = "",
    upload: UploadedFile | None = None,
    expected_version: int | None = None,
) -> KeyLinkProgress:
    """Record how far the unit is with one key link, dated within the link's window, with evidence."""
    unit, link = obligation.unit, obligation.key_link
    policy.require(actor, "keylink.report", unit)
    _require_phase(obligation.campaign, "keylink.report")
    if status not in KeyLinkStatus.values:
        raise ValidationError({"status": _("Unknown status.")})
    if not link.starts_on <= reported_on <= link.ends_on:
        raise ValidationError(
            {
                "reported_on": _("The date must fall within the key link's window, %(start)s to %(end)s.")
                % {"start": link.starts_on, "end": link.ends_on}
            }
        )
    if reported_on > timezone.localdate():
        raise ValidationError({"reported_on": _("The date cannot be in the future.")})
    progress = KeyLinkProgress.objects.select_for_update().filter(obligation=obligation).first()
    if progress is not None and expected_version is not None:
        _check_version(progress, expected_version, ("status", "reported_on", "note"))
    has_evidence = upload is not None or (progress is not None and progress.evidence.exists())
    if status == KeyLinkStatus.DONE and link.evidence_required and not has_evidence:
        raise ValidationError({"file": _("This key link needs evidence to be marked done.")})
    old_status = progress.status if progress else KeyLinkStatus.NOT_STARTED
    if progress is None:
        progress = KeyLinkProgress(obligation=obligation, unit=unit, campaign=obligation.campaign)
    else:
        progress.version += 1
    progress.status, progress.reported_on, progress.note, progress.updated_by = (
        status,
        reported_on,
        note.strip(),
        _person(actor),
    )
    progress.save()
    if upload is not None:
        _stored_evidence(actor=actor, upload=upload, unit=unit, key_link_progress=progress)
    rollups.apply(
        unit=unit,
        campaign_id=obligation.campaign_id,
        delta=rollups.keylink_contribution(link_key=link.key, status=status)
        - rollups.keylink_contribution(link_key=link.key, status=old_status),
    )
    audit_record(
        actor=actor,
        action="keylink.report",
        obj=progress,
        changes={"status": [old_status, status], "reported_on": [None, reported_on.isoformat()]},
    )
    return progress

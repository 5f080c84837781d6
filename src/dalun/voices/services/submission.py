"""Submission and intake: anyone may send a suggestion; its intake follows as a task.

Submission is the one write under public load, so it does only what must be in the request: validate, write
the suggestion (on PostgreSQL in one statement with its idempotency claim and its intake task, see
voices/submission_statement.py), answer the receipt. Its intake (routing proposals, the moderators' notices
and e-mails, the audit entries) runs afterwards as a task (:func:`suggestion_intake`), idempotently; a
suggestion whose intake has not run is marked pending in the database, so a sweeper re-enqueues it after a
crash (voices/tasks.py).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterable
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from dalun.apikeys.idempotency import Claim, KeyTaken
from dalun.audit.services import audit_record
from dalun.campaigns.models import Campaign, ProblemCategory
from dalun.campaigns.services import phase_allows
from dalun.engines.text import search_key
from dalun.ledger import services as ledger_services
from dalun.org import policy
from dalun.org.choices import Role
from dalun.org.models import Person, RoleAssignment, Unit
from dalun.voices import contact as contact_crypto
from dalun.voices.choices import Moderation
from dalun.voices.models import Attachment, Suggestion
from dalun.voices.notifications import notify
from dalun.voices.services._shared import (
    ATTACHMENT_MAX_BYTES,
    ATTACHMENTS_MAX,
    CONTACT_MAX,
    TEXT_MAX,
    TITLE_MAX,
    clean_text,
)
from dalun.voices.submission_statement import insert_submission

RECEIPT_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O, 1/I: read aloud and typed from paper


def new_receipt_code() -> str:
    raw = "".join(secrets.choice(RECEIPT_ALPHABET) for _ in range(12))
    return f"{raw[:4]}-{raw[4:8]}-{raw[8:]}"


def _moderators(campaign: Campaign) -> list[Person]:
    owner = campaign.owner_unit
    return [
        a.person
        for a in RoleAssignment.objects.filter(role=Role.MODERATOR).select_related("person", "unit")
        if owner.is_within(a.unit) or a.unit.is_within(owner)
    ]


def suggestion_submit(
    *,
    campaign: Campaign,
    title: str,
    text: str,
    category: ProblemCategory | None = None,
    concerns_unit: Unit | None = None,
    contact: str = "",
    attachments: Iterable[UploadedFile] = (),
    claim: Claim | None = None,
    answer: Callable[[Suggestion], dict[str, Any]] | None = None,
) -> Suggestion:
    """Anyone may send a suggestion while the campaign's phase allows it; returns it with its receipt code.

    An idempotency ``claim`` (an API request's key) is written with the suggestion, its stored answer being
    ``answer(suggestion)``; when its key is taken, nothing is written and KeyTaken is raised. Everything is
    checked before anything is written, so a refusal leaves an enclosing transaction usable.
    """
    if not phase_allows(campaign, "suggestion.create"):
        raise ValidationError(_("The campaign is not taking suggestions at the moment."))
    title = clean_text(title, field="title", maximum=TITLE_MAX)
    text = clean_text(text, field="text", maximum=TEXT_MAX)
    contact = clean_text(contact, field="contact", maximum=CONTACT_MAX, required=False)
    if category is not None and category.campaign_id != campaign.pk:
        raise ValidationError({"category": _("This category belongs to another campaign.")})
    files = list(attachments)
    if len(files) > ATTACHMENTS_MAX:
        raise ValidationError({"attachments": _("At most %(max)s files.") % {"max": ATTACHMENTS_MAX}})
    kinds = [
        ledger_services.checked_upload(upload, max_bytes=ATTACHMENT_MAX_BYTES, field="attachments")
        for upload in files
    ]
    suggestion = Suggestion(
        campaign=campaign,
        title=title,
        text=text,
        category=category,
        concerns_unit=concerns_unit,
        receipt_code=new_receipt_code(),
        contact_encrypted=contact_crypto.encrypt(contact),
        search_text=search_key(title, text),
    )
    stored_answer = answer or (lambda _suggestion: {})
    if connection.vendor == "postgresql" and not files:
        return _insert_in_one_statement(suggestion, claim, stored_answer)
    return _insert_step_by_step(suggestion, list(zip(files, kinds, strict=True)), claim, stored_answer)


def _insert_in_one_statement(
    suggestion: Suggestion, claim: Claim | None, answer: Callable[[Suggestion], dict[str, Any]]
) -> Suggestion:
    """PostgreSQL: the suggestion, its intake task and the claim in one statement (one round trip, one
    commit in autocommit); the submission is audited by its intake (see suggestion_intake)."""
    from dalun.voices.tasks import intake_task_row, schedule_intake

    task = intake_task_row()
    suggestion_id = insert_submission(
        suggestion=suggestion, task=task, claim=claim.row(answer(suggestion)) if claim else None
    )
    if suggestion_id is None:
        raise KeyTaken()
    suggestion.pk = suggestion_id
    suggestion._state.adding, suggestion._state.db = False, connection.alias
    if task is None:  # the queue is not in the database: enqueue after commit
        schedule_intake(suggestion_id)
    return suggestion


@transaction.atomic
def _insert_step_by_step(
    suggestion: Suggestion,
    files: list[tuple[UploadedFile, Any]],
    claim: Claim | None,
    answer: Callable[[Suggestion], dict[str, Any]],
) -> Suggestion:
    """Other databases, and submissions with attachments: the same rows, one statement each, in one
    transaction (the claim first, so a taken key writes nothing)."""
    from dalun.voices.tasks import schedule_intake

    claim_id = claim.take() if claim else None  # first: a taken key (KeyTaken) writes nothing
    suggestion.save(force_insert=True)
    for upload, kind in files:
        Attachment.objects.create(
            suggestion=suggestion,
            file=upload,
            original_name=(upload.name or "file")[:255],
            mime=kind.mime,
            size=upload.size or 0,
        )
    schedule_intake(suggestion.pk)
    if claim is not None and claim_id is not None:
        claim.answer(claim_id, answer(suggestion))
    return suggestion


@transaction.atomic
def suggestion_intake(*, suggestion_id: int) -> bool:
    """What a new suggestion needs besides its row: the units most likely responsible (stored for the
    moderators' queue) and a notice to the moderators (in-app, and e-mail after commit).

    Idempotent: the row is locked and marked done in the same transaction as the notices, so a re-run after a
    crash, a twin task or a sweep does nothing twice. Returns False when there was nothing left to do.
    """
    suggestion = (
        Suggestion.objects.select_for_update(of=("self",))
        .select_related("campaign__owner_unit", "concerns_unit")
        .filter(pk=suggestion_id, intake_done_at__isnull=True)
        .first()
    )
    if suggestion is None:
        return False  # done already, or gone
    from dalun.voices.selectors import PROPOSALS, routing_index

    text = f"{suggestion.title} {suggestion.text}"
    proposals = [
        [match.key, round(match.score, 4)]
        for match in routing_index(suggestion.campaign).nearest(text, limit=PROPOSALS)
    ]
    named = suggestion.concerns_unit_id
    if named and all(unit_id != named for unit_id, _score in proposals):
        proposals.insert(0, [named, 1.0])
    suggestion.routing_proposals = proposals[:PROPOSALS]
    suggestion.intake_done_at = timezone.now()
    suggestion.save(update_fields=["routing_proposals", "intake_done_at"])
    # The submission's own entry: written here, not in the request, to keep the public's write to one
    # statement (a chained entry locks its chain's head); the row exists only once committed, so no change
    # to it can precede this entry.
    audit_record(
        actor=None,
        action="suggestion.submit",
        obj=suggestion,
        changes={
            "title": [None, suggestion.title],
            "concerns_unit": [None, suggestion.concerns_unit_id],
            "submitted_at": [None, suggestion.submitted_at.isoformat()],
        },
    )
    notified: list[Person] = []
    if suggestion.moderation == Moderation.PENDING:  # a moderator may have been quicker than the task
        notified = _moderators(suggestion.campaign)
        with translation.override(settings.LANGUAGE_CODE):  # a worker has no request's language
            notify(
                notified,
                _("New suggestion to moderate: %(title)s") % {"title": suggestion.title},
                reverse("voices-queue"),
            )
    audit_record(
        actor=policy.SYSTEM,
        action="suggestion.intake",
        obj=suggestion,
        changes={
            "routing_proposals": [None, suggestion.routing_proposals],
            "notified": [None, len(notified)],
        },
    )
    return True

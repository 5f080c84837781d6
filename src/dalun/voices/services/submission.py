"""Submission and intake: anyone may send a suggestion; its intake follows as a task.

Submission is the one write under public load, so it does only what must be in the request: validate, write
the suggestion in one statement with its idempotency key and its network's flood limit (see
voices/submission_statement.py), answer the receipt. Its intake (routing proposals, the moderators' notices
and e-mails, the audit entries) runs afterwards as a task (:func:`suggestion_intake`), idempotently; until
it has, the suggestion is marked pending in the database, which is where the dispatcher finds it
(voices/tasks.py).
"""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import Iterable

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from dalun.apikeys.idempotency import Claim, KeyTaken
from dalun.audit.services import audit_record
from dalun.campaigns.models import Campaign, ProblemCategory
from dalun.campaigns.services import phase_allows
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
from dalun.voices.submission_statement import FloodLimit, Submission, insert_submission, refusal, saved
from dalun.voices.tasks import schedule_intake
from dalun.web.ratelimit import RateLimited

RECEIPT_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O, 1/I: read aloud and typed from paper


def new_receipt_code() -> str:
    raw = "".join(RECEIPT_ALPHABET[byte % 32] for byte in secrets.token_bytes(12))  # 256 % 32 == 0: unbiased
    return f"{raw[:4]}-{raw[4:8]}-{raw[8:]}"


def flood_limit() -> FloodLimit:
    """The suggestions one network may send (portal and API together), per window in seconds."""
    return FloodLimit(
        limit=int(settings.DALUN_SUGGESTION_LIMIT), window=int(settings.DALUN_SUGGESTION_LIMIT_WINDOW)
    )


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
    network: str = "",
) -> Suggestion:
    """Anyone may send a suggestion while the campaign's phase allows it; returns it with its receipt code.

    ``network`` (web/ratelimit.client_network) is held to the flood limit: at most
    ``DALUN_SUGGESTION_LIMIT`` suggestions in any ``DALUN_SUGGESTION_LIMIT_WINDOW`` seconds, else
    RateLimited. An idempotency ``claim`` (an API request's key) is stored on the suggestion; when its key
    is taken, nothing is written and KeyTaken is raised. Everything is checked before anything is written,
    so a refusal leaves an enclosing transaction usable. The intake follows (:func:`suggestion_intake`).
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
    row = Submission(
        campaign_id=campaign.pk,
        title=title,
        text=text,
        category_id=category.pk if category else None,
        concerns_unit_id=concerns_unit.pk if concerns_unit else None,
        receipt_code=new_receipt_code(),
        contact_encrypted=contact_crypto.encrypt(contact),
        submitted_at=timezone.now(),
        idempotency_key=claim.key if claim else None,
        request_hash=claim.request_hash if claim else "",
        network=network,
    )
    flood = flood_limit()
    # One statement in autocommit (one round trip, one commit) unless files come with it.
    with transaction.atomic() if files else contextlib.nullcontext():
        suggestion_id = insert_submission(row, flood)
        if suggestion_id is None:
            retry_after = refusal(row, flood)
            raise KeyTaken() if retry_after is None else RateLimited(retry_after)
        suggestion = saved(
            row, suggestion_id, campaign=campaign, category=category, concerns_unit=concerns_unit
        )
        for upload, kind in zip(files, kinds, strict=True):
            Attachment.objects.create(
                suggestion=suggestion,
                file=upload,
                original_name=(upload.name or "file")[:255],
                mime=kind.mime,
                size=upload.size or 0,
            )
    schedule_intake(suggestion_id)
    return suggestion


@transaction.atomic
def suggestion_intake(*, suggestion_id: int) -> bool:
    """What a new suggestion needs besides its row: the units most likely responsible (stored for the
    moderators' queue) and a notice to the moderators (in-app, and e-mail after commit).

    Idempotent: the row is locked and marked done in the same transaction as the notices, so a re-run after a
    crash, a twin task or a second dispatch does nothing twice. Returns False when nothing was left to do.
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

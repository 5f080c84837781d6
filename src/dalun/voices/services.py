"""Writes of public participation: submit, support, moderate, route, answer, rate, escalate.

The public acts without an account: a suggestion is followed by its receipt code, a support is counted
once per participant (a pseudonymous cookie id).

Submission is the one write under public load, so it does only what must be in the request: validate,
insert the suggestion, audit it, answer the receipt. Its intake (routing proposals, the moderators' notices
and e-mails) runs afterwards as a task (:func:`suggestion_intake`), idempotently; a suggestion whose intake
has not run is marked pending in the database, so a sweeper re-enqueues it after a crash (voices/tasks.py).
"""

from __future__ import annotations

import datetime
import secrets
import unicodedata
from collections.abc import Callable, Iterable
from typing import Any, BinaryIO, cast

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.core.mail import send_mail
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from dalun.apikeys.idempotency import Claim, KeyTaken
from dalun.audit.services import audit_one_chain, audit_record
from dalun.campaigns.models import Campaign, ProblemCategory
from dalun.campaigns.services import phase_allows
from dalun.engines.filetypes import FileRejected, check_upload
from dalun.engines.text import search_key
from dalun.ledger import services as ledger_services
from dalun.ledger.choices import ProblemSource, Visibility
from dalun.org import policy
from dalun.org.choices import Role
from dalun.org.models import Person, RoleAssignment, Unit
from dalun.voices import contact as contact_crypto
from dalun.voices.choices import Adoption, Handling, Moderation
from dalun.voices.models import (
    Attachment,
    Notification,
    Response,
    Satisfaction,
    Suggestion,
    Support,
    Transfer,
)
from dalun.voices.notifications import notify
from dalun.voices.submission_statement import insert_submission
from dalun.workcalendar.selectors import deadline_after

TITLE_MAX, TEXT_MAX, CONTACT_MAX = 120, 5000, 200
ATTACHMENT_MAX_BYTES, ATTACHMENTS_MAX = 10 * 1024 * 1024, 3
RECEIPT_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O, 1/I: read aloud and typed from paper


def new_receipt_code() -> str:
    raw = "".join(secrets.choice(RECEIPT_ALPHABET) for _ in range(12))
    return f"{raw[:4]}-{raw[4:8]}-{raw[8:]}"


def clean_text(value: str, *, field: str, maximum: int, required: bool = True) -> str:
    """Text as typed, minus control characters; empty or oversized text is refused naming the field.

    HTML is kept as text (pages escape it), never interpreted.
    """
    value = "".join(ch for ch in value if ch in "\n\t" or unicodedata.category(ch)[0] != "C").strip()
    if required and not value:
        raise ValidationError({field: _("This field is required.")})
    if len(value) > maximum:
        raise ValidationError({field: _("At most %(max)s characters.") % {"max": maximum}})
    return value


def _staff_of(unit: Unit, roles: Iterable[str]) -> list[Person]:
    return [
        a.person
        for a in RoleAssignment.objects.filter(unit=unit, role__in=list(roles)).select_related("person")
    ]


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
    kinds = []
    for upload in files:
        try:
            kinds.append(
                check_upload(
                    cast(BinaryIO, upload), declared_name=upload.name or "", max_bytes=ATTACHMENT_MAX_BYTES
                )
            )
        except FileRejected as rejected:
            raise ValidationError({"attachments": ledger_services.rejection_message(rejected)}) from None
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
        upload.seek(0)
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


def contact_of(*, actor: Any, suggestion: Suggestion) -> str:
    """The submitter's contact details, for the moderators and the staff of the unit it was routed to."""
    if not may_see_contact(actor, suggestion):
        raise PermissionDenied("contact details")
    return contact_crypto.decrypt(suggestion.contact_encrypted)


def may_see_contact(actor: Any, suggestion: Suggestion) -> bool:
    if policy.allows(actor, "suggestion.moderate", suggestion.campaign.owner_unit):
        return True
    unit = suggestion.routed_unit
    return unit is not None and policy.allows(actor, "suggestion.answer", unit)


def _locked(suggestion: Suggestion) -> Suggestion:
    return (
        Suggestion.objects.select_for_update(of=("self",))
        .select_related("campaign__owner_unit", "routed_unit")
        .get(pk=suggestion.pk)
    )


def _moderate(actor: Any, suggestion: Suggestion) -> Suggestion:
    current = _locked(suggestion)
    policy.require(actor, "suggestion.moderate", current.campaign.owner_unit)
    return current


@transaction.atomic
def suggestion_publish(*, actor: Any, suggestion: Suggestion) -> Suggestion:
    current = _moderate(actor, suggestion)
    if current.moderation not in {Moderation.PENDING, Moderation.REJECTED}:
        raise ValidationError(_("Only a suggestion awaiting moderation can be published."))
    return _set_moderation(actor, current, Moderation.PUBLISHED)


@transaction.atomic
def suggestion_reject(*, actor: Any, suggestion: Suggestion, reason: str, spam: bool = False) -> Suggestion:
    """Refuse publication; the submitter sees the reason on the receipt page (spam needs none)."""
    current = _moderate(actor, suggestion)
    if not spam:
        current.reject_reason = clean_text(reason, field="reason", maximum=500)
    return _set_moderation(actor, current, Moderation.SPAM if spam else Moderation.REJECTED)


@transaction.atomic
def suggestion_merge(*, actor: Any, suggestion: Suggestion, into: Suggestion) -> Suggestion:
    """A near-duplicate joins an existing suggestion: its supports count there, its receipt points there."""
    current = _moderate(actor, suggestion)
    into = Suggestion.objects.get(pk=into.pk)
    if (
        into.pk == current.pk
        or into.campaign_id != current.campaign_id
        or into.moderation != Moderation.PUBLISHED
    ):
        raise ValidationError({"into": _("Merge into another published suggestion of the same campaign.")})
    current.merged_into = into
    Suggestion.objects.filter(pk=into.pk).update(support_count=F("support_count") + current.support_count + 1)
    return _set_moderation(actor, current, Moderation.MERGED)


def _set_moderation(actor: Any, suggestion: Suggestion, status: str) -> Suggestion:
    before = suggestion.moderation
    suggestion.moderation = status
    suggestion.version += 1
    suggestion.save()
    audit_record(
        actor=actor, action=f"suggestion.{status}", obj=suggestion, changes={"moderation": [before, status]}
    )
    return suggestion


@transaction.atomic
def suggestion_route(*, actor: Any, suggestion: Suggestion, unit: Unit) -> Suggestion:
    """Send a published suggestion to the unit that must answer it, with a deadline in working days."""
    current = _moderate(actor, suggestion)
    if current.moderation != Moderation.PUBLISHED:
        raise ValidationError(_("Publish the suggestion before routing it."))
    if current.handling == Handling.ANSWERED:
        raise ValidationError(_("This suggestion has been answered."))
    if not unit.is_within(current.campaign.owner_unit):
        raise ValidationError({"unit": _("The unit is outside the campaign.")})
    routed = _move(actor, current, unit, reason="", restart_deadline=True)
    from dalun.voices.selectors import routing_learned

    transaction.on_commit(lambda: routing_learned(current.campaign))
    return routed


@transaction.atomic
def suggestion_pass_on(*, actor: Any, suggestion: Suggestion, unit: Unit, reason: str) -> Suggestion:
    """The routed unit passes the suggestion to a better placed unit, saying why; the deadline stands."""
    current = _locked(suggestion)
    if current.routed_unit is None or current.handling != Handling.ROUTED:
        raise ValidationError(_("Only a suggestion awaiting an answer can be passed on."))
    policy.require(actor, "suggestion.answer", current.routed_unit)
    if unit.pk == current.routed_unit_id or not unit.is_within(current.campaign.owner_unit):
        raise ValidationError({"unit": _("Choose another unit of the campaign.")})
    return _move(
        actor, current, unit, reason=clean_text(reason, field="reason", maximum=500), restart_deadline=False
    )


def _move(
    actor: Any, suggestion: Suggestion, unit: Unit, *, reason: str, restart_deadline: bool
) -> Suggestion:
    Transfer.objects.create(
        suggestion=suggestion,
        from_unit=suggestion.routed_unit,
        to_unit=unit,
        reason=reason,
        actor=actor if getattr(actor, "is_authenticated", False) else None,
    )
    before = suggestion.routed_unit_id
    suggestion.routed_unit, suggestion.escalated_to = unit, None
    suggestion.handling = Handling.ROUTED
    if restart_deadline or suggestion.due_on is None:
        days = int(suggestion.campaign.deadlines.get("suggestion_response_working_days", 15))
        deadline = deadline_after(timezone.localdate(), days)
        suggestion.routed_at, suggestion.due_on, suggestion.due_estimated = (
            timezone.now(),
            deadline.due,
            deadline.estimated,
        )
    suggestion.version += 1
    suggestion.save()
    audit_record(
        actor=actor,
        action="suggestion.route",
        obj=suggestion,
        changes={"routed_unit": [before, unit.pk], "reason": [None, reason]},
    )
    notify(
        _staff_of(unit, [Role.FIRST_RESPONSIBLE, Role.CLERK]),
        _("A suggestion for you to answer by %(due)s: %(title)s")
        % {"due": suggestion.due_on, "title": suggestion.title},
        reverse("voices-inbox"),
    )
    return suggestion


@transaction.atomic
def suggestion_answer(
    *,
    actor: Any,
    suggestion: Suggestion,
    text: str,
    adoption: str,
    reason: str = "",
    to_ledger: ProblemCategory | None = None,
) -> Response:
    """The routed unit answers; an adopted suggestion may become a problem in the unit's ledger."""
    current = _locked(suggestion)
    if current.routed_unit is None or current.handling != Handling.ROUTED:
        raise ValidationError(_("Only a suggestion awaiting an answer can be answered."))
    unit = current.routed_unit
    policy.require(actor, "suggestion.answer", unit)
    if adoption not in Adoption.values:
        raise ValidationError({"adoption": _("Choose whether the suggestion is adopted.")})
    reason = clean_text(reason, field="reason", maximum=2000, required=adoption != Adoption.ADOPTED)
    problem = None
    if to_ledger is not None:
        if adoption == Adoption.NOT_ADOPTED:
            raise ValidationError(
                {"to_ledger": _("Only an adopted suggestion becomes a problem in the ledger.")}
            )
        ledger = ledger_services.ledger_open(actor=actor, unit=unit, campaign=current.campaign)
        problem = ledger_services.problem_create(
            actor=actor,
            ledger=ledger,
            category=to_ledger,
            manifestation=f"{current.title}：{current.text}"[:4000],
            source=ProblemSource.PUBLIC,
            visibility=Visibility.PUBLIC,
        )
    response = Response.objects.create(
        suggestion=current,
        unit=unit,
        text=clean_text(text, field="text", maximum=TEXT_MAX),
        adoption=adoption,
        reason=reason,
        problem=problem,
        author=actor,
        on_time=current.due_on is None or timezone.localdate() <= current.due_on,
    )
    current.handling = Handling.ANSWERED
    current.version += 1
    current.save()
    audit_record(
        actor=actor,
        action="suggestion.answer",
        obj=current,
        changes={"adoption": [None, adoption], "problem": [None, problem.pk if problem else None]},
    )
    address = contact_crypto.decrypt(current.contact_encrypted)
    if "@" in address:
        url = reverse("portal-receipt", args=[current.receipt_code])
        transaction.on_commit(
            lambda: send_mail(
                _("Your suggestion has been answered"),
                _("%(title)s\n%(url)s") % {"title": current.title, "url": url},
                None,
                [address],
                fail_silently=True,
            )
        )
    return response


@transaction.atomic
def suggestion_support(*, suggestion: Suggestion, participant: str, network: str) -> bool:
    """+1 from a participant; returns False when this participant already supported it."""
    suggestion = Suggestion.objects.select_related("campaign").get(pk=suggestion.pk)
    if suggestion.moderation != Moderation.PUBLISHED:
        raise ValidationError(_("Only published suggestions can be supported."))
    if not phase_allows(suggestion.campaign, "suggestion.support"):
        raise ValidationError(_("The campaign is not taking supports at the moment."))
    try:
        with transaction.atomic():
            Support.objects.create(suggestion=suggestion, participant=participant[:64], network=network[:64])
    except IntegrityError:
        return False
    Suggestion.objects.filter(pk=suggestion.pk).update(support_count=F("support_count") + 1)
    return True


@transaction.atomic
def suggestion_rate(*, suggestion: Suggestion, rating: str, comment: str = "") -> Satisfaction:
    """The submitter (who holds the receipt code) rates the answer, once."""
    suggestion = Suggestion.objects.select_for_update().get(pk=suggestion.pk)
    if suggestion.handling != Handling.ANSWERED:
        raise ValidationError(_("The suggestion has not been answered yet."))
    if Satisfaction.objects.filter(suggestion=suggestion).exists():
        raise ValidationError(_("This answer has already been rated."))
    from dalun.voices.choices import Rating

    if rating not in Rating.values:
        raise ValidationError({"rating": _("Choose a rating.")})
    satisfaction = Satisfaction.objects.create(
        suggestion=suggestion,
        rating=rating,
        comment=clean_text(comment, field="comment", maximum=2000, required=False),
    )
    audit_record(actor=None, action="suggestion.rate", obj=suggestion, changes={"rating": [None, rating]})
    return satisfaction


@transaction.atomic
@audit_one_chain()
def suggestions_escalate(*, today: datetime.date | None = None) -> int:
    """Suggestions not answered by their deadline go to the routed unit's parent as well; returns how many."""
    today = today or timezone.localdate()
    overdue = list(
        Suggestion.objects.select_for_update(of=("self",))
        .filter(handling=Handling.ROUTED, due_on__lt=today, escalated_to__isnull=True)
        .select_related("routed_unit__parent")
    )
    for suggestion in overdue:
        parent = suggestion.routed_unit.parent if suggestion.routed_unit else None
        if parent is None:
            continue
        suggestion.escalated_to = parent
        suggestion.save(update_fields=["escalated_to"])
        audit_record(
            actor=policy.SYSTEM,
            action="suggestion.escalate",
            obj=suggestion,
            changes={"escalated_to": [None, parent.pk]},
        )
        notify(
            _staff_of(parent, [Role.FIRST_RESPONSIBLE, Role.CLERK]),
            _("Overdue suggestion of %(unit)s: %(title)s")
            % {"unit": suggestion.routed_unit, "title": suggestion.title},
            reverse("voices-inbox"),
        )
    return len(overdue)


def notifications_mark_read(*, actor: Any) -> int:
    """The person has seen their notices (not audited: it changes nothing but their own inbox)."""
    return Notification.objects.filter(recipient=actor, read=False).update(read=True)

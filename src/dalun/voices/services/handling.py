"""Handling by units: route, pass on, answer (adopting into the ledger), escalate the overdue, the inbox."""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from dalun.audit.services import audit_one_chain, audit_record
from dalun.campaigns.models import ProblemCategory
from dalun.campaigns.services import campaign_deadline
from dalun.ledger import services as ledger_services
from dalun.ledger.choices import ProblemSource, Visibility
from dalun.org import policy
from dalun.org.choices import Role
from dalun.org.models import Unit
from dalun.voices import contact as contact_crypto
from dalun.voices.choices import Adoption, Handling, Moderation
from dalun.voices.models import Notification, Response, Suggestion, Transfer
from dalun.voices.notifications import notify
from dalun.voices.services._shared import TEXT_MAX, clean_text, locked, locked_for_moderator, staff_of


@transaction.atomic
def suggestion_route(*, actor: Any, suggestion: Suggestion, unit: Unit) -> Suggestion:
    """Send a published suggestion to the unit that must answer it, with a deadline in working days."""
    current = locked_for_moderator(actor, suggestion)
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
    current = locked(suggestion)
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
        deadline = campaign_deadline(suggestion.campaign, "suggestion_response_working_days", 15)
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
        staff_of(unit, [Role.FIRST_RESPONSIBLE, Role.CLERK]),
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
    current = locked(suggestion)
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
            staff_of(parent, [Role.FIRST_RESPONSIBLE, Role.CLERK]),
            _("Overdue suggestion of %(unit)s: %(title)s")
            % {"unit": suggestion.routed_unit, "title": suggestion.title},
            reverse("voices-inbox"),
        )
    return len(overdue)


def notifications_mark_read(*, actor: Any) -> int:
    """The person has seen their notices (not audited: it changes nothing but their own inbox)."""
    return Notification.objects.filter(recipient=actor, read=False).update(read=True)

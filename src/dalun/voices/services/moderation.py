"""Moderation: publish, reject (or mark as spam), merge into an earlier one; who may see the contact."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext as _

from dalun.audit.services import audit_record
from dalun.engines.text import search_key
from dalun.org import policy
from dalun.voices import contact as contact_crypto
from dalun.voices.choices import Moderation
from dalun.voices.models import Suggestion
from dalun.voices.services._shared import clean_text, locked_for_moderator


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


@transaction.atomic
def suggestion_publish(*, actor: Any, suggestion: Suggestion) -> Suggestion:
    current = locked_for_moderator(actor, suggestion)
    if current.moderation not in {Moderation.PENDING, Moderation.REJECTED}:
        raise ValidationError(_("Only a suggestion awaiting moderation can be published."))
    # Made here, not at submission: only published suggestions are searched, and the public write stays lean.
    current.search_text = search_key(current.title, current.text)
    return _set_moderation(actor, current, Moderation.PUBLISHED)


@transaction.atomic
def suggestion_reject(*, actor: Any, suggestion: Suggestion, reason: str, spam: bool = False) -> Suggestion:
    """Refuse publication; the submitter sees the reason on the receipt page (spam needs none)."""
    current = locked_for_moderator(actor, suggestion)
    if not spam:
        current.reject_reason = clean_text(reason, field="reason", maximum=500)
    return _set_moderation(actor, current, Moderation.SPAM if spam else Moderation.REJECTED)


@transaction.atomic
def suggestion_merge(*, actor: Any, suggestion: Suggestion, into: Suggestion) -> Suggestion:
    """A near-duplicate joins an existing suggestion: its supports count there, its receipt points there."""
    current = locked_for_moderator(actor, suggestion)
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

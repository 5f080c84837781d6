"""What the public does besides submitting: support a published suggestion, rate the answer received."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils.translation import gettext as _

from dalun.audit.services import audit_record
from dalun.campaigns.services import phase_allows
from dalun.voices.choices import Handling, Moderation
from dalun.voices.models import Satisfaction, Suggestion, Support
from dalun.voices.services._shared import clean_text


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

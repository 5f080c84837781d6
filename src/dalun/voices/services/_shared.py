"""What the voices services share: text limits and cleaning, a unit's staff, a suggestion locked to write."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from dalun.org import policy
from dalun.org.models import Person, RoleAssignment, Unit
from dalun.voices.models import Suggestion

TITLE_MAX, TEXT_MAX, CONTACT_MAX = 120, 5000, 200
ATTACHMENT_MAX_BYTES, ATTACHMENTS_MAX = 10 * 1024 * 1024, 3


def clean_text(value: str, *, field: str, maximum: int, required: bool = True) -> str:
    """Text as typed, minus control characters; empty or oversized text is refused naming the field.

    HTML is kept as text (pages escape it), never interpreted.
    """
    if not value.isprintable():  # else nothing to drop (printable text has no control characters)
        value = "".join(ch for ch in value if ch in "\n\t" or unicodedata.category(ch)[0] != "C")
    value = value.strip()
    if required and not value:
        raise ValidationError({field: _("This field is required.")})
    if len(value) > maximum:
        raise ValidationError({field: _("At most %(max)s characters.") % {"max": maximum}})
    return value


def staff_of(unit: Unit, roles: Iterable[str]) -> list[Person]:
    return [
        a.person
        for a in RoleAssignment.objects.filter(unit=unit, role__in=list(roles)).select_related("person")
    ]


def locked(suggestion: Suggestion) -> Suggestion:
    return (
        Suggestion.objects.select_for_update(of=("self",))
        .select_related("campaign__owner_unit", "routed_unit")
        .get(pk=suggestion.pk)
    )


def locked_for_moderator(actor: Any, suggestion: Suggestion) -> Suggestion:
    """The suggestion locked for update, once the actor is found to moderate its campaign."""
    current = locked(suggestion)
    policy.require(actor, "suggestion.moderate", current.campaign.owner_unit)
    return current

"""``{% history_link obj unit %}``: a link to an object's history, shown only to those who may read it."""

from typing import Any

from django import template
from django.db import models
from django.urls import reverse

from dalun.audit.selectors import history_supported, may_see_history
from dalun.org.models import Unit

register = template.Library()


def history_url(obj: models.Model) -> str:
    return reverse("object-history", args=[obj._meta.label_lower, obj.pk])


@register.inclusion_tag("audit/_history_link.html", takes_context=True)
def history_link(
    context: dict[str, Any], obj: models.Model, unit: Unit | None = None, label: str = ""
) -> dict[str, Any]:
    """Pass ``unit`` when the page already holds the object's unit, so the check needs no query."""
    request = context.get("request")
    user = getattr(request, "user", None)
    shown = (
        obj is not None
        and user is not None
        and history_supported(type(obj))
        and may_see_history(user, obj, units=[unit] if unit is not None else None)
    )
    return {"url": history_url(obj) if shown else "", "label": label}

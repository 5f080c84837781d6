"""Reads of the organisation, already scoped by the policy and fetched in bulk."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import Http404

from dalun.engines.text import normalise
from dalun.org import policy
from dalun.org.models import RoleAssignment, Unit

# Unit names, kinds, codes and the shape of the tree are public (administrative divisions are published);
# people and role assignments are internal to the subtree's staff.


def unit_get(*, unit_id: int) -> Unit:
    try:
        return Unit.objects.select_related("parent").get(pk=unit_id)
    except Unit.DoesNotExist:
        raise Http404("no such unit") from None


def unit_roots() -> QuerySet[Unit]:
    return Unit.objects.filter(parent__isnull=True)


def unit_children(*, unit: Unit) -> QuerySet[Unit]:
    return Unit.objects.filter(parent=unit)


def unit_ancestors(*, unit: Unit) -> list[Unit]:
    return list(Unit.objects.ancestors_of(unit))


def unit_search(*, query: str, within: Unit | None = None, limit: int = 50) -> list[Unit]:
    """Units whose name (Chinese, English or pinyin) contains ``query`` or whose code starts with it.

    Shallow units first, so a city comes before the villages that share its name.
    """
    folded = normalise(query)
    if not folded:
        return []
    units = Unit.objects.filter(search_text__contains=folded)
    if within is not None:
        units = units.subtree_of(within)
    return list(units.select_related("parent").order_by("depth", "path")[:limit])


def unit_people(*, actor: Any, unit: Unit) -> list[RoleAssignment]:
    """Who holds which role at ``unit``; internal, so only the subtree's staff may see it."""
    if not policy.allows(actor, "unit.view_internal", unit):
        return []
    return list(RoleAssignment.objects.filter(unit=unit).select_related("person").order_by("role"))


def unit_editable_or_404(*, actor: Any, unit_id: int) -> Unit:
    """The unit, for someone who may change it; others are refused before they see the form."""
    unit = unit_get(unit_id=unit_id)
    policy.require(actor, "unit.change", unit)
    return unit

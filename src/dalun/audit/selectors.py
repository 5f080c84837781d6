"""Reads of the audit trail: an object's history (for the people entitled to it) and chain verification."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import models
from django.db.models import QuerySet
from django.http import Http404

from dalun.audit import chain
from dalun.audit.models import AuditChain, AuditEntry
from dalun.org import policy
from dalun.org.models import Unit


def audit_history(*, obj: models.Model, limit: int = 50) -> QuerySet[AuditEntry]:
    """The newest entries about ``obj`` (callers check that the actor may see the object first)."""
    return AuditEntry.objects.filter(object_type=obj._meta.label_lower, object_id=str(obj.pk))[:limit]


# --- whose history is it -----------------------------------------------------------------------------

# Objects whose unit is not simply their ``unit`` field. A suggestion belongs both to the unit it was routed
# to and to the campaign's owner (whose moderators handled it before routing).
_UNITS: dict[str, Callable[[Any], list[Unit | None]]] = {
    "org.unit": lambda unit: [unit],
    "voices.suggestion": lambda suggestion: [suggestion.routed_unit, suggestion.campaign.owner_unit],
    "campaigns.campaign": lambda campaign: [campaign.owner_unit],
}
_RELATED: dict[str, tuple[str, ...]] = {
    "voices.suggestion": ("routed_unit", "campaign__owner_unit"),
    "campaigns.campaign": ("owner_unit",),
}


def _has_unit_field(model: type[models.Model]) -> bool:
    try:
        field = model._meta.get_field("unit")
    except FieldDoesNotExist:
        return False
    return bool(field.is_relation and field.related_model is Unit)


def history_supported(model: type[models.Model]) -> bool:
    """Objects that belong to a unit have a history page; others (people, tokens ...) do not."""
    return model._meta.label_lower in _UNITS or _has_unit_field(model)


def history_units(obj: models.Model) -> list[Unit]:
    """The units whose staff may read ``obj``'s history."""
    resolve = _UNITS.get(obj._meta.label_lower)
    units = resolve(obj) if resolve else [getattr(obj, "unit", None)]
    return [unit for unit in units if unit is not None]


def may_see_history(actor: Any, obj: models.Model, *, units: list[Unit] | None = None) -> bool:
    """Staff of the object's unit (or above) and auditors see its history; the public never does."""
    for unit in history_units(obj) if units is None else units:
        if policy.allows(actor, "audit.view", unit) or policy.allows(actor, "unit.view_internal", unit):
            return True
    return False


def history_object_get(*, actor: Any, object_type: str, object_id: str) -> models.Model:
    """The object named by its model label and key, if the actor may read its history; else 404 alike."""
    try:
        model = apps.get_model(object_type)
    except (LookupError, ValueError):
        raise Http404("no such object") from None
    if not history_supported(model):
        raise Http404("no such object")
    related = _RELATED.get(model._meta.label_lower, ("unit",) if _has_unit_field(model) else ())
    try:
        obj = model._default_manager.select_related(*related).filter(pk=object_id).first()
    except (ValueError, TypeError, ValidationError):
        obj = None
    if obj is None or not may_see_history(actor, obj):
        raise Http404("no such object")
    return obj


@dataclass(frozen=True)
class Change:
    field: str
    label: str
    old: Any
    new: Any


def history_entries(*, obj: models.Model) -> QuerySet[AuditEntry]:
    """Every entry about ``obj``, newest first (page it)."""
    return AuditEntry.objects.filter(object_type=obj._meta.label_lower, object_id=str(obj.pk)).order_by(
        "-created_at", "-id"
    )


def entry_changes(entry: AuditEntry, model: type[models.Model] | None = None) -> list[Change]:
    """The entry's ``{field: [old, new]}`` as rows labelled with the field's name in the page's language."""
    rows = []
    changes = entry.changes if isinstance(entry.changes, dict) else {}
    for name, value in changes.items():
        old, new = value if isinstance(value, list) and len(value) == 2 else (None, value)
        label: Any = name
        if model is not None:
            with contextlib.suppress(FieldDoesNotExist):
                label = getattr(model._meta.get_field(name), "verbose_name", name)
        rows.append(Change(field=name, label=str(label), old=old, new=new))
    return rows


# --- verification ----------------------------------------------------------------------------------------


def audit_verify(*, chain_key: str | None = None, chunk_size: int = 5000) -> chain.Report:
    """Walk every chain (or one) from its first entry, streaming rows in (chain, seq) order."""
    heads_query = AuditChain.objects.all()
    entries = AuditEntry.objects.order_by("chain", "seq")
    if chain_key is not None:
        heads_query = heads_query.filter(key=chain_key)
        entries = entries.filter(chain=chain_key)
    heads = {
        key: (last_seq, last_hash)
        for key, last_seq, last_hash in heads_query.values_list("key", "last_seq", "last_hash")
    }
    rows: Iterator[tuple[Any, ...]] = entries.values_list(*chain.FIELDS).iterator(chunk_size=chunk_size)
    return chain.verify(rows, heads)

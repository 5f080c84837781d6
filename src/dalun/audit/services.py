"""The single write path into the audit trail."""

from typing import Any

from django.db import models

from dalun.audit.models import AuditEntry


def audit_record(
    *,
    actor: Any,
    action: str,
    obj: models.Model,
    changes: dict[str, Any] | None = None,
) -> AuditEntry:
    """Append one entry; call it inside the service's transaction so both commit or neither does."""
    authenticated = actor is not None and getattr(actor, "is_authenticated", False)
    if authenticated:
        label = str(actor)
    else:  # the platform itself (policy.SYSTEM) or a member of the public
        label = "system" if getattr(actor, "is_superuser", False) else "anonymous"
    return AuditEntry.objects.create(
        actor=actor if authenticated else None,
        actor_label=label,
        action=action,
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk),
        object_repr=str(obj)[:300],
        changes=changes or {},
    )


def diff_fields(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    """``{field: [old, new]}`` for the fields whose value changed."""
    return {name: [before.get(name), value] for name, value in after.items() if before.get(name) != value}

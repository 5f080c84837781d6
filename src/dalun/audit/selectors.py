"""Reads of the audit trail."""

from django.db import models
from django.db.models import QuerySet

from dalun.audit.models import AuditEntry


def audit_history(*, obj: models.Model, limit: int = 50) -> QuerySet[AuditEntry]:
    """The newest entries about ``obj`` (callers check that the actor may see the object first)."""
    return AuditEntry.objects.filter(object_type=obj._meta.label_lower, object_id=str(obj.pk))[:limit]

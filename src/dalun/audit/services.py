"""The single write path into the audit trail."""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.conf import settings
from django.db import models, transaction
from django.utils import timezone

from dalun.audit.chain import chain_for, entry_hash, normalise
from dalun.audit.models import AuditChain, AuditEntry

DEFAULT_CHAINS = 16

# Inside ``audit_one_chain()``: the chain the block's entries go to (None until its first entry).
_pinned: ContextVar[list[str | None] | None] = ContextVar("dalun_audit_pinned", default=None)


def chain_count() -> int:
    """How many chains entries are spread over (``DALUN_AUDIT_CHAINS``; changing it later is safe)."""
    return int(getattr(settings, "DALUN_AUDIT_CHAINS", DEFAULT_CHAINS))


@contextmanager
def audit_one_chain() -> Iterator[None]:
    """Send every entry written in the block to the chain of its first entry.

    A transaction that records many objects (an import, a sweep over overdue items) would otherwise lock
    the heads of several chains in the order its objects come, and two such transactions running at once
    could deadlock on PostgreSQL. Wrap the loop of such a service in this block (inside its transaction) so
    it holds a single head. The entries stay verifiable; only their objects' histories span chains.
    """
    token = _pinned.set([None])
    try:
        yield
    finally:
        _pinned.reset(token)


def audit_record(
    *,
    actor: Any,
    action: str,
    obj: models.Model,
    changes: dict[str, Any] | None = None,
) -> AuditEntry:
    """Append one entry; call it inside the service's transaction so both commit or neither does.

    The entry joins the chain of its object (a stable hash of type and id, so an object's history is one
    chain): the chain's head row is locked until the caller's transaction ends, which gives the chain a
    gap-free sequence while writers about objects of other chains go on in parallel.
    """
    authenticated = actor is not None and getattr(actor, "is_authenticated", False)
    if authenticated:
        label = str(actor)
    else:  # the platform itself (policy.SYSTEM) or a member of the public
        label = "system" if getattr(actor, "is_superuser", False) else "anonymous"
    object_type, object_id = obj._meta.label_lower, str(obj.pk)
    pinned = _pinned.get()
    key = pinned[0] if pinned and pinned[0] else chain_for(object_type, object_id, chain_count())
    if pinned is not None:
        pinned[0] = key
    # savepoint=False: inside the caller's transaction this adds no statement; alone it is its own.
    with transaction.atomic(savepoint=False):
        head = AuditChain.objects.select_for_update().filter(key=key).first()
        if head is None:  # first entry of this chain ever: create the head, racing writers included
            AuditChain.objects.bulk_create([AuditChain(key=key)], ignore_conflicts=True)
            head = AuditChain.objects.select_for_update().get(key=key)
        entry = AuditEntry(
            actor=actor if authenticated else None,
            actor_label=label[:150],
            action=action,
            object_type=object_type,
            object_id=object_id,
            object_repr=str(obj)[:300],
            changes=normalise(changes or {}),
            created_at=timezone.now(),
            chain=key,
            seq=head.last_seq + 1,
            prev_hash=head.last_hash,
        )
        entry.hash = entry_hash(
            actor_id=entry.actor_id,
            actor_label=entry.actor_label,
            action=entry.action,
            object_type=entry.object_type,
            object_id=entry.object_id,
            object_repr=entry.object_repr,
            changes=entry.changes,
            created_at=entry.created_at,
            chain=key,
            seq=entry.seq,
            prev_hash=entry.prev_hash,
        )
        entry.save(force_insert=True)
        AuditChain.objects.filter(pk=head.pk).update(last_seq=entry.seq, last_hash=entry.hash)
    return entry


def diff_fields(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    """``{field: [old, new]}`` for the fields whose value changed."""
    return {name: [before.get(name), value] for name, value in after.items() if before.get(name) != value}

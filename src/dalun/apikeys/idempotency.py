"""Idempotent requests: a client that retries a request with the same ``Idempotency-Key`` gets the first
answer again, and nothing is created twice.

The key is claimed by inserting an :class:`IdempotentRequest` row in the same transaction as the work it
guards. A concurrent twin with the same key and route blocks on the unique constraint until the first
transaction ends: if it committed, the twin finds the stored answer and replays it; if it rolled back (the
request was refused), the twin goes ahead as if it were first. Refused requests are not remembered, so a
corrected retry with the same key is not stuck with an old refusal.
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from dalun.apikeys.models import IdempotentRequest

HEADER = "Idempotency-Key"
KEY_MAX = 255
KEPT_FOR = datetime.timedelta(hours=24)  # a key may be reused for a new request after this


class IdempotencyMismatch(Exception):
    """The key was already used on this route for a request with another body."""

    code = "idempotency_mismatch"

    def __init__(self) -> None:
        super().__init__(
            "This Idempotency-Key was already used for a different request; use a new key for a new request."
        )


@dataclass(frozen=True)
class Outcome:
    status: int
    body: dict[str, Any]
    replayed: bool


def clean_key(value: str | None) -> str | None:
    """The header's key, or None when absent; 1 to 255 visible ASCII characters (a UUID is ideal)."""
    if value is None:
        return None
    if not 0 < len(value) <= KEY_MAX or not all("!" <= ch <= "~" for ch in value):
        raise ValidationError(
            {HEADER: _("Use 1 to %(max)s visible ASCII characters, for example a UUID.") % {"max": KEY_MAX}}
        )
    return value


def fingerprint(payload: Any) -> str:
    """A keyed hash of the request's content: equal for a retry, not reversible from the database."""
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), cls=DjangoJSONEncoder)
    return hmac.new(settings.SECRET_KEY.encode(), canonical.encode(), hashlib.sha256).hexdigest()


def _stored(key: str, route: str) -> IdempotentRequest | None:
    row = IdempotentRequest.objects.filter(key=key, route=route).first()
    if row is not None and row.created_at < timezone.now() - KEPT_FOR:
        row.delete()
        return None
    return row


def _replay(row: IdempotentRequest, request_hash: str) -> Outcome:
    if not hmac.compare_digest(row.request_hash, request_hash):
        raise IdempotencyMismatch()
    return Outcome(row.status, row.response_json, replayed=True)


def idempotent(
    *, key: str | None, route: str, payload: Any, produce: Callable[[], tuple[int, dict[str, Any]]]
) -> Outcome:
    """Run ``produce`` (which returns the status and body of the answer) at most once per key and route.

    Without a key ``produce`` simply runs, in a transaction. Any exception it raises rolls back both its own
    writes and the claim on the key.
    """
    if key is None:
        with transaction.atomic():
            status, body = produce()
        return Outcome(status, body, replayed=False)
    request_hash = fingerprint(payload)
    with transaction.atomic():
        row = _stored(key, route)
        if row is not None:
            return _replay(row, request_hash)
        try:
            with transaction.atomic():
                claim = IdempotentRequest.objects.create(
                    key=key, route=route, request_hash=request_hash, status=0, response_json={}
                )
        except IntegrityError:
            # A twin with this key committed after we looked: answer what it answered.
            return _replay(IdempotentRequest.objects.get(key=key, route=route), request_hash)
        status, body = produce()
        claim.status, claim.response_json = status, body
        claim.save(update_fields=["status", "response_json"])
        return Outcome(status, body, replayed=False)


def idempotent_requests_purge(*, now: datetime.datetime | None = None) -> int:
    """Forget answers older than :data:`KEPT_FOR` (run it daily); returns how many were forgotten."""
    cutoff = (now or timezone.now()) - KEPT_FOR
    deleted, _counts = IdempotentRequest.objects.filter(created_at__lt=cutoff).delete()
    return deleted

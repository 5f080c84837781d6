"""Idempotent requests: a client that retries a request with the same ``Idempotency-Key`` gets the first
answer again, and nothing is created twice.

The key is claimed by inserting an :class:`IdempotentRequest` row in the same transaction as the work it
guards, in one statement (``INSERT ... ON CONFLICT DO NOTHING RETURNING``, on PostgreSQL and SQLite alike).
A concurrent twin with the same key and route blocks on the unique index until the first transaction ends:
if it committed, the twin's insert does nothing and the twin replays the stored answer; if it rolled back
(the request was refused), the twin's insert goes ahead as if it were first. Refused requests are not
remembered, so a corrected retry with the same key is not stuck with an old refusal.
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
from django.db import connection, transaction
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


def _claim(key: str, route: str, request_hash: str) -> int | None:
    """Insert the claim on the key in one round trip; its id, or None when the key is taken (by a committed
    twin, possibly after waiting for its transaction)."""
    table = connection.ops.quote_name(IdempotentRequest._meta.db_table)
    columns = ", ".join(
        connection.ops.quote_name(name)
        for name in ("key", "route", "request_hash", "status", "response_json", "created_at")
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({columns}) VALUES (%s, %s, %s, 0, %s, %s)"  # noqa: S608 (names quoted)
            f" ON CONFLICT ({connection.ops.quote_name('key')}, {connection.ops.quote_name('route')})"
            f" DO NOTHING RETURNING {connection.ops.quote_name('id')}",
            [key, route, request_hash, "{}", connection.ops.adapt_datetimefield_value(timezone.now())],
        )
        row = cursor.fetchone()
    return row[0] if row else None


def idempotent(
    *, key: str | None, route: str, payload: Any, produce: Callable[[], tuple[int, dict[str, Any]]]
) -> Outcome:
    """Run ``produce`` (which returns the status and body of the answer) at most once per key and route.

    Without a key ``produce`` simply runs, in a transaction. Any exception it raises rolls back both its own
    writes and the claim on the key. A claimed key costs two statements (claim, answer); a retry, one read.
    """
    if key is None:
        with transaction.atomic():
            status, body = produce()
        return Outcome(status, body, replayed=False)
    request_hash = fingerprint(payload)
    with transaction.atomic():
        for _attempt in range(3):
            claim = _claim(key, route, request_hash)
            if claim is not None:
                break
            row = _stored(key, route)  # an expired answer is deleted here, and the key claimed anew
            if row is not None:
                return _replay(row, request_hash)
        else:  # the key vanished and reappeared three times: only a concurrent purge storm could do it
            raise RuntimeError("Idempotency-Key could not be claimed")
        status, body = produce()
        IdempotentRequest.objects.filter(pk=claim).update(status=status, response_json=body)
        return Outcome(status, body, replayed=False)


def idempotent_requests_purge(*, now: datetime.datetime | None = None) -> int:
    """Forget answers older than :data:`KEPT_FOR` (run it daily); returns how many were forgotten."""
    cutoff = (now or timezone.now()) - KEPT_FOR
    deleted, _counts = IdempotentRequest.objects.filter(created_at__lt=cutoff).delete()
    return deleted

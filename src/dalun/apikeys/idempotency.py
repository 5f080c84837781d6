"""Idempotent requests: a client that retries a request with the same ``Idempotency-Key`` gets the first
answer again, and nothing is created twice.

The key is claimed by inserting an :class:`IdempotentRequest` row, with the answer, in the same
transaction as the work it guards: in the very statement that writes the work where the write allows it
(a public submission on PostgreSQL), else first in the transaction, in one statement (``INSERT ... ON
CONFLICT DO NOTHING RETURNING``, on PostgreSQL and SQLite alike).
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
from django.db import connection
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


class KeyTaken(Exception):
    """A write's claim found its key taken by an earlier request: nothing was written, and the earlier
    request's answer is to be replayed (:func:`idempotent_write` does)."""


@dataclass(frozen=True)
class Claim:
    """A claim on a key, taken by the write it guards (see :func:`idempotent_write`)."""

    key: str
    route: str
    request_hash: str
    status: int

    def row(self, body: dict[str, Any]) -> IdempotentRequest:
        """The claim with its answer, unsaved, for a write that inserts it in the statement of its rows."""
        return IdempotentRequest(
            key=self.key,
            route=self.route,
            request_hash=self.request_hash,
            status=self.status,
            response_json=body,
            created_at=timezone.now(),
        )

    def take(self) -> int:
        """Insert the claim (in the caller's transaction) and return its id; KeyTaken if the key is taken."""
        claim_id = _claim(self.key, self.route, self.request_hash)
        if claim_id is None:
            raise KeyTaken()
        return claim_id

    def answer(self, claim_id: int, body: dict[str, Any]) -> None:
        """Store the answer of a claim taken with :meth:`take`, in the same transaction."""
        IdempotentRequest.objects.filter(pk=claim_id).update(status=self.status, response_json=body)


def idempotent_write(
    *,
    key: str | None,
    route: str,
    payload: Any,
    status: int,
    write: Callable[[Claim | None], dict[str, Any]],
    refusals: tuple[type[Exception], ...] = (ValidationError,),
) -> Outcome:
    """Run ``write(claim)`` at most once per key and route, for a write that takes the claim itself (in its
    own statement, or first in its transaction) and returns the answer's body. When the key turns out to
    be taken it raises KeyTaken, having written nothing, and the stored answer is replayed. Without a key,
    ``write(None)`` simply runs.

    A retry is answered the stored answer even when it would be refused now (one of ``refusals``: the
    campaign closed, the client is over its rate limit): it was accepted the first time.
    """
    if key is None:
        return Outcome(status, write(None), replayed=False)
    request_hash = fingerprint(payload)
    claim = Claim(key=key, route=route, request_hash=request_hash, status=status)
    for _attempt in range(3):
        try:
            return Outcome(status, write(claim), replayed=False)
        except KeyTaken:
            pass
        except refusals:
            row = _stored(key, route)
            if row is None:
                raise
            return _replay(row, request_hash)
        row = _stored(key, route)  # an expired answer is deleted here, and the key claimed anew
        if row is not None:
            return _replay(row, request_hash)
    raise RuntimeError("Idempotency-Key could not be claimed")  # only a concurrent purge storm could do it


def idempotent_requests_purge(*, now: datetime.datetime | None = None) -> int:
    """Forget answers older than :data:`KEPT_FOR` (run it daily); returns how many were forgotten."""
    cutoff = (now or timezone.now()) - KEPT_FOR
    deleted, _counts = IdempotentRequest.objects.filter(created_at__lt=cutoff).delete()
    return deleted

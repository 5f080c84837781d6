"""Idempotent requests: a client that retries a request with the same ``Idempotency-Key`` gets the first
answer again, and nothing is created twice.

The record a write creates carries the key and a keyed hash of the request, under a unique index (a
public suggestion does: voices/submission_statement.py), so claiming the key costs no statement of its
own. A write whose key is taken writes nothing and raises :class:`KeyTaken`; the earlier record is then
recalled and its answer replayed. A concurrent twin blocks on the unique index until the first
transaction ends: if it committed, the twin finds the key taken; if it rolled back (the request was
refused), the twin's write goes ahead as if it were first. Refused requests are not remembered, so a
corrected retry with the same key is not stuck with an old refusal. Keys are kept for :data:`KEPT_FOR`;
after that a key is forgotten and may be used for a new request.
"""

from __future__ import annotations

import datetime
import hmac
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from pydantic import BaseModel

HEADER = "Idempotency-Key"
KEY_MAX = 255
KEPT_FOR = datetime.timedelta(hours=24)  # a key may be reused for a new request after this


class IdempotencyMismatch(Exception):
    """The key was already used for a request with another body."""

    code = "idempotency_mismatch"

    def __init__(self) -> None:
        super().__init__(
            "This Idempotency-Key was already used for a different request; use a new key for a new request."
        )


class KeyTaken(Exception):
    """A write found its key taken by an earlier request: nothing was written, and the earlier request's
    answer is to be replayed (:func:`idempotent_write` does)."""


@dataclass(frozen=True)
class Claim:
    """What a keyed write stores on its record: the key, and the keyed hash of the request."""

    key: str
    request_hash: str


@dataclass(frozen=True)
class Earlier:
    """The record an earlier request with the key created, as a retry finds it."""

    request_hash: str
    body: dict[str, Any]
    made_at: datetime.datetime


class KeyedRecords(Protocol):
    """Where a route's writes keep their keys."""

    def recall(self, key: str) -> Earlier | None: ...

    def forget(self, key: str) -> None: ...


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


def fingerprint(payload: BaseModel) -> str:
    """A keyed hash of the request's validated body: equal for a retry (its JSON has the schema's field
    order, whatever the order sent), not reversible from the database."""
    canonical = payload.model_dump_json().encode()
    return hmac.digest(settings.SECRET_KEY.encode(), canonical, "sha256").hex()


def idempotent_write(
    *,
    key: str | None,
    payload: BaseModel,
    status: int,
    write: Callable[[Claim | None], dict[str, Any]],
    records: KeyedRecords,
    refusals: tuple[type[Exception], ...] = (ValidationError,),
) -> Outcome:
    """Run ``write(claim)`` at most once per key; it stores the claim on the record it creates and returns
    the answer's body, or raises KeyTaken having written nothing, and then the earlier answer (found in
    ``records``) is replayed. Without a key, ``write(None)`` simply runs.

    A retry is answered the earlier answer even when it would be refused now (one of ``refusals``: the
    campaign closed, the client is over its rate limit): it was accepted the first time.
    """
    if key is None:
        return Outcome(status, write(None), replayed=False)
    claim = Claim(key=key, request_hash=fingerprint(payload))
    for _attempt in range(3):
        try:
            return Outcome(status, write(claim), replayed=False)
        except KeyTaken:
            pass
        except refusals:
            earlier = _recall(records, key)
            if earlier is None:
                raise
            return _replay(earlier, claim, status)
        earlier = _recall(records, key)  # an expired key is forgotten here, and claimed anew
        if earlier is not None:
            return _replay(earlier, claim, status)
    raise RuntimeError("Idempotency-Key could not be claimed")  # only keys expiring in a loop could do it


def _recall(records: KeyedRecords, key: str) -> Earlier | None:
    earlier = records.recall(key)
    if earlier is not None and earlier.made_at < timezone.now() - KEPT_FOR:
        records.forget(key)
        return None
    return earlier


def _replay(earlier: Earlier, claim: Claim, status: int) -> Outcome:
    if not hmac.compare_digest(earlier.request_hash, claim.request_hash):
        raise IdempotencyMismatch()
    return Outcome(status, earlier.body, replayed=True)

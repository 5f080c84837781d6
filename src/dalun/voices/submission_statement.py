"""A public submission written as one ``INSERT`` of the columns it knows, with its flood limit.

Submission is the write under public load, and its cost is round trips, rows and index entries more than
bytes. So it is one statement, one row:

- the suggestion carries its own ``Idempotency-Key`` (a partial unique index) rather than a claim row
  beside it: a key already taken makes the ``INSERT`` do nothing and return no id, and the caller
  replays the earlier answer (a concurrent twin waits on the unique index until the first commits);
- its intake is marked pending by its empty ``intake_done_at`` rather than by a task row: a dispatcher
  enqueues pending intakes (voices/tasks.py);
- the flood limit counts the suggestions from the same network within the window in the same statement
  (the ``WHERE``), through the index on (network, submitted_at), instead of a round trip to a counter
  elsewhere. Statements running at the same moment do not see one another, so a burst from one network
  may pass the limit by as many submissions as were being written at once (at most the web workers);
- the columns the submission does not know take their database defaults, which the model declares equal
  to its own (``db_default``).

The same statement serves PostgreSQL and SQLite (``INSERT ... SELECT ... ON CONFLICT`` on the partial index,
``RETURNING``). When it returns no id, :func:`refusal` tells a taken key from a network over its limit.
"""

from __future__ import annotations

import datetime
import functools
import math
from dataclasses import dataclass
from typing import Any

import psycopg
from django.db import connection
from django.db.models import CharField, Field, TextField

from dalun.voices.models import Suggestion

# What a submission sets; every other column of the row takes its default.
SUBMITTED = (
    "campaign",
    "title",
    "text",
    "category",
    "concerns_unit",
    "receipt_code",
    "contact_encrypted",
    "search_text",
    "submitted_at",
    "idempotency_key",
    "request_hash",
    "network",
)


@dataclass(frozen=True)
class FloodLimit:
    """At most ``limit`` suggestions per network in any ``window`` seconds."""

    limit: int
    window: int


def insert_submission(suggestion: Suggestion, flood: FloodLimit) -> int | None:
    """Insert the unsaved ``suggestion`` unless its network is over ``flood`` (a network of "" is not
    limited); its id, or None when nothing was written (see :func:`refusal`).

    Values are prepared as the ORM prepares them (``submitted_at`` is stamped here, as ``save()`` would).
    """
    values = [field.get_db_prep_save(field.pre_save(suggestion, add=True), connection) for field in _fields()]
    since = connection.ops.adapt_datetimefield_value(
        suggestion.submitted_at - datetime.timedelta(seconds=flood.window)
    )
    params = [suggestion.network, since, flood.limit, *values, flood.limit]
    if connection.vendor != "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(_statement(connection.vendor), params)
            found = cursor.fetchone()
        return found[0] if found else None
    # psycopg's own cursor, which binds the parameters on the server and prepares the statement once per
    # connection (settings: prepare_threshold); planning it anew each time cost more than running it.
    # Django's cursors quote parameters into the SQL in Python and never prepare. Wrapped as Django wraps
    # its own, so the statement is logged, counted and has its errors translated like any other.
    connection.ensure_connection()
    raw = psycopg.Cursor(connection.connection)
    wrap = connection.make_debug_cursor if connection.queries_logged else connection.make_cursor
    with wrap(raw) as cursor:  # type: ignore[arg-type]  # the stubs type it as a wrapper of Django's
        cursor.execute(_statement(connection.vendor), params)  # prepared from its 5th run on a connection
        found = cursor.fetchone()
    return found[0] if found else None


def refusal(suggestion: Suggestion, flood: FloodLimit) -> int | None:
    """Why :func:`insert_submission` wrote nothing: the seconds until the network may send again when it is
    over its limit, else None (the idempotency key is taken)."""
    since = suggestion.submitted_at - datetime.timedelta(seconds=flood.window)
    recent = list(
        Suggestion.objects.filter(network=suggestion.network, submitted_at__gt=since)
        .order_by("-submitted_at")
        .values_list("submitted_at", flat=True)[: flood.limit]
    )
    if not suggestion.network or len(recent) < flood.limit:
        return None
    # Sliding window: a place frees up when the oldest of the last ``limit`` suggestions leaves it.
    frees_at = recent[-1] + datetime.timedelta(seconds=flood.window)
    return max(1, math.ceil((frees_at - suggestion.submitted_at).total_seconds()))


@functools.cache
def _fields() -> list[Field[Any, Any]]:
    return [Suggestion._meta.get_field(name) for name in SUBMITTED]  # type: ignore[misc]


@functools.cache
def _statement(vendor: str) -> str:
    quote = connection.ops.quote_name
    table = quote(Suggestion._meta.db_table)
    network, submitted_at, key = quote("network"), quote("submitted_at"), quote("idempotency_key")
    columns = ", ".join(quote(str(field.column)) for field in _fields())
    values = ", ".join(_parameter_marker(field, vendor) for field in _fields())
    # The network's latest suggestions in the window, up to the limit: no more rows are read than that.
    recent = (
        f"SELECT 1 FROM {table} WHERE {network} = %s AND {network} <> '' AND {submitted_at} > %s"
        f" ORDER BY {submitted_at} DESC LIMIT %s"
    )
    return (
        f"WITH recent AS ({recent})"  # noqa: S608 (names quoted, values bound)
        f" INSERT INTO {table} ({columns}) SELECT {values} WHERE (SELECT count(*) FROM recent) < %s"
        f" ON CONFLICT ({key}) WHERE {key} IS NOT NULL DO NOTHING RETURNING {quote('id')}"
    )


def _parameter_marker(field: Field[Any, Any], vendor: str) -> str:
    # In a SELECT list a bound parameter has no type of its own on PostgreSQL (NULL and numbers would be
    # text): cast it to its column's. Text needs no cast, and a cast to varchar(n) would truncate silently.
    if vendor != "postgresql" or isinstance(field, (CharField, TextField)):
        return "%s"
    return f"%s::{field.db_type(connection)}"  # a foreign key's type is its target's

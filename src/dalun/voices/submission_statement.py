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
  to its own (``db_default``); the search key, for one, is made when a suggestion is published.

The same statement serves PostgreSQL and SQLite (``INSERT ... SELECT ... ON CONFLICT`` on the partial index,
``RETURNING``). When it returns no id, :func:`refusal` tells a taken key from a network over its limit.

Its Python is kept as lean as its SQL, for under load the web workers' CPU is what limits submissions per
second: the row is a :class:`Submission` of values as stored (the ORM's per-field preparation cost more
than the rest of the request's own code); in autocommit it goes to libpq directly, prepared once per
connection (:func:`_run_prepared`), else through Django's cursor; and the model instance is built from
what was stored (:func:`saved`), not through the model's keyword constructor. (A prepared statement
behind PgBouncer in transaction mode needs PgBouncer 1.21+ with ``max_prepared_statements`` set.)
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime
import functools
import itertools
import math
import operator
import weakref
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import psycopg
from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import NOT_PROVIDED, CharField, Field, ForeignKey, TextField, Value
from psycopg.pq import DiagnosticField, ExecStatus

from dalun.voices.models import Suggestion


@dataclass(frozen=True, slots=True)
class Submission:
    """The columns a public submission sets, with their values as stored; every other takes its default."""

    campaign_id: int
    title: str
    text: str
    category_id: int | None
    concerns_unit_id: int | None
    receipt_code: str
    contact_encrypted: bytes | None
    submitted_at: datetime.datetime
    idempotency_key: str | None
    request_hash: str
    network: str


SUBMITTED = tuple(field.name for field in dataclasses.fields(Submission))
_values_of = operator.attrgetter(*SUBMITTED)  # not dataclasses.astuple(), which deep-copies every value


@dataclass(frozen=True)
class FloodLimit:
    """At most ``limit`` suggestions per network in any ``window`` seconds."""

    limit: int
    window: int


def insert_submission(row: Submission, flood: FloodLimit) -> int | None:
    """Insert ``row`` unless its network is over ``flood`` (a network of "" is not limited); its id, or None
    when nothing was written (see :func:`refusal`)."""
    db = connections[DEFAULT_DB_ALIAS]  # looked up once: each lookup goes through a context-local
    values = _values_of(row) if db.vendor == "postgresql" else _sqlite_values(row, db)
    since = row.submitted_at - datetime.timedelta(seconds=flood.window)
    params = [row.network, db.ops.adapt_datetimefield_value(since), flood.limit, *values, flood.limit]
    if _on_its_own(db):
        with db.wrap_database_errors:
            return _run_prepared(db.connection, params)
    with _cursor(db) as cursor:
        cursor.execute(_statement(db.vendor), params)
        found = cursor.fetchone()
    return found[0] if found else None


def refusal(row: Submission, flood: FloodLimit) -> int | None:
    """Why :func:`insert_submission` wrote nothing: the seconds until the network may send again when it is
    over its limit, else None (the idempotency key is taken)."""
    since = row.submitted_at - datetime.timedelta(seconds=flood.window)
    recent = list(
        Suggestion.objects.filter(network=row.network, submitted_at__gt=since)
        .order_by("-submitted_at")
        .values_list("submitted_at", flat=True)[: flood.limit]
    )
    if not row.network or len(recent) < flood.limit:
        return None
    # Sliding window: a place frees up when the oldest of the last ``limit`` suggestions leaves it.
    frees_at = recent[-1] + datetime.timedelta(seconds=flood.window)
    return max(1, math.ceil((frees_at - row.submitted_at).total_seconds()))


def saved(row: Submission, pk: int, **related: Any) -> Suggestion:
    """The suggestion as :func:`insert_submission` stored ``row`` under ``pk``: the other columns hold
    their defaults. ``related`` objects (``campaign=...``) are attached, so reading them costs no query."""
    layout = _layout()
    values = list(layout.defaults)
    for index, make in layout.made:
        values[index] = make()
    for index, value in zip(layout.submitted, (*_values_of(row), pk), strict=True):
        values[index] = value
    suggestion = Suggestion.from_db(DEFAULT_DB_ALIAS, layout.names, values)
    for name, value in related.items():
        if value is not None:  # cached as select_related caches it (the row holds its id already)
            layout.relations[name].set_cached_value(suggestion, value)
    return suggestion


def _on_its_own(db: BaseDatabaseWrapper) -> bool:
    """Can the statement go straight to libpq: PostgreSQL, in autocommit (a transaction of its own, so that
    no BEGIN psycopg would have sent first is skipped), and neither logged nor wrapped (which Django's
    cursor does)?"""
    return (
        db.vendor == "postgresql" and db.get_autocommit() and not (db.queries_logged or db.execute_wrappers)
    )


@contextlib.contextmanager
def _cursor(db: BaseDatabaseWrapper) -> Iterator[Any]:
    """Django's cursor: on PostgreSQL over psycopg's RawCursor, which takes the ``$n`` parameters."""
    if db.vendor != "postgresql":
        with db.cursor() as cursor:
            yield cursor
        return
    db.ensure_connection()
    raw = psycopg.RawCursor(db.connection)
    wrap = db.make_debug_cursor if db.queries_logged else db.make_cursor
    with wrap(raw) as cursor:  # type: ignore[arg-type]
        yield cursor


# The statement is prepared on a connection the first time it runs there, under a name of its own; a
# connection leaves the set when it is closed and collected.
_PREPARED_NAME = b"dalun_public_submission"
_prepared_on: weakref.WeakSet[psycopg.Connection[Any]] = weakref.WeakSet()
_TEXT, _BINARY = 0, 1  # libpq's parameter formats
_UNKNOWN_STATEMENT = b"26000"  # SQLSTATE invalid_sql_statement_name


def _run_prepared(raw: psycopg.Connection[Any], params: list[Any]) -> int | None:
    """Run the statement through psycopg's libpq wrapper, prepared: one C call that sends it and waits.

    Under load the web workers' CPU limits submissions per second, and psycopg's cursor layer (its
    generators, dumpers and result objects) cost a worker about a tenth of a submission's CPU, measured
    under gunicorn (less in a tight loop, where its code stays in the caches). Parameters go as text (bytes
    as binary) and PostgreSQL types them from the statement's casts and columns.
    """
    pgconn = raw.pgconn
    encoding = raw.info.encoding
    values = [_wire(value, encoding) for value in params]
    formats = [_BINARY if isinstance(value, bytes) else _TEXT for value in params]
    for _attempt in range(2):
        if raw not in _prepared_on:
            statement = _statement("postgresql").encode(encoding)
            _raise_unless(pgconn.prepare(_PREPARED_NAME, statement), ExecStatus.COMMAND_OK, encoding)
            _prepared_on.add(raw)
        result = pgconn.exec_prepared(_PREPARED_NAME, values, formats)  # type: ignore[arg-type]
        if result.error_field(DiagnosticField.SQLSTATE) != _UNKNOWN_STATEMENT:
            break
        _prepared_on.discard(raw)  # the server forgot it (DEALLOCATE ALL, DISCARD ALL): prepare it again
    _raise_unless(result, ExecStatus.TUPLES_OK, encoding)
    return int(result.get_value(0, 0)) if result.ntuples else None  # type: ignore[arg-type]


def _wire(value: Any, encoding: str) -> bytes | None:
    """A parameter as libpq sends it: text, except bytes (sent binary, as they are)."""
    if value is None or isinstance(value, bytes):
        return value
    if isinstance(value, str):
        if "\x00" in value:  # libpq would cut the text there
            raise psycopg.DataError("PostgreSQL text fields cannot contain NUL (0x00) bytes")
        return value.encode(encoding)
    if isinstance(value, int) and not isinstance(value, bool):
        return b"%d" % value
    if isinstance(value, datetime.datetime) and value.utcoffset() is not None:
        return value.isoformat().encode()
    raise TypeError(f"no text form for the parameter {value!r}")


def _raise_unless(result: psycopg.pq.abc.PGresult, status: ExecStatus, encoding: str) -> None:
    if result.status != status:
        raise psycopg.errors.error_from_result(result, encoding=encoding)


def _sqlite_values(row: Submission, db: BaseDatabaseWrapper) -> list[Any]:
    adapt = db.ops.adapt_datetimefield_value
    return [adapt(value) if isinstance(value, datetime.datetime) else value for value in _values_of(row)]


@functools.cache
def _fields() -> list[Field[Any, Any]]:
    return [Suggestion._meta.get_field(name) for name in SUBMITTED]  # type: ignore[misc]


@dataclass(frozen=True)
class _Layout:
    """A suggestion's columns in the model's order, for :func:`saved`: what the statement leaves to the
    defaults (constants, and those made anew for each row) and where its own values go."""

    names: list[str]
    defaults: list[Any]
    made: list[tuple[int, Callable[[], Any]]]
    submitted: list[int]  # the positions of SUBMITTED, then of the id
    relations: dict[str, ForeignKey[Any, Any]]  # the foreign keys, by name


@functools.cache
def _layout() -> _Layout:
    fields = Suggestion._meta.concrete_fields
    names = [str(field.attname) for field in fields]
    made = [(index, field.default) for index, field in enumerate(fields) if _made_anew(field)]
    return _Layout(
        names=names,
        defaults=[_default(field) for field in fields],
        made=made,
        submitted=[names.index(name) for name in (*SUBMITTED, "id")],
        relations={field.name: field for field in fields if isinstance(field, ForeignKey)},
    )


def _made_anew(field: Field[Any, Any]) -> bool:
    return field.has_default() and callable(field.default)  # a default=list, say, is made for each row


def _default(field: Field[Any, Any]) -> Any:
    """What the column holds when the statement leaves it out: its default, or its database default."""
    if _made_anew(field):
        return None
    if field.has_default() or field.db_default is NOT_PROVIDED:
        return field.get_default()
    stored = field.db_default.value if isinstance(field.db_default, Value) else field.db_default
    if hasattr(stored, "resolve_expression"):
        raise TypeError(f"{field.name}: only a constant database default is known without reading the row")
    return stored


@functools.cache
def _statement(vendor: str) -> str:
    quote = connection.ops.quote_name
    table = quote(Suggestion._meta.db_table)
    network, submitted_at, key = quote("network"), quote("submitted_at"), quote("idempotency_key")
    columns = ", ".join(quote(str(field.column)) for field in _fields())
    # Parameters in order: the network, the window's start and the limit, the row's values, the limit.
    # On PostgreSQL they are numbered ($1, $2 ...: libpq and psycopg's RawCursor); SQLite's cursor takes %s.
    markers = (f"${n}" for n in itertools.count(1)) if vendor == "postgresql" else itertools.repeat("%s")
    recent = next(markers), next(markers), next(markers)
    values = ", ".join(_typed(next(markers), field, vendor) for field in _fields())
    # The network's latest suggestions in the window, up to the limit: no more rows are read than that.
    latest = (
        f"SELECT 1 FROM {table} WHERE {network} = {recent[0]} AND {network} <> ''"
        f" AND {submitted_at} > {recent[1]} ORDER BY {submitted_at} DESC LIMIT {recent[2]}"
    )
    limit = next(markers)
    return (
        f"WITH recent AS ({latest})"  # noqa: S608 (names quoted, values bound)
        f" INSERT INTO {table} ({columns}) SELECT {values} WHERE (SELECT count(*) FROM recent) < {limit}"
        f" ON CONFLICT ({key}) WHERE {key} IS NOT NULL DO NOTHING RETURNING {quote('id')}"
    )


def _typed(marker: str, field: Field[Any, Any], vendor: str) -> str:
    # In a SELECT list a bound parameter has no type of its own on PostgreSQL (NULL and numbers would be
    # text): cast it to its column's. Text needs no cast, and a cast to varchar(n) would truncate silently.
    if vendor != "postgresql" or isinstance(field, (CharField, TextField)):
        return marker
    return f"{marker}::{field.db_type(connection)}"  # a foreign key's type is its target's

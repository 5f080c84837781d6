"""A public submission's rows written in one SQL statement on PostgreSQL.

Submission is the write under public load, and on PostgreSQL its cost is round trips and commits more
than rows. So the claim on the ``Idempotency-Key``, the suggestion and its intake task (the database
queue's row) go in as one data-modifying ``WITH`` statement, in autocommit: one round trip, one commit,
all or nothing. The suggestion's id is drawn from its sequence inside the statement, and put into the
answer stored with the claim and into the task's arguments. When the key is already claimed the claim
inserts nothing, the rows that depend on it insert nothing either, and the statement returns no id: the
caller replays the stored answer. (Preparing the statement on the server measured no faster.)

Rows are unsaved model instances, prepared as the ORM's ``save()`` prepares them (the ``pre_save`` signal,
then each field's ``pre_save`` and ``get_db_prep_save``), so the encrypted contact, JSON and time stamps
are written exactly as Django writes them. Other databases write the same rows one by one
(voices.services).
"""

from __future__ import annotations

import functools
import json
from typing import TYPE_CHECKING, Any

import psycopg
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection
from django.db.models import CharField, Field, Model, TextField
from django.db.models.fields import AutoFieldMixin
from django.db.models.signals import pre_save

from dalun.apikeys.models import IdempotentRequest

if TYPE_CHECKING:
    from django_tasks_db.models import DBTaskResult

# Values the statement computes. A ``%s`` in one stands for the instance's own value of the column (JSON).
NEW_ID = "new.id"  # the suggestion's id, drawn from its sequence
ANSWER_WITH_ID = "jsonb_set(%s::jsonb, '{id}', to_jsonb(new.id))"  # the claim's stored answer, "id" set
TASK_ARGUMENTS = "jsonb_set(%s::jsonb, '{args,0}', to_jsonb(new.id))"  # the intake task's argument


def insert_submission(
    *, suggestion: Model, task: DBTaskResult | None, claim: IdempotentRequest | None
) -> int | None:
    """Insert the suggestion, its task row (if any) and the claim (if any) in one statement.

    Returns the suggestion's id, or None when the claim found its key taken (nothing was written).
    """
    rows: list[tuple[Model, tuple[tuple[str, str], ...]]] = [(suggestion, (("id", NEW_ID),))]
    if task is not None:
        rows.append((task, (("args_kwargs", TASK_ARGUMENTS),)))
    if claim is not None:
        rows.insert(0, (claim, (("response_json", ANSWER_WITH_ID),)))
    params: list[Any] = []
    for row, computed in rows:
        # What save() does first (django-tasks-db sets the task's run_after there).
        pre_save.send(type(row), instance=row, raw=False, using=connection.alias, update_fields=None)
        params.extend(_values(row, dict(computed)))
    sql = _statement(
        type(suggestion),
        type(task) if task is not None else None,
        type(claim) if claim is not None else None,
    )
    # psycopg's own cursor, which binds the parameters on the server: Django's quotes each of the statement's
    # forty-odd values into the SQL text in Python, which cost more CPU. Wrapped as Django wraps its own,
    # so the statement is logged, counted and has its errors translated like any other.
    connection.ensure_connection()
    raw = psycopg.Cursor(connection.connection)
    wrap = connection.make_debug_cursor if connection.queries_logged else connection.make_cursor
    # (The stubs type the argument as a wrapper; Django itself passes its driver's cursor.)
    with wrap(raw) as cursor:  # type: ignore[arg-type]
        cursor.execute(sql, params)
        found = cursor.fetchone()
    return found[0] if found else None


@functools.cache
def _statement(suggestion: type[Model], task: type[Model] | None, claim: type[Model] | None) -> str:
    quote = connection.ops.quote_name
    sequence = f"pg_get_serial_sequence('{suggestion._meta.db_table}', 'id')"
    parts = [f"new AS (SELECT nextval({sequence}) AS id)"]
    source = "new"
    if claim is not None:
        insert = _insert_select(claim, {"response_json": ANSWER_WITH_ID})
        conflict = f"({quote('key')}, {quote('route')})"
        parts.append(f"claim AS ({insert} FROM new ON CONFLICT {conflict} DO NOTHING RETURNING 1)")
        source = "new, claim"
    parts.append(f"suggestion AS ({_insert_select(suggestion, {'id': NEW_ID})} FROM {source} RETURNING id)")
    if task is not None:
        parts.append(f"task AS ({_insert_select(task, {'args_kwargs': TASK_ARGUMENTS})} FROM {source})")
    return f"WITH {', '.join(parts)} SELECT id FROM suggestion"


def _insert_select(model: type[Model], computed: dict[str, str]) -> str:
    """``INSERT INTO table (columns) SELECT values`` for one row of ``model``."""
    quote = connection.ops.quote_name
    columns, expressions = [], []
    for field in _fields(model, frozenset(computed)):
        column = str(field.column)
        expression = computed.get(column, "%s")
        # A bare parameter in a SELECT list has no type of its own (NULL and numbers would be text): cast it
        # to the column's. Text needs no cast, and a cast to varchar(n) would truncate silently.
        if expression == "%s" and not isinstance(field, (CharField, TextField)):
            expression = f"%s::{field.db_type(connection)}"  # a foreign key's type is its target's
        columns.append(quote(column))
        expressions.append(expression)
    return f"INSERT INTO {quote(model._meta.db_table)} ({', '.join(columns)}) SELECT {', '.join(expressions)}"


@functools.cache
def _fields(model: type[Model], computed: frozenset[str]) -> list[Field[Any, Any]]:
    """The columns a row of ``model`` is written with: all but an automatic id the statement leaves out."""
    return [
        field
        for field in model._meta.concrete_fields
        if field.column in computed or not isinstance(field, AutoFieldMixin)
    ]


def _values(row: Model, computed: dict[str, str]) -> list[Any]:
    values = []
    for field in _fields(type(row), frozenset(computed)):
        expression = computed.get(str(field.column))
        if expression is None:
            values.append(field.get_db_prep_save(field.pre_save(row, add=True), connection))
        elif "%s" in expression:
            values.append(json.dumps(getattr(row, field.attname), cls=DjangoJSONEncoder))
    return values

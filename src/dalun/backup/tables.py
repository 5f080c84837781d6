"""Which tables a snapshot holds, in which order, and how a row becomes a line of JSON and back.

Rows are stored as raw column values, not through Django's serializers: a JSON array per row, in the column
order recorded in the manifest. That is several times faster than the serializers, keeps ``auto_now`` fields
and primary keys exactly as they were, and is vendor-neutral, so a snapshot taken on SQLite restores into
PostgreSQL and back. Each value is written from its Python value (what the ORM reads) and read back through
the field's own ``to_python`` and ``get_db_prep_save``, the same conversions the ORM itself uses.
"""

from __future__ import annotations

import base64
import datetime
import decimal
import json
import uuid
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from django.apps import apps
from django.db import models
from django.db.backends.base.base import BaseDatabaseWrapper
from django.utils.duration import duration_string

# Not part of a snapshot: sessions are tied to the secret key and die with the old installation (people
# sign in again); task results are the queue's bookkeeping, and replaying finished or half-run tasks in the
# restored installation would repeat their side effects (notifications, recomputations).
EXCLUDED_MODELS = frozenset({"sessions.session", "django_tasks_database.dbtaskresult"})

# Rows that ``migrate`` itself creates in every installation. An "empty" installation has them; a restore
# replaces them with the snapshot's rows, so their ids (which other rows point at) are the original ones.
INSTALLATION_MODELS = frozenset({"contenttypes.contenttype", "auth.permission"})

# Columns whose value needs no conversion between the ORM, JSON and the database driver.
_PLAIN_TYPES = frozenset(
    {
        "AutoField",
        "BigAutoField",
        "SmallAutoField",
        "IntegerField",
        "BigIntegerField",
        "SmallIntegerField",
        "PositiveIntegerField",
        "PositiveBigIntegerField",
        "PositiveSmallIntegerField",
        "CharField",
        "TextField",
        "SlugField",
        "EmailField",
        "URLField",
        "FileField",
        "ImageField",
        "FilePathField",
        "BooleanField",
        "NullBooleanField",
    }
)


def snapshot_models() -> list[type[models.Model]]:
    """Every table a snapshot holds, parents before the rows that point at them.

    All installed, managed, concrete models (the automatic many-to-many tables included) except
    ``EXCLUDED_MODELS``. Foreign keys are checked at commit on both databases, so the order is for
    readability and for databases that check earlier; cycles are broken in a stable order.
    """
    candidates = [
        model
        for model in apps.get_models(include_auto_created=True)
        if model._meta.managed
        and not model._meta.proxy
        and not model._meta.swapped
        and model._meta.label_lower not in EXCLUDED_MODELS
    ]
    chosen = set(candidates)
    ordered: list[type[models.Model]] = []
    placed: set[type[models.Model]] = set()
    visiting: set[type[models.Model]] = set()

    def place(model: type[models.Model]) -> None:
        if model in placed or model in visiting:
            return
        visiting.add(model)
        for field in model._meta.local_concrete_fields:
            target = field.related_model if field.is_relation else None
            if isinstance(target, type) and target is not model and target in chosen:
                place(target)
        visiting.discard(model)
        placed.add(model)
        ordered.append(model)

    for model in candidates:
        place(model)
    return ordered


def table_fields(model: type[models.Model]) -> list[models.Field]:
    """The columns of the model's own table, as stored (generated columns are computed, not stored)."""
    return [field for field in model._meta.local_concrete_fields if not getattr(field, "generated", False)]


def column_names(model: type[models.Model]) -> list[str]:
    """The column names of ``table_fields``, as the manifest records them."""
    return [str(field.column) for field in table_fields(model)]


def _json_default(value: Any) -> Any:
    """JSON for the non-JSON values the ORM hands out; ``to_python`` of each field reads them back."""
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        return value.isoformat()  # full precision, with the UTC offset of aware datetimes
    if isinstance(value, datetime.timedelta):
        return duration_string(value)
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, bytes | bytearray | memoryview):
        return base64.b64encode(bytes(value)).decode("ascii")
    raise TypeError(f"cannot store a {type(value).__name__} in a snapshot")


def encode_row(values: Iterable[Any]) -> bytes:
    """One row as one line of JSON (UTF-8, newline-terminated)."""
    text = json.dumps(list(values), ensure_ascii=False, separators=(",", ":"), default=_json_default)
    return text.encode("utf-8") + b"\n"


def read_rows(model: type[models.Model], *, using: str, chunk_size: int = 2000) -> Iterator[tuple[Any, ...]]:
    """Stream the table's rows in primary-key order, a chunk at a time (never the whole table)."""
    names = [field.attname for field in table_fields(model)]
    queryset = model._base_manager.using(using).order_by(model._meta.pk.attname).values_list(*names)
    return queryset.iterator(chunk_size=chunk_size)


def _stored_type(field: models.Field) -> str:
    """The internal type of the column as stored: a foreign key is stored as the key it points at."""
    target: Any = field
    while target.is_relation and getattr(target, "target_field", None) is not None:
        target = target.target_field
    return str(target.get_internal_type())


Decoder = Callable[[list[Any]], list[Any]]


def row_decoder(fields: list[models.Field], connection: BaseDatabaseWrapper) -> Decoder:
    """A function turning one decoded JSON line into the parameters of an INSERT for this database."""
    converters: list[Callable[[Any], Any] | None] = []
    for field in fields:
        if _stored_type(field) in _PLAIN_TYPES:
            converters.append(None)
        else:

            def convert(value: Any, field: models.Field = field) -> Any:
                return field.get_db_prep_save(field.to_python(value), connection)

            converters.append(convert)

    def decode(values: list[Any]) -> list[Any]:
        return [
            value if convert is None or value is None else convert(value)
            for convert, value in zip(converters, values, strict=True)
        ]

    return decode


def insert_statement(
    model: type[models.Model], fields: list[models.Field], connection: BaseDatabaseWrapper, rows: int
) -> str:
    """``INSERT INTO table (columns) VALUES (...), (...)`` for ``rows`` rows."""
    quote = connection.ops.quote_name
    columns = ", ".join(quote(str(field.column)) for field in fields)
    one = "(" + ", ".join(["%s"] * len(fields)) + ")"
    return f"INSERT INTO {quote(model._meta.db_table)} ({columns}) VALUES " + ", ".join([one] * rows)


def copy_statement(
    model: type[models.Model], fields: list[models.Field], connection: BaseDatabaseWrapper
) -> str:
    """``COPY table (columns) FROM STDIN`` (PostgreSQL's bulk load)."""
    quote = connection.ops.quote_name
    columns = ", ".join(quote(str(field.column)) for field in fields)
    return f"COPY {quote(model._meta.db_table)} ({columns}) FROM STDIN"


def batch_size(fields: list[models.Field], connection: BaseDatabaseWrapper) -> int:
    """Rows per INSERT: as many as the database's limit on parameters allows, at most 500."""
    limit = connection.features.max_query_params or 65535
    return max(1, min(500, limit // max(1, len(fields))))

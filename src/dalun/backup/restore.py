"""Restore a snapshot into an empty installation: all or nothing.

Before anything is written the restore reads the manifest, checks that this installation runs the same
migrations and has the same tables and columns, that its database holds no rows (only what ``migrate``
creates: content types and permissions, which the snapshot's rows replace) and that no uploaded file would be
overwritten, and verifies the SHA-256 of every table dump and file. Then it loads every table in one
transaction, checks every foreign key (once per key, not per row), resets PostgreSQL's sequences (new rows
get fresh ids) and copies the files back; if any step fails the transaction is rolled back and the files it
copied are removed.
"""

from __future__ import annotations

import json
import os
import shutil
import tarfile
import tempfile
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path, PurePosixPath
from typing import Any

from django.apps import apps
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.management.color import no_style
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections, models, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.utils.translation import gettext as _

from dalun.backup.manifest import (
    CHUNK,
    BackupError,
    Manifest,
    TableEntry,
    file_sha256,
    migration_state,
    read_manifest,
    verify_checksums,
)
from dalun.backup.tables import (
    INSTALLATION_MODELS,
    Decoder,
    batch_size,
    column_names,
    copy_statement,
    insert_statement,
    row_decoder,
    snapshot_models,
    table_fields,
)

Progress = Callable[[str], None]


@contextmanager
def open_snapshot(source: Path) -> Iterator[Path]:
    """The snapshot's directory: ``source`` itself, or a temporary extraction of a tar archive."""
    source = Path(source)
    if source.is_dir():
        yield source
        return
    if not source.is_file():
        raise BackupError(_("%(path)s: no such snapshot") % {"path": source})
    with tempfile.TemporaryDirectory(prefix="dalun-restore-") as work:
        try:
            with tarfile.open(source) as archive:
                # The "data" filter refuses absolute paths, "..", links and devices.
                archive.extractall(work, filter="data")
        except (tarfile.TarError, OSError, EOFError, zlib.error) as error:
            raise BackupError(
                _("%(path)s: not a readable snapshot archive (%(error)s)") % {"path": source, "error": error}
            ) from None
        yield Path(work)


def _check_compatible(manifest: Manifest, connection: BaseDatabaseWrapper) -> None:
    """Same migrations, same tables, same columns: otherwise rows would land in the wrong shape."""
    state, pending = migration_state(connection)
    if pending:
        raise BackupError(
            _("This installation has unapplied migrations (%(names)s): run `dalun migrate` first.")
            % {"names": ", ".join(pending)}
        )
    if state != manifest.migrations:
        differences = [
            f"{app} ({manifest.migrations.get(app, '-')} / {state.get(app, '-')})"
            for app in sorted(set(state) | set(manifest.migrations))
            if state.get(app) != manifest.migrations.get(app)
        ]
        raise BackupError(
            _(
                "The snapshot's migrations differ from this installation's (snapshot / here): %(apps)s. "
                "Restore into Dalun %(version)s, then run `dalun migrate`."
            )
            % {"apps": ", ".join(differences), "version": manifest.dalun_version}
        )
    expected = {model._meta.label_lower: model for model in snapshot_models()}
    listed = {entry.model for entry in manifest.tables}
    if listed != set(expected):
        raise BackupError(
            _("The snapshot's tables differ from this installation's: %(tables)s")
            % {"tables": ", ".join(sorted(listed ^ set(expected)))}
        )
    for entry in manifest.tables:
        columns = column_names(expected[entry.model])
        if entry.columns != columns:
            raise BackupError(
                _("%(file)s: columns %(found)s, this installation has %(here)s")
                % {"file": entry.file, "found": ", ".join(entry.columns), "here": ", ".join(columns)}
            )


def _check_empty(connection: BaseDatabaseWrapper, manifest: Manifest, media_root: Path) -> None:
    filled = [
        model._meta.label_lower
        for model in snapshot_models()
        if model._meta.label_lower not in INSTALLATION_MODELS
        and model._base_manager.using(connection.alias).exists()
    ]
    if filled:
        raise BackupError(
            _(
                "This installation is not empty (rows in %(tables)s): a snapshot is restored only into a "
                "freshly migrated database. `dalun flush` empties one, destroying its data."
            )
            % {"tables": ", ".join(filled[:5]) + (" …" if len(filled) > 5 else "")}
        )
    for entry in manifest.files:
        target = media_root.joinpath(*PurePosixPath(entry.path).parts[1:])
        if target.exists() and (not target.is_file() or file_sha256(target)[0] != entry.sha256):
            raise BackupError(
                _("%(path)s already exists with other content; it would be overwritten") % {"path": target}
            )


def _decoded_rows(
    root: Path, entry: TableEntry, fields: list[models.Field], decode: Decoder
) -> Iterator[list]:
    """The table dump's rows, decoded for the database, a line at a time; bad lines are named."""
    count = 0
    with (root / entry.file).open("rb") as stream:
        for number, line in enumerate(stream, start=1):
            try:
                values = json.loads(line)
                if not isinstance(values, list) or len(values) != len(fields):
                    raise ValueError(_("expected %(count)d columns") % {"count": len(fields)})
                row = decode(values)
            except (ValueError, TypeError) as error:
                raise BackupError(
                    _("%(file)s, line %(line)d: %(error)s")
                    % {"file": entry.file, "line": number, "error": error}
                ) from None
            count += 1
            yield row
    if count != entry.rows:
        raise BackupError(
            _("%(file)s: %(found)d rows, the manifest says %(rows)d")
            % {"file": entry.file, "found": count, "rows": entry.rows}
        )


def _load_table(
    root: Path, entry: TableEntry, model: type[models.Model], connection: BaseDatabaseWrapper
) -> None:
    fields = table_fields(model)
    rows = _decoded_rows(root, entry, fields, row_decoder(fields, connection))
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # COPY is several times faster than INSERT for bulk loads, and psycopg adapts each value.
            with cursor.cursor.copy(copy_statement(model, fields, connection)) as copy:
                for row in rows:
                    copy.write_row(row)
            return
        size = batch_size(fields, connection)
        full_statement = insert_statement(model, fields, connection, size)
        batch: list[list[Any]] = []
        for row in rows:
            batch.append(row)
            if len(batch) == size:
                cursor.execute(full_statement, [value for one in batch for value in one])
                batch.clear()
        if batch:
            statement = insert_statement(model, fields, connection, len(batch))
            cursor.execute(statement, [value for one in batch for value in one])


def _copy_media(root: Path, manifest: Manifest, media_root: Path, created: list[Path]) -> None:
    for entry in manifest.files:
        relative = PurePosixPath(entry.path).parts[1:]
        target = media_root.joinpath(*relative)
        if target.exists():
            continue  # the same bytes are already there (checked before loading)
        target.parent.mkdir(parents=True, exist_ok=True)
        temporary = target.with_name(f".{target.name}.restoring")
        with (root / entry.path).open("rb") as reader, temporary.open("wb") as writer:
            shutil.copyfileobj(reader, writer, CHUNK)
        os.replace(temporary, target)
        created.append(target)


@contextmanager
def _foreign_keys_checked_at_end(connection: BaseDatabaseWrapper, tables: list[str]) -> Iterator[None]:
    """Check every foreign key of the loaded tables once, after the load, as pg_restore does.

    On PostgreSQL the keys are dropped inside the transaction and added back afterwards: adding a key
    checks all rows in one scan, where deferred checks would queue one trigger event per row (memory and
    time that grow with the audit trail). If this database user does not own the tables, and on SQLite
    (whose check is one pass already), the deferred checks are run at the end instead.
    """
    keys: list[tuple[str, str, str, bool]] = []
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT c.relname, k.conname, pg_get_constraintdef(k.oid), pg_has_role(c.relowner, 'USAGE') "
                "FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid "
                "WHERE k.contype = 'f' AND c.relnamespace = current_schema()::regnamespace "
                "AND c.relname = ANY(%s) ORDER BY c.relname, k.conname",
                [tables],
            )
            keys = list(cursor.fetchall())
    if not keys or not all(owned for *_, owned in keys):
        yield
        connection.check_constraints(table_names=tables)
        return
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        for table, name, _definition, _owned in keys:
            cursor.execute(f"ALTER TABLE {quote(table)} DROP CONSTRAINT {quote(name)}")
    yield  # on an error the transaction's rollback brings the keys back
    with connection.cursor() as cursor:
        for table, name, definition, _owned in keys:
            cursor.execute(f"ALTER TABLE {quote(table)} ADD CONSTRAINT {quote(name)} {definition}")


def _load(root: Path, manifest: Manifest, connection: BaseDatabaseWrapper, progress: Progress) -> None:
    media_root = Path(settings.MEDIA_ROOT)
    created: list[Path] = []
    loaded: list[type[models.Model]] = []
    try:
        with transaction.atomic(using=connection.alias):
            tables = [apps.get_model(entry.model)._meta.db_table for entry in manifest.tables]
            with _foreign_keys_checked_at_end(connection, tables):
                with connection.cursor() as cursor:
                    # What migrate created is replaced by the snapshot's rows (references keep their ids);
                    # the rows that point at others go first.
                    for model in reversed(snapshot_models()):
                        if model._meta.label_lower in INSTALLATION_MODELS:
                            cursor.execute(f"DELETE FROM {connection.ops.quote_name(model._meta.db_table)}")
                for entry in manifest.tables:
                    model = apps.get_model(entry.model)
                    _load_table(root, entry, model, connection)
                    loaded.append(model)
                    progress(f"{entry.model}: {entry.rows}")
            with connection.cursor() as cursor:
                for statement in connection.ops.sequence_reset_sql(no_style(), loaded):
                    cursor.execute(statement)
            _copy_media(root, manifest, media_root, created)
    except DatabaseError as error:
        for path in created:
            path.unlink(missing_ok=True)
        raise BackupError(
            _("The database refused the snapshot (%(error)s); nothing was restored") % {"error": error}
        ) from None
    except BaseException:
        for path in created:
            path.unlink(missing_ok=True)
        raise
    finally:
        ContentType.objects.clear_cache()


def restore_snapshot(
    source: Path,
    *,
    using: str = DEFAULT_DB_ALIAS,
    verify_only: bool = False,
    progress: Progress | None = None,
) -> Manifest:
    """Check ``source`` (a snapshot directory or archive) and, unless ``verify_only``, restore it."""
    progress = progress or (lambda message: None)
    connection = connections[using]
    if connection.in_atomic_block and not verify_only:
        raise BackupError(_("A restore must run outside a database transaction."))
    with open_snapshot(Path(source)) as root:
        manifest = read_manifest(root)
        _check_compatible(manifest, connection)
        if not verify_only:
            _check_empty(connection, manifest, Path(settings.MEDIA_ROOT))
        verify_checksums(root, manifest)
        if not verify_only:
            _load(root, manifest, connection, progress)
    return manifest

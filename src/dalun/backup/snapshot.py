"""Take a snapshot: every table read in one consistent transaction, every uploaded file, one manifest.

The database is read inside a single transaction that sees one instant: on PostgreSQL ``REPEATABLE READ,
READ ONLY``; on SQLite one deferred read transaction (in WAL mode it blocks no writer). Rows are streamed a
chunk at a time to the table dumps while their SHA-256 is computed, so memory stays flat however large the
audit trail grows. The snapshot is written under a temporary name and renamed when complete, so a
half-written snapshot never looks like a good one.
"""

from __future__ import annotations

import datetime
import os
import shutil
import tarfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Literal

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.utils import timezone
from django.utils.translation import gettext as _

from dalun.backup.manifest import (
    CHUNK,
    MANIFEST_NAME,
    BackupError,
    FileEntry,
    HashingWriter,
    Manifest,
    TableEntry,
    dalun_version,
    migration_state,
)
from dalun.backup.tables import EXCLUDED_MODELS, column_names, encode_row, read_rows, snapshot_models

ArchiveMode = Literal["w", "w:gz"]
ARCHIVE_SUFFIXES: dict[str, ArchiveMode] = {".tar": "w", ".tar.gz": "w:gz", ".tgz": "w:gz"}

Progress = Callable[[str], None]


def archive_mode(path: Path) -> ArchiveMode | None:
    """The tarfile write mode for an archive destination, or None for a plain directory."""
    name = path.name.lower()
    for suffix, mode in ARCHIVE_SUFFIXES.items():
        if name.endswith(suffix):
            return mode
    return None


@contextmanager
def consistent_read(connection: BaseDatabaseWrapper) -> Iterator[None]:
    """Every query inside sees the database as of one instant, and none of them can write."""
    if connection.in_atomic_block:
        raise BackupError(_("A snapshot must be taken outside a database transaction."))
    if connection.vendor == "sqlite":
        # Django opens SQLite transactions with BEGIN IMMEDIATE (it takes the write lock); a backup only
        # reads, so it opens a deferred one itself and the application keeps writing meanwhile.
        connection.ensure_connection()
        with connection.cursor() as cursor:
            cursor.execute("BEGIN DEFERRED")
            cursor.execute("SELECT count(*) FROM sqlite_master")  # the read snapshot starts here
        try:
            yield
        finally:
            with connection.cursor() as cursor:
                cursor.execute("COMMIT")
        return
    with transaction.atomic(using=connection.alias):
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        yield


def _check_tables_exist(connection: BaseDatabaseWrapper) -> None:
    existing = set(connection.introspection.table_names())
    for model in snapshot_models():
        if model._meta.db_table not in existing:
            raise BackupError(
                _("The table %(table)s of %(model)s is missing: run `dalun migrate` first.")
                % {"table": model._meta.db_table, "model": model._meta.label}
            )


def _dump_tables(root: Path, connection: BaseDatabaseWrapper, progress: Progress) -> list[TableEntry]:
    (root / "tables").mkdir()
    entries = []
    for model in snapshot_models():
        name = f"tables/{model._meta.label_lower}.jsonl"
        rows = 0
        with (root / name).open("wb") as stream:
            writer = HashingWriter(stream)
            for row in read_rows(model, using=connection.alias):
                writer.write(encode_row(row))
                rows += 1
        entries.append(
            TableEntry(
                model=model._meta.label_lower,
                table=model._meta.db_table,
                file=name,
                columns=column_names(model),
                rows=rows,
                sha256=writer.digest.hexdigest(),
                size=writer.size,
            )
        )
        progress(f"{model._meta.label_lower}: {rows}")
    return entries


def media_files(media_root: Path) -> Iterator[Path]:
    """Every regular file under MEDIA_ROOT, in a stable order (symbolic links are not followed)."""
    if not media_root.is_dir():
        return
    for directory, subdirs, names in os.walk(media_root):
        subdirs.sort()
        for name in sorted(names):
            path = Path(directory) / name
            if path.is_file() and not path.is_symlink():
                yield path


def _copy_media(root: Path, media_root: Path) -> list[FileEntry]:
    entries = []
    for source in media_files(media_root):
        relative = source.relative_to(media_root).as_posix()
        target = root / "media" / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        with source.open("rb") as reader, target.open("wb") as stream:
            writer = HashingWriter(stream)
            while chunk := reader.read(CHUNK):
                writer.write(chunk)
        entries.append(
            FileEntry(path=f"media/{relative}", size=writer.size, sha256=writer.digest.hexdigest())
        )
    return entries


def _write_snapshot(root: Path, *, using: str, progress: Progress) -> Manifest:
    connection = connections[using]
    state, pending = migration_state(connection)
    if pending:
        raise BackupError(
            _("The database has unapplied migrations (%(names)s): run `dalun migrate` first.")
            % {"names": ", ".join(pending)}
        )
    _check_tables_exist(connection)
    root.parent.mkdir(parents=True, exist_ok=True)
    root.mkdir(mode=0o700)  # personal data: readable by the account that runs backups only
    manifest = Manifest(
        dalun_version=dalun_version(),
        created_at=timezone.now().astimezone(datetime.UTC).isoformat(),
        vendor=connection.vendor,
        migrations=state,
        excluded=sorted(EXCLUDED_MODELS),
    )
    with consistent_read(connection):
        manifest.tables = _dump_tables(root, connection, progress)
        # Files are copied while the read transaction still holds: a file uploaded meanwhile may be extra
        # (harmless), but a file the snapshot's rows name is there unless it was deleted in those seconds.
        manifest.files = _copy_media(root, Path(settings.MEDIA_ROOT))
    (root / MANIFEST_NAME).write_text(manifest.as_json(), encoding="utf-8")
    return manifest


def take_snapshot(
    destination: Path, *, using: str = DEFAULT_DB_ALIAS, progress: Progress | None = None
) -> Manifest:
    """Write a snapshot to ``destination``: a new directory, or a ``.tar``/``.tar.gz``/``.tgz`` file."""
    progress = progress or (lambda message: None)
    destination = Path(destination)
    if destination.exists() and not (destination.is_dir() and not any(destination.iterdir())):
        raise BackupError(_("%(path)s already exists; choose a new name") % {"path": destination})
    mode = archive_mode(destination)
    partial = destination.with_name(destination.name + ".partial")
    build = partial if mode is None else destination.with_name(destination.name + ".partial-dir")
    for leftover in {partial, build}:
        if leftover.exists():
            raise BackupError(
                _("%(path)s exists (an interrupted backup?); remove it first") % {"path": leftover}
            )
    try:
        manifest = _write_snapshot(build, using=using, progress=progress)
        if mode is not None:
            partial.touch(mode=0o600)
            with tarfile.open(partial, mode) as archive:
                # The manifest first, so a reader learns what follows before reading it.
                archive.add(build / MANIFEST_NAME, arcname=MANIFEST_NAME)
                for part in ("tables", "media"):
                    if (build / part).exists():
                        archive.add(build / part, arcname=part)
            shutil.rmtree(build)
        if destination.is_dir():
            destination.rmdir()
        partial.rename(destination)
    except BaseException:
        shutil.rmtree(build, ignore_errors=True)
        if partial.is_dir():
            shutil.rmtree(partial, ignore_errors=True)
        else:
            partial.unlink(missing_ok=True)
        raise
    return manifest

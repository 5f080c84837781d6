"""The manifest of a snapshot: what it holds, where it came from, and a SHA-256 of every part.

A snapshot is a directory (or a tar of one)::

    manifest.json
    tables/<app_label>.<model>.jsonl     one JSON array per row, columns as listed in the manifest
    media/<path under MEDIA_ROOT>        every uploaded file, byte for byte

``manifest.json`` records the format version, the Dalun version, the database vendor, the time taken (UTC),
the migration state (app -> last applied migration), and per table its columns, row count and SHA-256,
per file its size and SHA-256. A restore checks all of them before it writes anything.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any, BinaryIO

from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.migrations.loader import MigrationLoader
from django.utils.translation import gettext as _

FORMAT = "dalun-backup"
FORMAT_VERSION = 1
MANIFEST_NAME = "manifest.json"
CHUNK = 1024 * 1024


class BackupError(Exception):
    """A snapshot cannot be taken or restored; the message says which file, table or migration and why."""


def dalun_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("dalun")
    except PackageNotFoundError:  # running from a source tree that was never installed
        return "unknown"


class HashingWriter:
    """Write bytes to a file while counting them and computing their SHA-256."""

    def __init__(self, stream: BinaryIO) -> None:
        self.stream = stream
        self.digest = hashlib.sha256()
        self.size = 0

    def write(self, data: bytes) -> None:
        self.stream.write(data)
        self.digest.update(data)
        self.size += len(data)


def file_sha256(path: Path) -> tuple[str, int]:
    """SHA-256 and size of a file, read in chunks."""
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as stream:
        while chunk := stream.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def migration_state(connection: BaseDatabaseWrapper) -> tuple[dict[str, str], list[str]]:
    """(app -> last applied migration, migrations on disk not yet applied) of the database."""
    loader = MigrationLoader(connection, ignore_no_migrations=True)
    applied = set(loader.applied_migrations or {})
    state: dict[str, str] = {}
    for app, name in sorted(applied):
        node = loader.graph.node_map.get((app, name))
        if node is None:
            continue  # recorded in the database, but no longer in the code (a squashed predecessor)
        if not any(child.key in applied and child.key[0] == app for child in node.children):
            state[app] = name
    pending = sorted(f"{app}.{name}" for app, name in loader.graph.leaf_nodes() if (app, name) not in applied)
    return state, pending


@dataclass
class TableEntry:
    model: str
    table: str
    file: str
    columns: list[str]
    rows: int
    sha256: str
    size: int


@dataclass
class FileEntry:
    path: str
    size: int
    sha256: str


@dataclass
class Manifest:
    dalun_version: str
    created_at: str
    vendor: str
    migrations: dict[str, str]
    tables: list[TableEntry] = field(default_factory=list)
    files: list[FileEntry] = field(default_factory=list)
    excluded: list[str] = field(default_factory=list)
    format: str = FORMAT
    format_version: int = FORMAT_VERSION

    def as_json(self) -> str:
        data: dict[str, Any] = {
            "format": self.format,
            "format_version": self.format_version,
            "dalun_version": self.dalun_version,
            "created_at": self.created_at,
            "vendor": self.vendor,
            "migrations": self.migrations,
            "excluded": self.excluded,
            "tables": [vars(entry) for entry in self.tables],
            "files": [vars(entry) for entry in self.files],
        }
        return json.dumps(data, ensure_ascii=False, indent=1) + "\n"

    @property
    def row_count(self) -> int:
        return sum(entry.rows for entry in self.tables)


def safe_member(name: str, *, under: str) -> PurePosixPath:
    """A relative path inside ``under/`` of the snapshot; anything else (absolute, ``..``) is refused."""
    path = PurePosixPath(name)
    if path.is_absolute() or ".." in path.parts or not path.parts or path.parts[0] != under:
        raise BackupError(
            _("manifest.json: the path %(path)s is outside %(dir)s/") % {"path": name, "dir": under}
        )
    return path


def read_manifest(root: Path) -> Manifest:
    """Parse ``manifest.json``, refusing other formats and newer format versions by name."""
    path = root / MANIFEST_NAME
    if not path.is_file():
        raise BackupError(_("%(path)s: no manifest.json, this is not a Dalun snapshot") % {"path": root})
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("format") != FORMAT:
            raise BackupError(_("manifest.json: not a Dalun snapshot"))
        if data.get("format_version") != FORMAT_VERSION:
            raise BackupError(
                _("manifest.json: format version %(found)s, this Dalun reads version %(known)s")
                % {"found": data.get("format_version"), "known": FORMAT_VERSION}
            )
        manifest = Manifest(
            dalun_version=str(data["dalun_version"]),
            created_at=str(data["created_at"]),
            vendor=str(data["vendor"]),
            migrations={str(app): str(name) for app, name in data["migrations"].items()},
            tables=[TableEntry(**entry) for entry in data["tables"]],
            files=[FileEntry(**entry) for entry in data["files"]],
            excluded=list(data.get("excluded", [])),
        )
    except (ValueError, KeyError, TypeError, AttributeError) as error:
        raise BackupError(_("manifest.json: unreadable (%(error)s)") % {"error": error}) from None
    for table in manifest.tables:
        safe_member(table.file, under="tables")
    for entry in manifest.files:
        safe_member(entry.path, under="media")
    return manifest


def verify_checksums(root: Path, manifest: Manifest) -> None:
    """Check the size and SHA-256 of every table dump and file; refuse naming the first one that differs."""
    parts = [(table.file, table.size, table.sha256) for table in manifest.tables]
    parts += [(entry.path, entry.size, entry.sha256) for entry in manifest.files]
    for name, size, sha256 in parts:
        path = root / name
        if not path.is_file():
            raise BackupError(_("%(file)s: listed in the manifest but missing") % {"file": name})
        found_sha, found_size = file_sha256(path)
        if found_size != size or found_sha != sha256:
            raise BackupError(
                _("%(file)s: checksum mismatch, the snapshot is damaged; nothing was restored")
                % {"file": name}
            )

"""Checked reading of a Pol.is export (``dalun.engines.polis_csv``'s layout) from uploads or a folder.

Every file is checked before anything is used, and every error is reported by file, row (the line in the
file, the header being row 1) and column, so that a person can fix the file; the import and ``dalun
opinion-map`` both read through here. ``comments.csv`` and ``votes.csv`` are needed; ``summary.csv`` gives
the topic and description when present; other files are not read.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from django.utils.translation import gettext as _

from dalun.engines import polis_csv

MAX_UPLOAD_BYTES = 50 * 1024 * 1024
MAX_UNPACKED_BYTES = 200 * 1024 * 1024
MAX_ERRORS = 50
IMPORTED_STATEMENT_MAX = 500


@dataclass(frozen=True)
class FileError:
    file: str
    row: int  # 0: the whole file
    column: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}, row {self.row}" if self.row else self.file
        return f"{where}{', ' + self.column if self.column else ''}: {self.message}"


class PolisImportError(Exception):
    def __init__(self, errors: list[FileError]):
        self.errors = errors
        super().__init__("; ".join(str(error) for error in errors[:5]))


@dataclass(frozen=True, eq=False)
class ParsedExport:
    export: polis_csv.PolisExport
    topic: str
    description: str


def files_from_uploads(uploads: Iterable[tuple[str, bytes]]) -> dict[str, bytes]:
    """The export's files by name, from a zip (files at its root or in one folder) or from the files
    themselves; raises PolisImportError naming what is wrong."""
    files: dict[str, bytes] = {}
    errors: list[FileError] = []
    for name, content in uploads:
        base = Path(name).name
        if content[:4] == b"PK\x03\x04" or base.lower().endswith(".zip"):
            _unzip(base, content, files, errors)
        elif base.lower().endswith(".csv"):
            if base in files:
                errors.append(FileError(base, 0, "", _("This file was given twice.")))
            files[base] = content
        else:
            errors.append(FileError(base, 0, "", _("Not a CSV file or a zip of a Pol.is export.")))
    if errors:
        raise PolisImportError(errors)
    return files


def _unzip(name: str, content: bytes, files: dict[str, bytes], errors: list[FileError]) -> None:
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
        members = [
            info
            for info in archive.infolist()
            if not info.is_dir()
            and info.filename.lower().endswith(".csv")
            and "__MACOSX" not in info.filename
        ]
        if sum(info.file_size for info in members) > MAX_UNPACKED_BYTES:
            errors.append(FileError(name, 0, "", _("The zip unpacks to more than 200 MB.")))
            return
        for info in members:
            base = Path(info.filename).name
            if base in files:
                errors.append(FileError(name, 0, "", _("The zip holds %(file)s twice.") % {"file": base}))
                continue
            files[base] = archive.read(info)
    except (zipfile.BadZipFile, OSError, ValueError):
        errors.append(FileError(name, 0, "", _("This zip cannot be read.")))


def files_from_folder(folder: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(folder.glob("*.csv"))}


def _rows(
    name: str, content: bytes, required: tuple[str, ...], errors: list[FileError]
) -> list[dict[str, str]]:
    """The file's rows as dicts keyed by header, or [] with errors (a file-level error stops the file)."""
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        errors.append(FileError(name, 0, "", _("The file is not UTF-8 text.")))
        return []
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader, None)
    missing = [column for column in required if column not in (header or [])]
    if header is None or missing:
        errors.append(
            FileError(name, 1, "", _("Missing columns: %(columns)s.") % {"columns": ", ".join(missing)})
        )
        return []
    rows = []
    for number, row in enumerate(reader, start=2):
        if not row:
            continue
        if len(row) < len(header):
            errors.append(FileError(name, number, "", _("The row has too few cells.")))
            continue
        rows.append({"#": str(number), **dict(zip(header, row, strict=False))})
    return rows


def _integer(
    name: str,
    row: dict[str, str],
    column: str,
    errors: list[FileError],
    *,
    allowed: Iterable[int] | None = None,
) -> int | None:
    raw = row[column].strip()
    try:
        value = int(raw)
    except ValueError:
        errors.append(
            FileError(name, int(row["#"]), column, _("Not a whole number: %(value)s") % {"value": raw[:40]})
        )
        return None
    if allowed is not None and value not in allowed:
        choices = ", ".join(str(a) for a in allowed)
        errors.append(
            FileError(
                name,
                int(row["#"]),
                column,
                _("%(value)s is not one of %(choices)s.") % {"value": value, "choices": choices},
            )
        )
        return None
    if allowed is None and value < 0 and column != "author-id":
        errors.append(FileError(name, int(row["#"]), column, _("Must not be negative.")))
        return None
    return value


def parse_export(files: dict[str, bytes]) -> ParsedExport:
    """Check and read an export's files; raises PolisImportError listing every error found."""
    errors: list[FileError] = []
    for needed in (polis_csv.COMMENTS, polis_csv.VOTES):
        if needed not in files:
            errors.append(FileError(needed, 0, "", _("This file is missing from the export.")))
    if errors:
        raise PolisImportError(errors)
    comments = _comments(files[polis_csv.COMMENTS], errors)
    known = {comment.id for comment in comments}
    votes = _votes(files[polis_csv.VOTES], known, errors)
    if errors:
        raise PolisImportError(errors[:MAX_ERRORS])
    summary: dict[str, str] = {}
    if polis_csv.SUMMARY in files:
        try:
            text = files[polis_csv.SUMMARY].decode("utf-8-sig")
            summary = {row[0]: row[1] for row in csv.reader(io.StringIO(text, newline="")) if len(row) > 1}
        except UnicodeDecodeError:
            raise PolisImportError(
                [FileError(polis_csv.SUMMARY, 0, "", _("The file is not UTF-8 text."))]
            ) from None
    return ParsedExport(
        export=polis_csv.PolisExport(comments=tuple(comments), votes=votes),
        topic=summary.get("topic", "").strip(),
        description=summary.get("conversation-description", "").strip(),
    )


def _comments(content: bytes, errors: list[FileError]) -> list[polis_csv.Comment]:
    name = polis_csv.COMMENTS
    required = ("timestamp", "comment-id", "author-id", "moderated", "comment-body")
    rows = _rows(name, content, required, errors)
    comments, seen = [], set()
    for row in rows:
        number = int(row["#"])
        values = {
            column: _integer(name, row, column, errors, allowed=(-1, 0, 1) if column == "moderated" else None)
            for column in ("timestamp", "comment-id", "author-id", "moderated")
        }
        body = row["comment-body"].strip()
        if not body:
            errors.append(FileError(name, number, "comment-body", _("The statement is empty.")))
        elif len(body) > IMPORTED_STATEMENT_MAX:
            errors.append(
                FileError(
                    name,
                    number,
                    "comment-body",
                    _("At most %(max)s characters.") % {"max": IMPORTED_STATEMENT_MAX},
                )
            )
        if values["comment-id"] is not None and values["comment-id"] in seen:
            errors.append(FileError(name, number, "comment-id", _("This comment id appears twice.")))
        if None in values.values() or not body or len(body) > IMPORTED_STATEMENT_MAX:
            continue
        seen.add(values["comment-id"])
        comments.append(
            polis_csv.Comment(
                id=values["comment-id"] or 0,
                author=values["author-id"] or 0,
                agrees=0,
                disagrees=0,
                moderated=values["moderated"] or 0,
                body=body,
                timestamp=values["timestamp"] or 0,
                datetime=row.get("datetime", ""),
            )
        )
    if not rows and not errors:
        errors.append(FileError(name, 0, "", _("The export has no statements.")))
    return comments


def _votes(content: bytes, known: set[int], errors: list[FileError]) -> polis_csv.Votes:
    name = polis_csv.VOTES
    rows = _rows(name, content, ("timestamp", "comment-id", "voter-id", "vote"), errors)
    columns: dict[str, list[int]] = {"timestamp": [], "comment-id": [], "voter-id": [], "vote": []}
    for row in rows:
        if len(errors) >= MAX_ERRORS:
            break
        values = {
            column: _integer(name, row, column, errors, allowed=(-1, 0, 1) if column == "vote" else None)
            for column in columns
        }
        if values["comment-id"] is not None and values["comment-id"] not in known:
            errors.append(
                FileError(
                    name,
                    int(row["#"]),
                    "comment-id",
                    _("No statement has the id %(id)s in comments.csv.") % {"id": values["comment-id"]},
                )
            )
            continue
        if None in values.values():
            continue
        for column, value in values.items():
            columns[column].append(int(value or 0))
    return polis_csv.Votes(
        timestamp=np.array(columns["timestamp"], dtype=np.int64),
        comment=np.array(columns["comment-id"], dtype=np.int64),
        voter=np.array(columns["voter-id"], dtype=np.int64),
        vote=np.array(columns["vote"], dtype=np.int8),
    )

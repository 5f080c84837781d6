"""What an uploaded evidence file really is, decided from its content, never from its name.

Evidence must be what it says it is: a PDF, an image (PNG, JPEG, GIF, WebP) or an office document (Word,
Excel, PowerPoint, 2007+ or 97-2003, and OpenDocument). ``check_upload`` refuses anything else, and a file
whose name disagrees with its content, with a ``FileRejected`` carrying a stable ``code`` (for translation
by the caller), ``params`` and an English message.

Only the head of a file is read (``HEAD_BYTES``); a ZIP is opened through its central directory only when
the head says ZIP, and an OLE compound file (the 97-2003 formats) is read only as far as its directory.
The binary signatures come from the ``filetype`` library; ZIP and OLE containers, which it cannot tell
apart reliably from a head, are decided here by their entries. Pure: no Django.
"""

from __future__ import annotations

import io
import struct
import zipfile
from dataclasses import dataclass
from typing import BinaryIO

import filetype

HEAD_BYTES = 8192
_PDF_TAIL_BYTES = 1024
_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
_OLE_MAGIC = bytes.fromhex("D0CF11E0A1B11AE1")
_MAX_MEMBER_READ = 1024 * 1024


@dataclass(frozen=True)
class FileKind:
    mime: str
    extension: str  # canonical, without the dot
    label: str  # English, for messages
    aliases: tuple[str, ...] = ()  # other extensions that name the same content

    @property
    def extensions(self) -> tuple[str, ...]:
        return (self.extension, *self.aliases)


_OOXML = "application/vnd.openxmlformats-officedocument."
_ODF = "application/vnd.oasis.opendocument."

PDF = FileKind("application/pdf", "pdf", "PDF document")
PNG = FileKind("image/png", "png", "PNG image")
JPEG = FileKind("image/jpeg", "jpg", "JPEG image", ("jpeg", "jpe", "jfif"))
GIF = FileKind("image/gif", "gif", "GIF image")
WEBP = FileKind("image/webp", "webp", "WebP image")
DOCX = FileKind(_OOXML + "wordprocessingml.document", "docx", "Word document")
XLSX = FileKind(_OOXML + "spreadsheetml.sheet", "xlsx", "Excel workbook")
PPTX = FileKind(_OOXML + "presentationml.presentation", "pptx", "PowerPoint presentation")
DOC = FileKind("application/msword", "doc", "Word 97-2003 document")
XLS = FileKind("application/vnd.ms-excel", "xls", "Excel 97-2003 workbook")
PPT = FileKind("application/vnd.ms-powerpoint", "ppt", "PowerPoint 97-2003 presentation")
ODT = FileKind(_ODF + "text", "odt", "OpenDocument text")
ODS = FileKind(_ODF + "spreadsheet", "ods", "OpenDocument spreadsheet")
ODP = FileKind(_ODF + "presentation", "odp", "OpenDocument presentation")

ALLOWED: frozenset[FileKind] = frozenset(
    {PDF, PNG, JPEG, GIF, WEBP, DOCX, XLSX, PPTX, DOC, XLS, PPT, ODT, ODS, ODP}
)
ALLOWED_SUMMARY = (
    "PDF, PNG, JPEG, GIF, WebP, Word, Excel and PowerPoint (2007 or 97-2003) and OpenDocument "
    "text, spreadsheet and presentation files"
)

# Recognised, and refused: named so that the message says what the file really is.
ZIP = FileKind("application/zip", "zip", "ZIP archive")
DOCM = FileKind("application/vnd.ms-word.document.macroEnabled.12", "docm", "macro-enabled Word document")
XLSM = FileKind("application/vnd.ms-excel.sheet.macroEnabled.12", "xlsm", "macro-enabled Excel workbook")
PPTM = FileKind(
    "application/vnd.ms-powerpoint.presentation.macroEnabled.12", "pptm", "macro-enabled PowerPoint file"
)
OOXML_OTHER = FileKind("application/vnd.openxmlformats-package", "", "Office file of another kind")
ENCRYPTED_OFFICE = FileKind("application/x-encrypted-office", "", "password-protected Office document")
OLE_OTHER = FileKind(
    "application/x-ole-storage", "", "OLE compound file that is not a Word, Excel or PowerPoint file"
)
HTML = FileKind("text/html", "html", "HTML page", ("htm", "xhtml"))
SVG = FileKind("image/svg+xml", "svg", "SVG image")
XML = FileKind("application/xml", "xml", "XML file")

_BY_FILETYPE_MIME = {
    "application/pdf": PDF,
    "image/png": PNG,
    "image/apng": PNG,
    "image/jpeg": JPEG,
    "image/gif": GIF,
    "image/webp": WEBP,
}
_FRIENDLY = {
    "application/x-msdownload": "Windows program",
    "application/x-executable": "Linux program",
    "application/x-rar-compressed": "RAR archive",
    "application/x-7z-compressed": "7-Zip archive",
    "application/gzip": "gzip archive",
    "application/x-tar": "tar archive",
    "application/rtf": "RTF document",
}
# The main part of each accepted Office Open XML document, and where its parts live.
_OOXML_MAIN = (
    (_OOXML + "wordprocessingml.document.main+xml", "word/", DOCX),
    (_OOXML + "spreadsheetml.sheet.main+xml", "xl/", XLSX),
    (_OOXML + "presentationml.presentation.main+xml", "ppt/", PPTX),
)
_OOXML_MACRO = (
    ("application/vnd.ms-word.document.macroenabled.main+xml", DOCM),
    ("application/vnd.ms-excel.sheet.macroenabled.main+xml", XLSM),
    ("application/vnd.ms-powerpoint.presentation.macroenabled.main+xml", PPTM),
)
_MACRO_TWIN = {DOCX: DOCM, XLSX: XLSM, PPTX: PPTM}
_ODF_BY_MIME = {kind.mime: kind for kind in (ODT, ODS, ODP)}


class FileRejected(Exception):
    """An upload refused. ``code`` is one of empty, too_large, unknown_type, forbidden_type,
    extension_mismatch, damaged; ``params`` hold the values the message names, for a translated message."""

    def __init__(self, code: str, message: str, params: dict[str, object] | None = None):
        super().__init__(code, message)
        self.code, self.message, self.params = code, message, params or {}

    def __str__(self) -> str:
        return self.message


class _Damaged(Exception):
    def __init__(self, label: str, detail: str):
        super().__init__(detail)
        self.label, self.detail = label, detail


def check_upload(fileobj: BinaryIO, *, declared_name: str, max_bytes: int) -> FileKind:
    """The file's true kind if it is accepted evidence named as what it is; else raises FileRejected.

    ``fileobj`` must be seekable (a Django UploadedFile, an open file, BytesIO); it is left at offset 0.
    """
    name = _base_name(declared_name)
    size = fileobj.seek(0, io.SEEK_END)
    fileobj.seek(0)
    if size == 0:
        raise FileRejected("empty", f'"{name}" is empty (0 bytes).', {"name": name})
    if size > max_bytes:
        shown, limit = _size(size), _size(max_bytes)
        if shown == limit:
            shown, limit = f"{size:,} bytes", f"{max_bytes:,} bytes"
        raise FileRejected(
            "too_large",
            f'"{name}" is {shown}; the limit is {limit}.',
            {"name": name, "size": size, "limit": max_bytes},
        )
    try:
        kind = sniff(fileobj)
    except _Damaged as damaged:
        raise FileRejected(
            "damaged",
            f'"{name}" looks like a {damaged.label} but is damaged or incomplete ({damaged.detail}). '
            "Save or export it again and upload the new file.",
            {"name": name, "label": damaged.label},
        ) from damaged
    if kind is None:
        raise FileRejected(
            "unknown_type",
            f'The content of "{name}" is not a type accepted as evidence. Accepted: {ALLOWED_SUMMARY}.',
            {"name": name},
        )
    if kind not in ALLOWED:
        raise FileRejected(
            "forbidden_type",
            f'"{name}" is not accepted as evidence (its content is: {kind.label}). '
            f"Accepted: {ALLOWED_SUMMARY}.",
            {"name": name, "actual": kind.label, "mime": kind.mime},
        )
    declared = name.rpartition(".")[2].strip().lower() if "." in name else ""
    if declared and declared not in kind.extensions:
        raise FileRejected(
            "extension_mismatch",
            f'"{name}" is named as a .{declared} file, but its content is: {kind.label} (.{kind.extension}). '
            f"Upload the intended file, or rename this one to .{kind.extension} if it is the right one.",
            {"name": name, "declared": declared, "actual": kind.label, "extension": kind.extension},
        )
    return kind


def sniff(fileobj: BinaryIO) -> FileKind | None:
    """The kind of the content, accepted or not, or None when unrecognised. Reads from offset 0.

    Raises ``_Damaged`` (turned into FileRejected("damaged") by check_upload) for a PDF without an end
    marker or a ZIP/OLE container that cannot be read.
    """
    fileobj.seek(0)
    head = fileobj.read(HEAD_BYTES)
    try:
        if not head:
            return None
        if head.startswith(_ZIP_MAGIC):
            return _zip_kind(fileobj)
        if head.startswith(_OLE_MAGIC):
            return _ole_kind(fileobj)
        match = filetype.guess(head)
        if match is not None:
            kind = _BY_FILETYPE_MIME.get(match.mime)
            if kind is PDF:
                _check_pdf_end(fileobj)
            if kind is not None:
                return kind
            label = _FRIENDLY.get(match.mime, f"{match.extension.upper()} file")
            return FileKind(match.mime, match.extension, label)
        return _markup_kind(head)
    finally:
        fileobj.seek(0)


def _check_pdf_end(fileobj: BinaryIO) -> None:
    size = fileobj.seek(0, io.SEEK_END)
    fileobj.seek(max(0, size - _PDF_TAIL_BYTES))
    if b"%%EOF" not in fileobj.read(_PDF_TAIL_BYTES):
        raise _Damaged(PDF.label, "no end-of-file marker")


def _zip_kind(fileobj: BinaryIO) -> FileKind:
    """Office Open XML by its content types and parts, OpenDocument by its mimetype entry, else ZIP."""
    try:
        fileobj.seek(0)
        with zipfile.ZipFile(fileobj) as archive:
            names = archive.namelist()
            present = set(names)
            if "mimetype" in present:
                declared = _read_member(archive, "mimetype", 256).strip().decode("ascii", "replace")
                kind = _ODF_BY_MIME.get(declared)
                if kind is not None and "content.xml" in present:
                    return kind
                return FileKind(declared or ZIP.mime, "", f"ZIP-based file of type {declared!r}")
            if "[Content_Types].xml" in present:
                content_types = _read_member(archive, "[Content_Types].xml", _MAX_MEMBER_READ).lower()
                macros = any(name.lower().endswith("vbaproject.bin") for name in names)
                for main, prefix, kind in _OOXML_MAIN:
                    if main.encode() in content_types and any(n.startswith(prefix) for n in names):
                        return _MACRO_TWIN[kind] if macros else kind
                for main, kind in _OOXML_MACRO:
                    if main.encode() in content_types:
                        return kind
                return OOXML_OTHER
            return ZIP
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, RuntimeError, ValueError) as error:
        raise _Damaged("ZIP-based document", "the archive cannot be read") from error


def _read_member(archive: zipfile.ZipFile, name: str, limit: int) -> bytes:
    with archive.open(name) as member:
        return member.read(limit)


# OLE compound files ([MS-CFB]): the 97-2003 formats are told apart by the streams under the root.
_OLE_STREAMS = (("WordDocument", DOC), ("Workbook", XLS), ("Book", XLS), ("PowerPoint Document", PPT))
_MAXREGSECT = 0xFFFFFFFA
_ENDOFCHAIN = 0xFFFFFFFE
_NOSTREAM = 0xFFFFFFFF
_MAX_DIRECTORY_SECTORS = 4096
_MAX_DIFAT_SECTORS = 4096


def _ole_kind(fileobj: BinaryIO) -> FileKind:
    names = _ole_root_names(fileobj)
    for stream, kind in _OLE_STREAMS:
        if stream in names:
            return kind
    return ENCRYPTED_OFFICE if "EncryptedPackage" in names else OLE_OTHER


def _ole_root_names(fileobj: BinaryIO) -> set[str]:
    """Names of the storages and streams directly under the root, following the FAT to the directory."""
    damaged = _Damaged("97-2003 Office document", "its compound-file structure cannot be read")
    fileobj.seek(0)
    header = fileobj.read(512)
    if len(header) < 512:
        raise damaged
    major, _, shift = struct.unpack_from("<HHH", header, 0x1A)
    if (major, shift) not in {(3, 9), (4, 12)}:
        raise damaged
    sector_size = 1 << shift
    per_sector = sector_size // 4
    fat_count, first_directory = struct.unpack_from("<II", header, 0x2C)
    first_difat, difat_count = struct.unpack_from("<II", header, 0x44)

    def read_sector(number: int) -> bytes:
        if number > _MAXREGSECT:
            raise damaged
        fileobj.seek((number + 1) * sector_size)
        data = fileobj.read(sector_size)
        if len(data) != sector_size:
            raise damaged
        return data

    fat_sectors = list(struct.unpack_from("<109I", header, 0x4C))
    sector = first_difat
    for _ in range(min(difat_count, _MAX_DIFAT_SECTORS)):
        values = struct.unpack(f"<{per_sector}I", read_sector(sector))
        fat_sectors.extend(values[:-1])
        sector = values[-1]
    fat_sectors = [number for number in fat_sectors if number <= _MAXREGSECT][:fat_count]

    def next_sector(number: int) -> int:
        index, slot = divmod(number, per_sector)
        if index >= len(fat_sectors):
            raise damaged
        fileobj.seek((fat_sectors[index] + 1) * sector_size + slot * 4)
        data = fileobj.read(4)
        if len(data) != 4:
            raise damaged
        return struct.unpack("<I", data)[0]

    entries: list[tuple[str, int, int, int, int]] = []
    sector, seen = first_directory, set[int]()
    while sector != _ENDOFCHAIN:
        if sector in seen or len(seen) >= _MAX_DIRECTORY_SECTORS:
            raise damaged
        seen.add(sector)
        block = read_sector(sector)
        for offset in range(0, sector_size, 128):
            (name_length,) = struct.unpack_from("<H", block, offset + 0x40)
            raw_name = block[offset : offset + max(0, min(name_length, 64) - 2)]
            left, right, child = struct.unpack_from("<III", block, offset + 0x44)
            entries.append(
                (raw_name.decode("utf-16-le", "replace"), block[offset + 0x42], left, right, child)
            )
        sector = next_sector(sector)
    if not entries or entries[0][1] != 5:  # the first entry is the root storage
        raise damaged

    names: set[str] = set()
    pending, visited = [entries[0][4]], set[int]()
    while pending:  # the root's children form a tree linked by left and right siblings
        index = pending.pop()
        if index == _NOSTREAM or index in visited or index >= len(entries):
            continue
        visited.add(index)
        name, object_type, left, right, _child = entries[index]
        if object_type in (1, 2):
            names.add(name)
        pending += [left, right]
    return names


def _markup_kind(head: bytes) -> FileKind | None:
    """HTML, SVG and other XML, which browsers may run scripts in: recognised so that they are refused."""
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        text = head.decode("utf-16", "ignore")
    else:
        text = head.removeprefix(b"\xef\xbb\xbf").decode("utf-8", "ignore")
    text = text.lstrip().lower()
    if "<svg" in text:
        return SVG
    if text.startswith(("<!doctype html", "<html", "<head", "<body", "<script", "<iframe")) or (
        "<script" in text or "<html" in text
    ):
        return HTML
    if text.startswith("<?xml"):
        return XML
    return None


def _base_name(declared_name: str) -> str:
    """The file name a browser sent, without any directory (some send C:\\fakepath\\name.pdf)."""
    return declared_name.replace("\\", "/").rsplit("/", 1)[-1].strip() or "(unnamed file)"


def _size(count: int) -> str:
    for unit, factor in (("GB", 1024**3), ("MB", 1024**2), ("KB", 1024)):
        if count >= factor:
            return f"{count / factor:.1f}".removesuffix(".0") + f" {unit}"
    return f"{count} bytes"

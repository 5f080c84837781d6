"""Evidence file types are decided by content: every sample is built here, no Django, no database."""

from __future__ import annotations

import io
import struct
import zipfile
import zlib

import openpyxl
import pytest

from dalun.engines import filetypes
from dalun.engines.filetypes import (
    ALLOWED,
    DOC,
    DOCX,
    GIF,
    JPEG,
    ODP,
    ODS,
    ODT,
    PDF,
    PNG,
    PPT,
    PPTX,
    WEBP,
    XLS,
    XLSX,
    FileRejected,
    check_upload,
    sniff,
)

LIMIT = 10 * 1024 * 1024

# --- samples -------------------------------------------------------------------------------------------

PDF_BYTES = (
    b"%PDF-1.4\n1 0 obj <</Type /Catalog /Pages 2 0 R>> endobj\n"
    b"2 0 obj <</Type /Pages /Kids [] /Count 0>> endobj\n"
    b"trailer <</Root 1 0 R>>\n%%EOF\n"
)


def png_bytes() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)  # 1x1, 8-bit greyscale
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00\x00"))
        + chunk(b"IEND", b"")
    )


JPEG_BYTES = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9"
GIF_BYTES = b"GIF89a\x01\x00\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"
WEBP_BYTES = (
    b"RIFF\x1a\x00\x00\x00WEBPVP8L\x0d\x00\x00\x00\x2f\x00\x00\x00\x10\x07\x10\x11\x11\x88\x88\xfe\x07\x00"
)
EXE_BYTES = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 48 + b"PE\x00\x00"
HTML_BYTES = b"<!DOCTYPE html>\n<html><body><script>alert(document.cookie)</script></body></html>\n"
SVG_BYTES = (
    b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
    b"<script>alert(1)</script><rect width='10' height='10'/></svg>\n"
)

OOXML = "application/vnd.openxmlformats-officedocument."
OOXML_PARTS = {
    "docx": ("word/document.xml", OOXML + "wordprocessingml.document.main+xml"),
    "xlsx": ("xl/workbook.xml", OOXML + "spreadsheetml.sheet.main+xml"),
    "pptx": ("ppt/presentation.xml", OOXML + "presentationml.presentation.main+xml"),
    "docm": ("word/document.xml", "application/vnd.ms-word.document.macroEnabled.main+xml"),
}


def ooxml_bytes(kind: str, *, extra: dict[str, bytes] | None = None) -> bytes:
    part, content_type = OOXML_PARTS[kind]
    content_types = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="xml" ContentType="application/xml"/>'
        f'<Override PartName="/{part}" ContentType="{content_type}"/></Types>'
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", content_types)
        archive.writestr("_rels/.rels", "<Relationships/>")
        archive.writestr(part, "<document/>")
        for name, data in (extra or {}).items():
            archive.writestr(name, data)
    return buffer.getvalue()


def odf_bytes(mimetype: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(zipfile.ZipInfo("mimetype"), mimetype, compress_type=zipfile.ZIP_STORED)
        archive.writestr("content.xml", "<office:document-content/>")
        archive.writestr("META-INF/manifest.xml", "<manifest:manifest/>")
    return buffer.getvalue()


def plain_zip_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("evidence/photo.txt", "not a document")
    return buffer.getvalue()


def ole_bytes(*streams: str) -> bytes:
    """A minimal valid compound file (MS-CFB v3): header, one FAT sector, one directory sector."""
    free, end, fat_sector, no_stream = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD, 0xFFFFFFFF
    header = bytearray(512)
    header[0:8] = bytes.fromhex("D0CF11E0A1B11AE1")
    struct.pack_into("<HHHHH", header, 0x18, 0x3E, 3, 0xFFFE, 9, 6)
    struct.pack_into("<IIIIIIII", header, 0x2C, 1, 1, 0, 4096, end, 0, end, 0)
    struct.pack_into("<109I", header, 0x4C, 0, *([free] * 108))
    fat = struct.pack("<128I", fat_sector, end, *([free] * 126))

    def entry(name: str, object_type: int, right: int = no_stream, child: int = no_stream) -> bytes:
        raw = name.encode("utf-16-le") + b"\x00\x00"
        block = bytearray(128)
        block[: len(raw)] = raw
        struct.pack_into("<HBB", block, 0x40, len(raw), object_type, 1)
        struct.pack_into("<III", block, 0x44, no_stream, right, child)
        struct.pack_into("<I", block, 0x74, end)
        return bytes(block)

    assert len(streams) <= 3
    entries = [entry("Root Entry", 5, child=1 if streams else no_stream)]
    for index, name in enumerate(streams, start=1):
        entries.append(entry(name, 2, right=index + 1 if index < len(streams) else no_stream))
    while len(entries) < 4:
        entries.append(
            bytes(64) + struct.pack("<HBBIII", 0, 0, 0, no_stream, no_stream, no_stream) + bytes(48)
        )
    return bytes(header) + fat + b"".join(entries)


def upload(data: bytes, name: str, *, max_bytes: int = LIMIT) -> filetypes.FileKind:
    return check_upload(io.BytesIO(data), declared_name=name, max_bytes=max_bytes)


def refusal(data: bytes, name: str, *, max_bytes: int = LIMIT) -> FileRejected:
    with pytest.raises(FileRejected) as caught:
        upload(data, name, max_bytes=max_bytes)
    return caught.value


# --- accepted ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "name", "kind"),
    [
        (PDF_BYTES, "report.pdf", PDF),
        (png_bytes(), "photo.png", PNG),
        (JPEG_BYTES, "photo.jpg", JPEG),
        (JPEG_BYTES, "PHOTO.JPEG", JPEG),
        (GIF_BYTES, "chart.gif", GIF),
        (WEBP_BYTES, "photo.webp", WEBP),
        (ooxml_bytes("docx"), "minutes.docx", DOCX),
        (ooxml_bytes("xlsx"), "ledger.xlsx", XLSX),
        (ooxml_bytes("pptx"), "briefing.pptx", PPTX),
        (odf_bytes("application/vnd.oasis.opendocument.text"), "minutes.odt", ODT),
        (odf_bytes("application/vnd.oasis.opendocument.spreadsheet"), "ledger.ods", ODS),
        (odf_bytes("application/vnd.oasis.opendocument.presentation"), "briefing.odp", ODP),
        (ole_bytes("\x01CompObj", "WordDocument", "1Table"), "minutes.doc", DOC),
        (ole_bytes("Workbook"), "ledger.xls", XLS),
        (ole_bytes("Current User", "PowerPoint Document"), "briefing.ppt", PPT),
    ],
)
def test_evidence_of_each_accepted_kind_is_recognised_by_content(data, name, kind):
    assert upload(data, name) == kind
    assert kind in ALLOWED


def test_a_workbook_written_by_openpyxl_is_an_excel_workbook():
    workbook = openpyxl.Workbook()
    workbook.active["A1"] = "整改台账"
    buffer = io.BytesIO()
    workbook.save(buffer)

    assert upload(buffer.getvalue(), "台账.xlsx") == XLSX


def test_a_name_without_extension_or_with_a_browser_path_is_judged_by_content():
    assert upload(PDF_BYTES, "scan") == PDF
    assert upload(png_bytes(), "C:\\fakepath\\photo.png") == PNG


def test_a_real_file_on_disk_is_read_only_at_its_head_and_left_at_offset_zero(tmp_path):
    path = tmp_path / "big.pdf"
    path.write_bytes(b"%PDF-1.7\n" + b"0" * (5 * 1024 * 1024) + b"\n%%EOF\n")

    class CountingReader(io.FileIO):
        read_total = 0

        def read(self, size=-1):
            data = super().read(size)
            CountingReader.read_total += len(data)
            return data

    with CountingReader(path, "r") as stream:
        assert check_upload(stream, declared_name="big.pdf", max_bytes=LIMIT) == PDF
        assert stream.tell() == 0
    assert CountingReader.read_total <= filetypes.HEAD_BYTES + 1024


def test_sniff_names_what_it_cannot_accept():
    assert sniff(io.BytesIO(EXE_BYTES)).label == "Windows program"
    assert sniff(io.BytesIO(b"just some text")) is None


# --- refused -------------------------------------------------------------------------------------------


def test_an_empty_file_is_refused():
    error = refusal(b"", "report.pdf")

    assert error.code == "empty"
    assert '"report.pdf" is empty' in error.message


def test_an_oversized_file_is_refused_with_the_limit_before_anything_is_read():
    class Unreadable(io.BytesIO):
        def read(self, size=-1):
            raise AssertionError("an oversized file must not be read")

    with pytest.raises(FileRejected) as caught:
        check_upload(Unreadable(PDF_BYTES + b"0" * 2048), declared_name="scan.pdf", max_bytes=2048)

    assert caught.value.code == "too_large"
    assert "the limit is 2 KB" in caught.value.message
    assert caught.value.params["limit"] == 2048


def test_a_file_just_over_a_round_limit_shows_exact_byte_counts():
    error = refusal(b"%PDF" + b"0" * (1024 * 1024 - 3), "scan.pdf", max_bytes=1024 * 1024)

    assert error.message == '"scan.pdf" is 1,048,577 bytes; the limit is 1,048,576 bytes.'


@pytest.mark.parametrize(
    ("data", "name", "label"),
    [
        (EXE_BYTES, "report.pdf", "Windows program"),
        (HTML_BYTES, "report.pdf", "HTML page"),
        (SVG_BYTES, "chart.svg", "SVG image"),
        (b"<svg xmlns='http://www.w3.org/2000/svg'/>", "chart.png", "SVG image"),
        (plain_zip_bytes(), "evidence.zip", "ZIP archive"),
        (ooxml_bytes("docm"), "minutes.docx", "macro-enabled Word document"),
        (ooxml_bytes("docx", extra={"word/vbaProject.bin": b"\x00"}), "minutes.docx", "macro-enabled"),
        (odf_bytes("application/epub+zip"), "book.odt", "application/epub+zip"),
        (ole_bytes("EncryptedInfo", "EncryptedPackage"), "minutes.docx", "password-protected"),
        (ole_bytes("\x05SummaryInformation"), "setup.doc", "not a Word, Excel or PowerPoint"),
    ],
)
def test_a_forbidden_kind_is_refused_naming_what_it_really_is(data, name, label):
    error = refusal(data, name)

    assert error.code == "forbidden_type"
    assert f'"{name}" is not accepted as evidence' in error.message
    assert label in error.message
    assert "Accepted: PDF, PNG, JPEG" in error.message


def test_unrecognised_content_is_refused_as_unknown():
    error = refusal(b"Minutes of the meeting, plain text.\n", "minutes.pdf")

    assert error.code == "unknown_type"
    assert 'The content of "minutes.pdf" is not a type accepted as evidence' in error.message


def test_a_png_named_pdf_is_refused_naming_both_types():
    error = refusal(png_bytes(), "scan.pdf")

    assert error.code == "extension_mismatch"
    assert error.message.startswith(
        '"scan.pdf" is named as a .pdf file, but its content is: PNG image (.png).'
    )
    assert error.params == {"name": "scan.pdf", "declared": "pdf", "actual": "PNG image", "extension": "png"}


def test_a_docx_named_xlsx_is_refused():
    assert refusal(ooxml_bytes("docx"), "ledger.xlsx").code == "extension_mismatch"


@pytest.mark.parametrize(
    ("data", "name"),
    [
        (PDF_BYTES.replace(b"%%EOF", b""), "truncated.pdf"),
        (b"PK\x03\x04" + b"\x00" * 200, "broken.docx"),
        (ooxml_bytes("docx")[:300], "cut.docx"),
        (bytes.fromhex("D0CF11E0A1B11AE1") + b"\x00" * 600, "broken.doc"),
        (ole_bytes("WordDocument")[:1024], "cut.doc"),
    ],
)
def test_damaged_or_truncated_documents_are_refused_as_damaged(data, name):
    error = refusal(data, name)

    assert error.code == "damaged"
    assert "damaged or incomplete" in error.message

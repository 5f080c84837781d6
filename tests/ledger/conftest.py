"""Uploads for ledger tests (the ledger fixtures themselves are in the root conftest)."""

from django.core.files.uploadedfile import SimpleUploadedFile

# The smallest well-formed PDF a content check accepts.
PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


def pdf_upload(name: str = "evidence.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")

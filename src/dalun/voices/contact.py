"""Submitters' contact details are encrypted at rest (Fernet: AES-128-CBC with HMAC-SHA256).

The key comes from DALUN_CONTACT_KEY, or is derived from the secret key, so a copy of the database alone
does not reveal who wrote a suggestion.
"""

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings


def _fernet() -> Fernet:
    configured = getattr(settings, "DALUN_CONTACT_KEY", "")
    if configured:
        return Fernet(configured.encode())
    digest = hashlib.sha256(b"dalun-contact-v1:" + settings.SECRET_KEY.encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def encrypt(contact: str) -> bytes | None:
    return _fernet().encrypt(contact.encode("utf-8")) if contact else None


def decrypt(token: bytes | memoryview | None) -> str:
    if not token:
        return ""
    try:
        return _fernet().decrypt(bytes(token)).decode("utf-8")
    except InvalidToken:
        return ""

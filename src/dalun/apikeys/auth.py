"""Authentication of staff calls to the REST API: ``Authorization: Bearer <secret>``, or a signed-in
session (with its CSRF token) for pages that call the API from the browser."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja.errors import AuthenticationError
from ninja.security import HttpBearer, django_auth

from dalun.apikeys.services import token_authenticate


class TokenAuth(HttpBearer):
    """Looks the token up by its hash and acts as its person; a wrong or revoked token is refused at once
    (it does not fall back to the session)."""

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        person = token_authenticate(secret=token.strip())
        if person is None:
            raise AuthenticationError()
        request.user = person
        return person


token_auth = TokenAuth()
# For the staff routes: a bearer token first, else the session.
staff_auth = [token_auth, django_auth]

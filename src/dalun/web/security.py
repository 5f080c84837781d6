"""Transport protections that Django's settings do not cover on their own."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse


class SecureCookiesMiddleware:
    """Over HTTPS, when cookies are to be Secure (the production profile), every cookie is: not only the
    session and CSRF cookies Django marks itself, but also the app's own (the public's participant id), so
    that none of them ever travels in plain HTTP."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if settings.SESSION_COOKIE_SECURE and request.is_secure():
            for morsel in response.cookies.values():
                morsel["secure"] = True
        return response

"""Login throttling with django-axes: too many wrong passwords for one username from one address lock that
pair out for a while, answered 429 with Retry-After and a page saying when to try again.

The failure counts live where ``settings.AXES_HANDLER`` keeps them: the shared cache (Redis) in production,
so every web process counts the same attempts; the database in the embedded profile.
"""

from __future__ import annotations

from typing import Any

from axes.backends import AxesStandaloneBackend
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


class LoginThrottleBackend(AxesStandaloneBackend):
    """Refuses sign-in for a locked-out username and address, before any password is checked.

    Authentication without a request (the test client's ``login``, management commands) comes from no client
    address and is not throttled: it is passed on to the next backend instead of being refused.
    """

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> None:
        if request is None:
            return None
        return super().authenticate(request, username, password, **kwargs)


def lockout_seconds() -> int:
    """How long a lockout lasts; every refused attempt starts it again (AXES_RESET_COOL_OFF_...)."""
    return int(settings.AXES_COOLOFF_TIME.total_seconds())


def lockout_response(
    request: HttpRequest,
    original_response: HttpResponse | None = None,
    credentials: dict[str, Any] | None = None,
) -> HttpResponse:
    """The page a locked-out sign-in gets: 429, Retry-After in seconds, and when to try again in words."""
    seconds = lockout_seconds()
    response = render(
        request,
        "web/locked_out.html",
        {"minutes": max(1, -(-seconds // 60)), "failure_limit": settings.AXES_FAILURE_LIMIT},
        status=429,
    )
    response["Retry-After"] = str(seconds)
    return response

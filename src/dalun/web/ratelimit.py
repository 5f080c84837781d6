"""Rate limits kept in the shared cache (Redis in production), so every process counts the same requests.

A fixed window per key: simple, cheap (one cache round trip), and enough to stop floods from one address or
one participant; the answer is 429 with Retry-After.
"""

from __future__ import annotations

import hashlib
import time
from typing import Any

from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _


class RateLimited(Exception):
    def __init__(self, retry_after: int):
        self.retry_after = retry_after
        super().__init__(f"rate limited; retry after {retry_after} s")


def client_address(request: HttpRequest) -> str:
    """The client's address: the peer, or behind our reverse proxy the address the proxy saw.

    The proxy appends the peer it saw to X-Forwarded-For, so the last entry is the one nobody else can
    forge (docs/deployment.md has the proxy set the header to that address alone).
    """
    from django.conf import settings

    address = request.META.get("REMOTE_ADDR", "") or ""
    if getattr(settings, "DALUN_TRUST_X_FORWARDED_FOR", False):
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded.strip():
            address = forwarded.split(",")[-1].strip()
    return address


def client_network(request: HttpRequest) -> str:
    """A hash of the client's address, so limits count per client without storing addresses."""
    from django.conf import settings

    return hashlib.sha256(f"{settings.SECRET_KEY}:{client_address(request)}".encode()).hexdigest()[:32]


def hit(scope: str, key: str, *, limit: int, window: int) -> None:
    """Count one request for ``key`` in ``scope``; raise RateLimited past ``limit`` per ``window`` seconds."""
    now = int(time.time())
    slot = now // window
    cache_key = _counter(scope, key, slot)
    backend = caches["default"]
    if isinstance(backend, RedisCache):
        # One round trip on the process's pooled connection: start the window's counter (with its expiry)
        # if it is new, then count; a key never outlives its window.
        pipe = _redis_client(backend).pipeline(transaction=False)
        redis_key = backend.make_key(cache_key)
        pipe.set(redis_key, 0, ex=window + 1, nx=True)
        pipe.incr(redis_key)
        count = int(pipe.execute()[-1])
    elif backend.add(cache_key, 1, window + 1):
        return
    else:
        try:
            count = backend.incr(cache_key)
        except ValueError:  # expired between add and incr
            backend.add(cache_key, 1, window + 1)
            return
    if count > limit:
        raise RateLimited(retry_after=(slot + 1) * window - now)


def _redis_client(backend: RedisCache) -> Any:
    """The cache's Redis client, made once per cache object: Django's ``get_client()`` builds a new client
    object on every call, and on the submission path that construction cost more than the round trip."""
    client = getattr(backend, "_rate_limit_client", None)
    if client is None:
        client = backend._rate_limit_client = backend._cache.get_client(write=True)  # type: ignore[attr-defined]
    return client


def _counter(scope: str, key: str, slot: int) -> str:
    return f"rl:{scope}:{key}:{slot}"


def too_many(error: RateLimited) -> HttpResponse:
    response = HttpResponse(
        _("Too many requests: please wait %(seconds)s seconds and try again.")
        % {"seconds": error.retry_after},
        status=429,
        content_type="text/plain; charset=utf-8",
    )
    response["Retry-After"] = str(error.retry_after)
    return response

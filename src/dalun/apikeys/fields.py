"""What every router of the REST API shares: input text that is valid Unicode, bounded pagination, rate
limits per network, references to units and categories, and the one documented error shape,
``{"error": {"code", "message", "fields"}}``."""

from __future__ import annotations

from typing import Annotated, Any

from django.conf import settings
from django.http import HttpRequest
from ninja import Field, Schema
from ninja.pagination import LimitOffsetPagination
from pydantic import AfterValidator

from dalun.web.ratelimit import client_network, hit

PAGE_DEFAULT, PAGE_MAX = 20, 100


def _valid_unicode(value: str) -> str:
    """Refuse text that cannot be stored: lone surrogates (invalid Unicode) and NUL characters."""
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("is not valid Unicode") from None
    return value


# Text from a client: any length limit is given with Field(max_length=...) where it is used.
ValidText = Annotated[str, AfterValidator(_valid_unicode)]


def printable(value: str, *, maximum: int) -> str:
    """A search query or code as typed, without characters that are not text (controls, surrogates, the
    replacement character left by bytes that were not UTF-8), cut to ``maximum``."""
    return "".join(ch for ch in value if ch.isprintable() and ch != "\ufffd")[:maximum].strip()


class Page(LimitOffsetPagination):
    """Limit and offset pagination: ``?limit=`` (1 to 100, default 20) and ``?offset=``."""

    class Input(Schema):
        limit: int = Field(PAGE_DEFAULT, ge=1, le=PAGE_MAX)
        offset: int = Field(0, ge=0, le=1_000_000_000)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(max_limit=PAGE_MAX, **kwargs)


class ErrorDetail(Schema):
    code: str = Field(..., description="stable machine-readable reason: invalid, not_found, forbidden ...")
    message: str = Field(..., description="what went wrong, for a person")
    fields: dict[str, list[str]] = Field(
        default_factory=dict, description="the problems of each named field or header"
    )
    current: dict[str, Any] | None = Field(
        None, description="on a 409 conflict: the record's values as someone else saved them"
    )


class ErrorOut(Schema):
    error: ErrorDetail


def errors(*statuses: int) -> dict[int, type[ErrorOut]]:
    """The error answers a route documents, all in the one error shape."""
    return dict.fromkeys(statuses, ErrorOut)


class UnitRef(Schema):
    id: int
    code: str | None
    name: str
    name_en: str


class CategoryRef(Schema):
    key: str
    name: dict[str, str]


def rate_limit(request: HttpRequest, scope: str, *, setting: str, limit: int, window: int) -> None:
    """Count the request against its network's budget; ``settings.<setting>`` and ``<setting>_WINDOW``
    override the limit and the window (seconds). Past the limit, RateLimited is answered 429."""
    hit(
        scope,
        client_network(request),
        limit=int(getattr(settings, setting, limit)),
        window=int(getattr(settings, f"{setting}_WINDOW", window)),
    )


def read_limit(request: HttpRequest) -> None:
    """The budget of public reads: generous for people and apps, a stop to scrapers and floods."""
    rate_limit(request, "api.read", setting="DALUN_API_READ_LIMIT", limit=600, window=60)

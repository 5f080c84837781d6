"""One REST API with one OpenAPI schema (interactive docs at /api/docs); each app adds its router.

Every error has the same shape: ``{"error": {"code": "...", "message": "...", "fields": {...}}}``.
"""

import logging

from django.core.exceptions import PermissionDenied, SuspiciousOperation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.openapi.schema import OpenAPISchema

from dalun.apikeys.fields import ErrorOut
from dalun.apikeys.idempotency import IdempotencyMismatch
from dalun.campaigns.api import router as campaigns_router
from dalun.ledger import services as ledger_services
from dalun.ledger.api import router as ledger_router
from dalun.org import services as org_services
from dalun.org.api import router as org_router
from dalun.voices.api import router as voices_router
from dalun.web.ratelimit import RateLimited

logger = logging.getLogger(__name__)

ERROR_REF = "#/components/schemas/ErrorOut"


class DalunAPI(NinjaAPI):
    """The API whose schema documents, on every operation, the one error shape of any 4xx answer.

    Routes declare the refusals they are known for (404, 409, 422 ...); any other 4xx a client can cause
    (a malformed parameter, a missing token, a rate limit) is still answered in the same shape, so the
    schema says so with a ``4XX`` response, and clients and the schema fuzzer (tests/fuzz) can rely on it.
    """

    def get_openapi_schema(
        self, *, path_prefix: str | None = None, path_params: dict | None = None
    ) -> OpenAPISchema:
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        if "ErrorOut" not in components:
            error_schema = ErrorOut.model_json_schema(ref_template="#/components/schemas/{model}")
            components.update(error_schema.pop("$defs", {}))
            components["ErrorOut"] = error_schema
        refused = {
            "description": "Refused: the request is not valid, not allowed or too frequent.",
            "content": {"application/json": {"schema": {"$ref": ERROR_REF}}},
        }
        for operations in schema.get("paths", {}).values():
            for operation in operations.values():
                if isinstance(operation, dict) and "responses" in operation:
                    operation["responses"].setdefault("4XX", refused)
        return schema


api = DalunAPI(
    title="Dalun API",
    version="1",
    urls_namespace="api",
    description=(
        "Units, campaigns, public ledgers and suggestions, and (for staff, with "
        "`Authorization: Bearer <token>` or a session) the suggestion queue, answers and ledger writes. "
        'Every error answers `{"error": {"code", "message", "fields"}}`.'
    ),
)


def error_response(
    request: HttpRequest, status: int, code: str, message: str, fields: dict[str, list[str]] | None = None
) -> HttpResponse:
    return api.create_response(
        request, {"error": {"code": code, "message": message, "fields": fields or {}}}, status=status
    )


NOT_AN_OBJECT = "Send a JSON object with the fields of the schema."


@api.exception_handler(ValidationError)
def on_validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    fields: dict[str, list[str]] = {}
    for error in exc.errors:
        location = list(error.get("loc", ()))
        if location and location[0] in {"body", "query", "path", "header"}:
            # ("body", "payload", "version") names the field "version": drop the source and the body's name.
            location = location[2:] if location[0] == "body" else location[1:]
        name = ".".join(str(part) for part in location) or "request"
        # pydantic names its own model class when the body is not an object: say what to send instead.
        message = NOT_AN_OBJECT if error.get("type") in {"model_type", "dict_type"} else error.get("msg")
        fields.setdefault(name, []).append(message or "invalid")
    return error_response(request, 422, "invalid", "The request is not valid.", fields)


@api.exception_handler(Http404)
def on_not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return error_response(request, 404, "not_found", "Not found.")


@api.exception_handler(PermissionDenied)
def on_forbidden(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
    return error_response(request, 403, "forbidden", "You may not do this here.")


@api.exception_handler(AuthenticationError)
def on_unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    response = error_response(request, 401, "unauthenticated", "Sign in first.")
    response["WWW-Authenticate"] = 'Bearer realm="dalun"'
    return response


HTTP_ERROR_CODES = {400: "bad_request", 403: "forbidden", 405: "method_not_allowed", 413: "too_large"}
HTTP_ERROR_CODES |= {415: "unsupported_media_type", 429: "rate_limited"}


@api.exception_handler(HttpError)
def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    """Ninja's own refusals (a body that is not JSON, a failed CSRF check ...) in the one error shape."""
    return error_response(
        request, exc.status_code, HTTP_ERROR_CODES.get(exc.status_code, "error"), exc.message
    )


@api.exception_handler(DjangoValidationError)
def on_invalid(request: HttpRequest, exc: DjangoValidationError) -> HttpResponse:
    """A service refused the input: 422 naming each field (errors of the whole request in the message)."""
    fields: dict[str, list[str]] = {}
    general: list[str] = []
    if hasattr(exc, "error_dict"):
        for name, messages in exc.message_dict.items():
            if name == "__all__":
                general.extend(messages)
            else:
                fields[name] = [str(message) for message in messages]
    else:
        general = [str(message) for message in exc.messages]
    return error_response(request, 422, "invalid", " ".join(general) or "The request is not valid.", fields)


@api.exception_handler(IdempotencyMismatch)
def on_idempotency_mismatch(request: HttpRequest, exc: IdempotencyMismatch) -> HttpResponse:
    return error_response(request, 422, exc.code, str(exc), {"Idempotency-Key": [str(exc)]})


def conflict_response(request: HttpRequest, message: str, current: dict) -> HttpResponse:
    """409: someone saved the record since the client read it; ``current`` holds what they saved."""
    conflict = {"code": "conflict", "message": message, "fields": {}, "current": current}
    return api.create_response(request, {"error": conflict}, status=409)


@api.exception_handler(ledger_services.ConcurrentEditError)
def on_ledger_conflict(request: HttpRequest, exc: ledger_services.ConcurrentEditError) -> HttpResponse:
    return conflict_response(request, str(exc), exc.current)


@api.exception_handler(org_services.ConcurrentEditError)
def on_unit_conflict(request: HttpRequest, exc: org_services.ConcurrentEditError) -> HttpResponse:
    return conflict_response(request, str(exc), exc.current)


@api.exception_handler(RateLimited)
def on_rate_limited(request: HttpRequest, exc: RateLimited) -> HttpResponse:
    response = error_response(
        request, 429, "rate_limited", f"Too many requests: retry after {exc.retry_after} seconds."
    )
    response["Retry-After"] = str(exc.retry_after)
    return response


@api.exception_handler(SuspiciousOperation)
def on_suspicious(request: HttpRequest, exc: SuspiciousOperation) -> HttpResponse:
    """A request Django will not read (too large a body, a malformed header ...)."""
    return error_response(request, 400, "bad_request", "The request cannot be read.")


@api.exception_handler(DataError)
def on_data_error(request: HttpRequest, exc: DataError) -> HttpResponse:
    """The database refused a value that got past validation: still the client's input, never a 500."""
    logger.warning("database refused a value on %s: %s", request.path, exc)
    return error_response(request, 422, "invalid", "A value is out of range or cannot be stored.")


api.add_router("/units", org_router)
api.add_router("/campaigns", campaigns_router)
api.add_router("", voices_router)
api.add_router("", ledger_router)

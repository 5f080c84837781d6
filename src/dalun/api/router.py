"""One REST API with one OpenAPI schema (interactive docs at /api/docs); each app adds its router.

Every error has the same shape: ``{"error": {"code": "...", "message": "...", "fields": {...}}}``.
"""

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, ValidationError

from dalun.campaigns.api import router as campaigns_router
from dalun.org.api import router as org_router

api = NinjaAPI(
    title="Dalun API",
    version="1",
    urls_namespace="api",
    description="Units, campaigns and (for staff) internal records of the Dalun platform.",
)


def error_response(
    request: HttpRequest, status: int, code: str, message: str, fields: dict[str, list[str]] | None = None
) -> HttpResponse:
    return api.create_response(
        request, {"error": {"code": code, "message": message, "fields": fields or {}}}, status=status
    )


@api.exception_handler(ValidationError)
def on_validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    fields: dict[str, list[str]] = {}
    for error in exc.errors:
        location = list(error.get("loc", ()))
        if location and location[0] in {"body", "query", "path"}:
            # ("body", "payload", "version") names the field "version": drop the source and the body's name.
            location = location[2:] if location[0] == "body" else location[1:]
        name = ".".join(str(part) for part in location) or "request"
        fields.setdefault(name, []).append(error.get("msg", "invalid"))
    return error_response(request, 422, "invalid", "The request is not valid.", fields)


@api.exception_handler(Http404)
def on_not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return error_response(request, 404, "not_found", "Not found.")


@api.exception_handler(PermissionDenied)
def on_forbidden(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
    return error_response(request, 403, "forbidden", "You may not do this here.")


@api.exception_handler(AuthenticationError)
def on_unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return error_response(request, 401, "unauthenticated", "Sign in first.")


api.add_router("/units", org_router)
api.add_router("/campaigns", campaigns_router)

"""Every route the platform answers, read from the URL configuration and the OpenAPI schema.

Pages are the resolver's named patterns (``unit-detail``); API operations are the schema's
``METHOD /api/path/{param}`` pairs. The API's own URL patterns that the schema does not describe (the schema
itself, the interactive docs, the root) count as pages, by their namespaced name (``api:openapi-json``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from django.urls import URLPattern, URLResolver, get_resolver

API_NAMESPACE = "api"
HTTP_METHODS = ("get", "post", "put", "patch", "delete")
_PARAM = re.compile(r"<(?:(?P<converter>[^>:]+):)?(?P<name>[^>]+)>")


@dataclass(frozen=True)
class PageRoute:
    name: str  # namespaced URL name
    template: str  # "ledger/<int:unit_id>/<slug:campaign_key>/"
    params: tuple[str, ...]
    module: str  # the view's module, to say where the route comes from


@dataclass(frozen=True)
class ApiOperation:
    method: str  # upper case
    path: str  # "/api/units/{unit_id}"
    params: tuple[str, ...]
    secured: bool  # the schema lists a security requirement: the anonymous must get 401
    bearer: bool  # one of its security schemes is an HTTP bearer token

    @property
    def key(self) -> str:
        return f"{self.method} {self.path}"


def _walk(resolver: URLResolver, prefix: str, namespace: str | None) -> Iterator[tuple[str, str, URLPattern]]:
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            inner = namespace
            if entry.namespace:
                inner = f"{namespace}:{entry.namespace}" if namespace else entry.namespace
            yield from _walk(entry, prefix + str(entry.pattern), inner)
        else:
            name = entry.name or f"<unnamed {prefix}{entry.pattern}>"
            yield (f"{namespace}:{name}" if namespace else name), prefix + str(entry.pattern), entry


def _api_path(template: str) -> str:
    """``api/units/<unit_id>`` as the schema writes it: ``/api/units/{unit_id}``."""
    return "/" + _PARAM.sub(lambda match: "{" + match["name"] + "}", template)


def api_operations() -> list[ApiOperation]:
    from dalun.api.router import api

    schema = api.get_openapi_schema()
    schemes = schema.get("components", {}).get("securitySchemes", {})
    bearers = {name for name, scheme in schemes.items() if scheme.get("scheme") == "bearer"}
    operations = []
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if method not in HTTP_METHODS:
                continue
            params = tuple(p["name"] for p in operation.get("parameters", []) if p.get("in") == "path")
            security = operation.get("security") or []
            bearer = any(name in bearers for requirement in security for name in requirement)
            operations.append(ApiOperation(method.upper(), path, params, bool(security), bearer))
    return operations


def page_routes() -> list[PageRoute]:
    """The resolver's routes, less the API patterns that the schema describes (they are operations)."""
    described = {op.path for op in api_operations()}
    routes: dict[str, PageRoute] = {}
    for name, template, pattern in _walk(get_resolver(), "", None):
        if name.split(":")[0] == API_NAMESPACE and _api_path(template) in described:
            continue
        params = tuple(match["name"] for match in _PARAM.finditer(template))
        module = getattr(pattern.callback, "__module__", "") or ""
        routes.setdefault(name, PageRoute(name, template, params, module))
    return list(routes.values())

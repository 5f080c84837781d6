"""Bugs the API fuzzing found, each reproduced by the smallest request that showed it."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


def test_every_operation_documents_the_error_shape_for_any_4xx(client):
    schema = client.get("/api/openapi.json").json()
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            refused = operation["responses"].get("4XX")
            assert refused, f"{method.upper()} {path} does not document its 4xx answers"
            assert refused["content"]["application/json"]["schema"] == {
                "$ref": "#/components/schemas/ErrorOut"
            }
    detail = schema["components"]["schemas"]["ErrorDetail"]
    assert {"code", "message"} <= set(detail["required"]) and "fields" in detail["properties"]

"""Bugs the API fuzzing found, each reproduced by the smallest request that showed it."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


def test_units_list_refuses_a_limit_beyond_the_page_maximum(client):
    # A limit past 2**63 reached the database: SQLite answered "datatype mismatch", the API a 500.
    response = client.get("/api/units", {"limit": 80390577120501680123, "offset": 0})
    assert response.status_code == 422
    assert "limit" in response.json()["error"]["fields"]
    huge_offset = client.get("/api/units", {"offset": 10**20})
    assert huge_offset.status_code == 422 and "offset" in huge_offset.json()["error"]["fields"]
    assert client.get("/api/units", {"limit": 100}).status_code == 200


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

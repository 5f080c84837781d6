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


def _resolve(schema: dict, node: dict) -> dict:
    while "$ref" in node:
        node = schema["components"]["schemas"][node["$ref"].rsplit("/", 1)[1]]
    return node


def _answer_schema(schema: dict, path: str) -> dict:
    return _resolve(
        schema, schema["paths"][path]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    )


def test_a_campaigns_key_links_are_documented_as_they_are_answered(client, campaign):
    # Two response schemas were both named KeyLinkOut (a campaign's key link, and a unit's progress on one):
    # the schema documented the progress fields (status, reported_on, overdue) for the campaign's.
    schema = client.get("/api/openapi.json").json()
    answer = client.get(f"/api/campaigns/{campaign.key}").json()
    key_link = _resolve(
        schema, _answer_schema(schema, "/api/campaigns/{key}")["properties"]["key_links"]["items"]
    )
    assert answer["key_links"] and set(key_link["required"]) == set(answer["key_links"][0])
    progress = _answer_schema(schema, "/api/units/{unit_id}/ledger")["properties"]["key_links"]["items"]
    assert {"status", "reported_on", "overdue"} <= set(_resolve(schema, progress)["properties"])

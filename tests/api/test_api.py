"""The REST API: public reads, internal reads and edits under the same policy as the pages."""

import pytest

pytestmark = pytest.mark.django_db


def test_units_search_and_detail_are_public(client, unit):
    found = client.get("/api/units", {"q": "小店"}).json()
    assert found["count"] >= 1 and found["items"][0]["code"] == "140105"
    detail = client.get(f"/api/units/{unit('140105').pk}").json()
    assert detail["name"] == "小店区" and detail["kind"] == "district"
    children = client.get("/api/units", {"parent": unit("1401").pk, "limit": 5}).json()
    assert children["count"] == unit("1401").child_count and len(children["items"]) == 5


def test_missing_units_answer_the_documented_error_shape(client):
    response = client.get("/api/units/999999999")
    assert response.status_code == 404
    assert response.json() == {"error": {"code": "not_found", "message": "Not found.", "fields": {}}}


def test_people_are_internal_to_the_subtree(client, client_as, unit):
    url = f"/api/units/{unit('140105').pk}/people"
    assert client.get(url).status_code == 401
    assert client_as("yingze_clerk").get(url).status_code == 404
    people = client_as("xiaodian_clerk").get(url).json()
    assert {"xiaodian_clerk", "xiaodian_head"} <= {p["username"] for p in people}


def patch(client, unit_id: int, payload: dict):
    return client.patch(f"/api/units/{unit_id}", payload, content_type="application/json")


def test_a_clerk_cannot_edit_another_county_by_api(client_as, unit):
    yingze = unit("140106")
    response = patch(client_as("xiaodian_clerk"), yingze.pk, {"version": yingze.version, "name_en": "Hacked"})
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "forbidden"
    yingze.refresh_from_db()
    assert yingze.name_en == "Yingze District"


def test_edit_by_api_with_optimistic_locking(client_as, unit):
    xiaodian = unit("140105")
    clerk = client_as("xiaodian_clerk")
    ok = patch(clerk, xiaodian.pk, {"version": xiaodian.version, "name_en": "Xiaodian"})
    assert ok.status_code == 200 and ok.json()["version"] == xiaodian.version + 1
    stale = patch(clerk, xiaodian.pk, {"version": xiaodian.version, "name_en": "Stale"})
    assert stale.status_code == 409
    assert stale.json()["error"]["current"]["name_en"] == "Xiaodian"


def test_bad_api_input_names_the_field(client_as, unit):
    xiaodian = unit("140105")
    clerk = client_as("xiaodian_clerk")
    missing_version = patch(clerk, xiaodian.pk, {"name_en": "x"})
    assert missing_version.status_code == 422 and "version" in missing_version.json()["error"]["fields"]
    bad_kind = patch(clerk, xiaodian.pk, {"version": xiaodian.version, "kind": "galaxy"})
    assert bad_kind.status_code == 422 and "kind" in bad_kind.json()["error"]["fields"]


def test_campaigns_are_public_and_the_schema_documents_every_route(client):
    assert client.get("/api/campaigns").status_code == 200
    schema = client.get("/api/openapi.json").json()
    assert {"/api/units", "/api/units/{unit_id}", "/api/units/{unit_id}/people", "/api/campaigns"} <= set(
        schema["paths"]
    )
    docs = client.get("/api/docs").content.decode()
    assert "cdn." not in docs and "/static/" in docs

"""The ledger API: public ledgers (never an internal problem), and staff writes with token authentication
through the ledger services, refusing bad input with a 4xx and nothing half-saved."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from dalun.apikeys.services import token_create
from dalun.ledger import services
from dalun.ledger.models import Event, Ledger, Measure, Problem
from dalun.org.policy import SYSTEM

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
JSON = "application/json"


@pytest.fixture
def filled(campaign, unit, persona):
    """Xiaodian's ledger: a public problem with a measure and evidence, and an internal one with a measure."""
    clerk = persona("xiaodian_clerk")
    ledger = services.ledger_open(actor=clerk, unit=unit("140105"), campaign=campaign)

    def problem(text: str, visibility: str) -> Problem:
        return services.problem_create(
            actor=clerk,
            ledger=ledger,
            category=campaign.categories.get(key="reform_awareness"),
            manifestation=text,
            source="self",
            visibility=visibility,
        )

    def measure(problem: Problem, action: str) -> Measure:
        return services.measure_create(
            actor=clerk,
            problem=problem,
            action=action,
            indicator="平均办理时限",
            baseline=Decimal("15"),
            target=Decimal("5"),
            target_unit="个工作日",
            owner="刘芳",
            working_days=20,
        )

    public = problem("审批事项办理时限长，群众反映多次跑腿。", "public")
    internal = problem("内部：干部考勤流于形式（不公开）", "internal")
    public_measure, internal_measure = measure(public, "推行一窗受理"), measure(internal, "内部整改措施")
    services.evidence_attach(
        actor=clerk,
        measure=public_measure,
        upload=SimpleUploadedFile("proof.pdf", PDF, content_type="application/pdf"),
    )
    services.measure_progress(actor=clerk, measure=public_measure, percent=40, text="已完成窗口改造")
    return {
        "ledger": ledger,
        "public": public,
        "internal": internal,
        "public_measure": public_measure,
        "internal_measure": internal_measure,
    }


def bearer(persona, username: str) -> Client:
    _token, secret = token_create(actor=SYSTEM, person=persona(username), name="test")
    return Client(headers={"Authorization": f"Bearer {secret}"})


def assert_error(response, status: int, code: str | None = None) -> dict:
    assert response.status_code == status, response.content
    error = response.json()["error"]
    assert set(error) >= {"code", "message", "fields"}
    if code:
        assert error["code"] == code
    return error


# --- public ----------------------------------------------------------------------------------------------


def test_the_public_ledger_shows_measures_progress_and_evidence_but_never_internal_problems(
    client, filled, unit, campaign, django_assert_max_num_queries
):
    url = f"/api/units/{unit('140105').pk}/ledger"
    with django_assert_max_num_queries(12):
        ledger = client.get(url, {"campaign": campaign.key}).json()
    assert ledger["campaign"] == campaign.key and ledger["status"] == "draft"
    assert [problem["id"] for problem in ledger["problems"]] == [filled["public"].pk]
    measure = ledger["problems"][0]["measures"][0]
    assert measure["progress"] == 40 and measure["deadline"] and measure["overdue"] is False
    assert measure["target"] == "5.00" and "owner" not in measure
    evidence = measure["evidence"][0]
    assert evidence["name"] == "proof.pdf" and evidence["url"].endswith(f"/evidence/{evidence['id']}/")
    assert client.get(evidence["url"]).status_code == 200
    text = json.dumps(client.get(url).json(), ensure_ascii=False)  # the current campaign by default
    assert "内部" not in text and str(filled["internal_measure"].action) not in text
    assert len(ledger["key_links"]) > 0 and {"key", "status", "overdue"} <= set(ledger["key_links"][0])


def test_signed_in_staff_still_get_only_the_public_ledger_from_the_public_route(filled, unit, client_as):
    ledger = client_as("xiaodian_clerk").get(f"/api/units/{unit('140105').pk}/ledger").json()
    text = json.dumps(ledger, ensure_ascii=False)
    assert "审批事项" in text and "内部" not in text


def test_subtree_lists_are_paginated_and_public_only(client, filled, unit, campaign):
    taiyuan = unit("1401").pk
    problems = client.get(f"/api/units/{taiyuan}/problems", {"campaign": campaign.key}).json()
    assert problems["count"] == 1 and problems["items"][0]["id"] == filled["public"].pk
    assert problems["items"][0]["unit"]["code"] == "140105"
    measures = client.get(f"/api/units/{taiyuan}/measures", {"state": "open", "limit": 1}).json()
    assert measures["count"] == 1 and measures["items"][0]["id"] == filled["public_measure"].pk
    assert client.get(f"/api/units/{taiyuan}/measures", {"state": "closed"}).json()["count"] == 0


def test_unknown_units_and_campaigns_are_not_found(client, campaign, unit):
    assert_error(client.get("/api/units/999999999/ledger"), 404, "not_found")
    assert_error(client.get(f"/api/units/{unit('140105').pk}/ledger", {"campaign": "nope"}), 404)
    # A key that is no text at all is no key: the current campaign.
    assert client.get(f"/api/units/{unit('140105').pk}/ledger", {"campaign": "\x00"}).status_code == 200


def test_a_unit_without_a_ledger_answers_an_empty_one(client, campaign, unit):
    ledger = client.get(f"/api/units/{unit('140106').pk}/ledger").json()
    assert ledger["status"] is None and ledger["problems"] == []


# --- staff writes ----------------------------------------------------------------------------------------


def problem_url(unit, campaign, code: str = "140105") -> str:
    return f"/api/staff/ledgers/{unit(code).pk}/{campaign.key}/problems"


def test_a_clerk_records_a_problem_commits_a_measure_and_reports_progress_by_api(persona, unit, campaign):
    clerk = bearer(persona, "xiaodian_clerk")
    created = clerk.post(
        problem_url(unit, campaign),
        {"category": "work_style", "manifestation": "<b>窗口</b>服务态度差", "visibility": "internal"},
        content_type=JSON,
    )
    assert created.status_code == 201, created.content
    problem = Problem.objects.get(pk=created.json()["id"])
    assert problem.manifestation == "<b>窗口</b>服务态度差" and problem.visibility == "internal"
    assert problem.created_by == persona("xiaodian_clerk")
    measure = clerk.post(
        f"/api/staff/problems/{problem.pk}/measures",
        {
            "action": "开展作风整顿",
            "indicator": "投诉件数",
            "target": "0",
            "owner": "刘芳",
            "working_days": 30,
        },
        content_type=JSON,
    )
    assert measure.status_code == 201, measure.content
    assert measure.json()["deadline"] > timezone.localdate().isoformat()
    progress = clerk.post(
        f"/api/staff/measures/{measure.json()['id']}/progress",
        {"percent": 50, "text": "已开展两轮培训"},
        content_type=JSON,
    )
    assert progress.status_code == 201 and progress.json()["percent"] == 50
    assert Measure.objects.get(pk=measure.json()["id"]).progress == 50


def test_session_authentication_is_accepted_for_staff_writes(client_as, unit, campaign):
    created = client_as("xiaodian_clerk").post(
        problem_url(unit, campaign), {"category": "work_style", "manifestation": "问题"}, content_type=JSON
    )
    assert created.status_code == 201


def test_staff_writes_need_a_token_and_the_right_role_over_the_unit(client, persona, unit, campaign, filled):
    body = {"category": "work_style", "manifestation": "越权记录的问题"}
    before = Problem.objects.count()
    assert_error(client.post(problem_url(unit, campaign), body, content_type=JSON), 401, "unauthenticated")
    yingze = bearer(persona, "yingze_clerk")
    assert_error(yingze.post(problem_url(unit, campaign), body, content_type=JSON), 403, "forbidden")
    moderator = bearer(persona, "moderator")
    assert_error(moderator.post(problem_url(unit, campaign), body, content_type=JSON), 403, "forbidden")
    measure_body = {"action": "措施", "indicator": "指标", "target": "1", "owner": "某人"}
    # A public problem of another county: visible but not editable; an internal one: not even visible.
    public_url = f"/api/staff/problems/{filled['public'].pk}/measures"
    assert_error(yingze.post(public_url, measure_body, content_type=JSON), 403, "forbidden")
    internal_url = f"/api/staff/problems/{filled['internal'].pk}/measures"
    assert_error(yingze.post(internal_url, measure_body, content_type=JSON), 404, "not_found")
    progress = {"percent": 90, "text": "越权"}
    internal_progress = f"/api/staff/measures/{filled['internal_measure'].pk}/progress"
    assert_error(yingze.post(internal_progress, progress, content_type=JSON), 404, "not_found")
    public_progress = f"/api/staff/measures/{filled['public_measure'].pk}/progress"
    assert_error(yingze.post(public_progress, progress, content_type=JSON), 403, "forbidden")
    assert Problem.objects.count() == before and Measure.objects.count() == 2
    assert not Ledger.objects.filter(unit=unit("140106")).exists()
    assert Measure.objects.get(pk=filled["public_measure"].pk).progress == 40


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"category": "no_such", "manifestation": "问题"}, "category"),
        ({"category": "work_style", "manifestation": "   "}, "manifestation"),
        ({"category": "work_style", "manifestation": "长" * 4001}, "manifestation"),
        ({"category": "work_style", "manifestation": "问题\x00"}, "manifestation"),
        ({"category": "work_style", "manifestation": "问题", "visibility": "secret"}, "visibility"),
        ({"category": "work_style", "manifestation": "问题", "source": 7}, "source"),
        ({"category": ["work_style"], "manifestation": "问题"}, "category"),
    ],
)
def test_bad_problems_are_refused_and_no_ledger_is_left_behind(persona, unit, campaign, body, field):
    clerk = bearer(persona, "xiaodian_clerk")
    error = assert_error(clerk.post(problem_url(unit, campaign), body, content_type=JSON), 422, "invalid")
    assert field in error["fields"]
    assert not Problem.objects.exists() and not Ledger.objects.exists()


def test_unknown_targets_of_staff_writes_are_not_found(persona, unit, campaign):
    clerk = bearer(persona, "xiaodian_clerk")
    body = {"category": "work_style", "manifestation": "问题"}
    assert_error(
        clerk.post(f"/api/staff/ledgers/999999999/{campaign.key}/problems", body, content_type=JSON), 404
    )
    assert_error(
        clerk.post(f"/api/staff/ledgers/{unit('140105').pk}/nope/problems", body, content_type=JSON), 404
    )
    assert_error(clerk.post("/api/staff/problems/999999999/measures", {}, content_type=JSON), 422)
    assert_error(
        clerk.post("/api/staff/measures/999999999/progress", {"percent": 1, "text": "x"}, content_type=JSON),
        404,
    )


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"indicator": "指标", "target": "1", "owner": "某人"}, "action"),
        ({"action": "措施", "indicator": "指标", "target": "123456789012345", "owner": "某人"}, "target"),
        ({"action": "措施", "indicator": "指标", "target": "1.234", "owner": "某人"}, "target"),
        ({"action": "措施", "indicator": "指标", "target": "NaN", "owner": "某人"}, "target"),
        ({"action": "措施", "indicator": "指标", "target": "abc", "owner": "某人"}, "target"),
        (
            {"action": "措施", "indicator": "指标", "target": 1, "owner": "某人", "deadline": "2025-02-30"},
            "deadline",
        ),
        (
            {"action": "措施", "indicator": "指标", "target": 1, "owner": "某人", "working_days": 0},
            "working_days",
        ),
        ({"action": "  ", "indicator": "指标", "target": 1, "owner": "某人"}, "action"),
        ({"action": "措施", "indicator": "x" * 201, "target": 1, "owner": "某人"}, "indicator"),
    ],
)
def test_bad_measures_are_refused_naming_the_field(persona, filled, body, field):
    clerk = bearer(persona, "xiaodian_clerk")
    response = clerk.post(f"/api/staff/problems/{filled['public'].pk}/measures", body, content_type=JSON)
    assert field in assert_error(response, 422, "invalid")["fields"]
    assert Measure.objects.count() == 2


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"percent": 101, "text": "超过"}, "percent"),
        ({"percent": -1, "text": "负数"}, "percent"),
        ({"percent": "half", "text": "文字"}, "percent"),
        ({"percent": 50, "text": "  "}, "text"),
        ({"percent": 50}, "text"),
    ],
)
def test_bad_progress_is_refused_and_the_timeline_is_unchanged(persona, filled, body, field):
    clerk = bearer(persona, "xiaodian_clerk")
    events = Event.objects.count()
    response = clerk.post(
        f"/api/staff/measures/{filled['public_measure'].pk}/progress", body, content_type=JSON
    )
    assert field in assert_error(response, 422, "invalid")["fields"]
    assert (
        Event.objects.count() == events and Measure.objects.get(pk=filled["public_measure"].pk).progress == 40
    )


def test_invalid_json_is_a_400_in_the_error_shape(persona, unit, campaign):
    clerk = bearer(persona, "xiaodian_clerk")
    assert_error(clerk.post(problem_url(unit, campaign), "{not json", content_type=JSON), 400, "bad_request")
    assert not Ledger.objects.exists()


# --- the schema and the docs -----------------------------------------------------------------------------


def test_the_openapi_schema_lists_every_route_and_the_docs_need_no_cdn(client):
    schema = client.get("/api/openapi.json").json()
    routes = {
        "/api/suggestions": {"get", "post"},
        "/api/suggestions/{suggestion_id}": {"get"},
        "/api/receipts/{code}": {"get"},
        "/api/units/{unit_id}/ledger": {"get"},
        "/api/units/{unit_id}/problems": {"get"},
        "/api/units/{unit_id}/measures": {"get"},
        "/api/staff/suggestions/queue": {"get"},
        "/api/staff/suggestions/inbox": {"get"},
        "/api/staff/suggestions/{suggestion_id}": {"get"},
        "/api/staff/suggestions/{suggestion_id}/publish": {"post"},
        "/api/staff/suggestions/{suggestion_id}/reject": {"post"},
        "/api/staff/suggestions/{suggestion_id}/route": {"post"},
        "/api/staff/suggestions/{suggestion_id}/answer": {"post"},
        "/api/staff/ledgers/{unit_id}/{campaign_key}/problems": {"post"},
        "/api/staff/problems/{problem_id}/measures": {"post"},
        "/api/staff/measures/{measure_id}/progress": {"post"},
    }
    for path, methods in routes.items():
        assert methods <= set(schema["paths"][path]), path
    submit = schema["paths"]["/api/suggestions"]["post"]
    assert {"201", "422", "429"} <= set(submit["responses"])
    assert "Idempotency-Key" in {parameter["name"] for parameter in submit.get("parameters", [])}
    assert schema["paths"]["/api/staff/suggestions/queue"]["get"]["security"]
    assert "ErrorOut" in schema["components"]["schemas"]
    docs = client.get("/api/docs")
    assert docs.status_code == 200
    html = docs.content.decode()
    assert "cdn." not in html and "unpkg" not in html and "/static/" in html

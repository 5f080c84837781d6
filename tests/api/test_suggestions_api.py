"""The suggestions API: public reads and submission (idempotent, rate limited, refusing bad input with a
4xx and nothing saved), receipts, and the staff's queue, inbox and answers under token authentication."""

from __future__ import annotations

import json
import threading

import pytest
from django.db import connection, connections
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from dalun.apikeys import idempotency
from dalun.apikeys.services import token_create, token_revoke
from dalun.audit.models import AuditEntry
from dalun.campaigns.services import campaign_create, campaign_deploy, shipped_templates
from dalun.demo.campaign import demo_campaign_start
from dalun.org.policy import SYSTEM
from dalun.voices import services
from dalun.voices.models import Suggestion

pytestmark = pytest.mark.django_db

TITLE = "建议延长政务服务中心周末开放时间"
TEXT = "上班族工作日没时间办事，建议周六上午开放综合窗口。"


def make_campaign(unit):
    text = shipped_templates()["big-discussion"].read_text(encoding="utf-8")
    campaign = campaign_create(
        actor=SYSTEM,
        template_text=text,
        source="big-discussion.yaml",
        starts_on=demo_campaign_start(timezone.localdate()),
        owner_unit=unit("14"),
    )
    campaign_deploy(actor=SYSTEM, campaign=campaign, root=unit("1401"))
    return campaign


def post(client: Client, body, *, key: str | None = None, content_type: str = "application/json"):
    headers = {"Idempotency-Key": key} if key is not None else {}
    data = body if isinstance(body, (str, bytes)) else json.dumps(body)
    return client.post("/api/suggestions", data, content_type=content_type, headers=headers)


def bearer(persona, username: str) -> Client:
    _token, secret = token_create(actor=SYSTEM, person=persona(username), name="test")
    return Client(headers={"Authorization": f"Bearer {secret}"})


def assert_error_shape(response, status: int, code: str | None = None) -> dict:
    assert response.status_code == status, response.content
    error = response.json()["error"]
    assert set(error) >= {"code", "message", "fields"} and isinstance(error["fields"], dict)
    if code:
        assert error["code"] == code
    return error


# --- submission and idempotency -------------------------------------------------------------------------


def test_submission_answers_201_with_a_receipt_and_keeps_the_contact_secret(client, campaign, persona):
    response = post(client, {"title": TITLE, "text": TEXT, "category": "work_style", "contact": "a@b.cn"})
    assert (
        post(client, {"title": TITLE, "text": TEXT, "contact": None, "unit_code": "140105"}).status_code
        == 201
    )
    assert response.status_code == 201
    body = response.json()
    suggestion = Suggestion.objects.get(receipt_code=body["receipt_code"])
    assert body["moderation"] == "pending" and Suggestion.objects.count() == 2
    assert response["Location"] == f"/api/receipts/{suggestion.receipt_code}"
    assert suggestion.category.key == "work_style"
    receipt = client.get(response["Location"])
    assert receipt.status_code == 200 and receipt.json()["status"] == "pending"
    assert "a@b.cn" not in receipt.content.decode() and "contact" not in receipt.json()
    assert services.contact_of(actor=persona("moderator"), suggestion=suggestion) == "a@b.cn"


def test_a_retry_with_the_same_idempotency_key_returns_the_same_receipt_and_creates_nothing(
    client, campaign, django_capture_on_commit_callbacks
):
    body = {"title": TITLE, "text": TEXT, "contact": "13800000000"}
    with django_capture_on_commit_callbacks(execute=True):  # the intake audits the submission
        first = post(client, body, key="6f1c1a52-6f43-4a0b-9d0e-6a3b2f6a0c11")
        retry = post(client, body, key="6f1c1a52-6f43-4a0b-9d0e-6a3b2f6a0c11")
    assert first.status_code == retry.status_code == 201
    assert retry.json() == first.json() and retry["Idempotent-Replayed"] == "true"
    assert Suggestion.objects.count() == 1
    assert AuditEntry.objects.filter(action="suggestion.submit").count() == 1
    # The suggestion keeps the key and a keyed hash of the request, which does not give the contact away.
    stored = Suggestion.objects.get()
    assert stored.idempotency_key == "6f1c1a52-6f43-4a0b-9d0e-6a3b2f6a0c11"
    assert len(stored.request_hash) == 64 and "13800000000" not in stored.request_hash


def test_the_same_key_with_another_body_is_refused_as_a_mismatch(client, campaign):
    assert post(client, {"title": TITLE, "text": TEXT}, key="k-1").status_code == 201
    refused = post(client, {"title": TITLE, "text": TEXT + "！"}, key="k-1")
    error = assert_error_shape(refused, 422, "idempotency_mismatch")
    assert "Idempotency-Key" in error["fields"]
    assert Suggestion.objects.count() == 1


def test_the_key_is_per_route_body_order_does_not_matter_and_no_key_means_no_replay(client, campaign):
    assert post(client, {"title": TITLE, "text": TEXT}, key="k-2").status_code == 201
    reordered = post(client, json.dumps({"text": TEXT, "title": TITLE}), key="k-2")
    assert reordered.status_code == 201 and reordered["Idempotent-Replayed"] == "true"
    assert post(client, {"title": TITLE, "text": TEXT}).status_code == 201
    assert post(client, {"title": TITLE, "text": TEXT}).status_code == 201
    assert Suggestion.objects.count() == 3


def test_a_refused_request_does_not_use_up_its_key(client, campaign):
    assert_error_shape(post(client, {"title": TITLE, "text": "  "}, key="k-3"), 422, "invalid")
    assert not Suggestion.objects.exists()
    assert post(client, {"title": TITLE, "text": TEXT}, key="k-3").status_code == 201


def test_an_expired_key_may_be_used_for_a_new_request(client, campaign):
    assert post(client, {"title": TITLE, "text": TEXT}, key="k-old").status_code == 201
    Suggestion.objects.update(submitted_at=timezone.now() - idempotency.KEPT_FOR * 2)
    again = post(client, {"title": "另一条建议", "text": TEXT}, key="k-old")
    assert again.status_code == 201 and "Idempotent-Replayed" not in again
    assert Suggestion.objects.count() == 2
    # The key has moved to the new suggestion; the old one is kept, without it.
    assert Suggestion.objects.get(idempotency_key="k-old").title == "另一条建议"


def test_a_submission_is_one_statement_and_a_retry_three(client, campaign, django_assert_num_queries):
    """The lean path: the campaign is read once per process; then a keyed submission is one statement
    (the suggestion with its key, counted against its network's limit), on PostgreSQL and SQLite alike; a
    retry is that statement finding the key taken, the check that the network is not over its limit, and
    the read of the earlier suggestion."""
    assert post(client, {"title": TITLE, "text": TEXT}, key="k-warm").status_code == 201
    with django_assert_num_queries(1):
        first = post(client, {"title": TITLE, "text": TEXT}, key="k-lean")
    with django_assert_num_queries(3):
        retry = post(client, {"title": TITLE, "text": TEXT}, key="k-lean")
    assert retry.status_code == 201 and retry.json() == first.json()
    assert first.json()["id"] == Suggestion.objects.get(receipt_code=first.json()["receipt_code"]).pk
    mismatch = post(client, {"title": TITLE, "text": "别的内容"}, key="k-lean")
    assert_error_shape(mismatch, 422, "idempotency_mismatch")
    assert Suggestion.objects.count() == 2


def test_the_row_the_statement_writes_equals_the_one_the_orm_writes(campaign):
    """The statement writes only the columns a submission knows; the others take the database defaults,
    which must be the model's own."""
    written = services.suggestion_submit(campaign=campaign, title=TITLE, text=TEXT, network="n")
    saved = Suggestion.objects.create(
        campaign=campaign, title=TITLE, text=TEXT, receipt_code="AAAA-BBBB-CCCC"
    )
    ignored = {"id", "receipt_code", "submitted_at", "search_text", "network"}
    columns = [field.attname for field in Suggestion._meta.concrete_fields if field.attname not in ignored]
    assert Suggestion.objects.filter(pk=written.pk).values(*columns).get() == (
        Suggestion.objects.filter(pk=saved.pk).values(*columns).get()
    )


@pytest.mark.skipif(
    "sqlite" in connection.vendor, reason="in-memory SQLite test databases lock tables across threads"
)
def test_concurrent_requests_with_one_key_create_one_suggestion(seeded_transactional_db, unit):
    make_campaign(unit)
    barrier, answers = threading.Barrier(4), []

    def send() -> None:
        try:
            barrier.wait()
            answers.append(post(Client(), {"title": TITLE, "text": TEXT}, key="k-concurrent"))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=send) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [answer.status_code for answer in answers] == [201] * 4
    assert len({answer.json()["receipt_code"] for answer in answers}) == 1
    assert Suggestion.objects.count() == 1


# --- rate limits -----------------------------------------------------------------------------------------


def test_a_flood_from_one_network_is_answered_429_with_retry_after(client, campaign, settings):
    settings.DALUN_SUGGESTION_LIMIT = 2
    assert post(client, {"title": TITLE, "text": TEXT}, key="a").status_code == 201
    assert post(client, {"title": TITLE, "text": TEXT}).status_code == 201
    # A replay creates nothing and is not counted.
    assert post(client, {"title": TITLE, "text": TEXT}, key="a").status_code == 201
    flooded = post(client, {"title": TITLE, "text": TEXT}, key="b")
    error = assert_error_shape(flooded, 429, "rate_limited")
    assert 0 < int(flooded["Retry-After"]) <= 3600 and flooded["Retry-After"] in error["message"]
    assert Suggestion.objects.count() == 2
    other_network = post(Client(REMOTE_ADDR="10.9.8.7"), {"title": TITLE, "text": TEXT})
    assert other_network.status_code == 201


def test_a_retry_of_an_accepted_submission_is_answered_even_when_it_would_be_refused_now(
    client, campaign, settings
):
    """A client that lost the first answer must get it back: its suggestion was accepted."""
    settings.DALUN_SUGGESTION_LIMIT = 1
    body = {"title": TITLE, "text": TEXT}
    first = post(client, body, key="accepted")
    assert post(client, body, key="refused").status_code == 429  # the network is over its limit now
    retry = post(client, body, key="accepted")
    assert (
        retry.status_code == 201 and retry.json() == first.json() and retry["Idempotent-Replayed"] == "true"
    )
    campaign.phases.all().delete()  # the campaign takes no suggestions any more
    settings.DALUN_SUGGESTION_LIMIT = 100
    assert_error_shape(post(client, body, key="new"), 422)
    assert post(client, body, key="accepted").json() == first.json()
    assert Suggestion.objects.count() == 1


def test_the_limit_counts_the_networks_suggestions_in_a_sliding_window(client, campaign, settings):
    """No counter elsewhere: the suggestions the network sent in the last window are what counts, and a
    place frees up when the oldest of them leaves the window."""
    settings.DALUN_SUGGESTION_LIMIT, settings.DALUN_SUGGESTION_LIMIT_WINDOW = 2, 60
    assert post(client, {"title": TITLE, "text": TEXT}).status_code == 201
    assert post(client, {"title": TITLE, "text": TEXT}).status_code == 201
    oldest = Suggestion.objects.earliest("submitted_at")
    Suggestion.objects.filter(pk=oldest.pk).update(
        submitted_at=timezone.now() - timezone.timedelta(seconds=50)
    )
    flooded = post(client, {"title": TITLE, "text": TEXT})
    assert_error_shape(flooded, 429, "rate_limited")
    assert 9 <= int(flooded["Retry-After"]) <= 11  # the oldest leaves the window in about 10 s
    Suggestion.objects.filter(pk=oldest.pk).update(
        submitted_at=timezone.now() - timezone.timedelta(seconds=61)
    )
    assert post(client, {"title": TITLE, "text": TEXT}).status_code == 201
    assert Suggestion.objects.count() == 3


def test_public_reads_are_rate_limited_too(client, campaign, settings):
    settings.DALUN_API_READ_LIMIT = 3
    for _ in range(3):
        assert client.get("/api/suggestions").status_code == 200
    flooded = client.get("/api/receipts/AAAA-BBBB-CCCC")
    assert_error_shape(flooded, 429, "rate_limited")
    assert int(flooded["Retry-After"]) > 0


# --- bad input -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"title": "", "text": TEXT}, "title"),
        ({"title": TITLE, "text": " \n\t "}, "text"),
        ({"title": TITLE, "text": "长" * 5001}, "text"),
        ({"title": "x" * 121, "text": TEXT}, "title"),
        ({"title": TITLE, "text": TEXT, "contact": "c" * 201}, "contact"),
        ({"title": 12345, "text": TEXT}, "title"),
        ({"title": TITLE, "text": None}, "text"),
        ({"title": TITLE, "text": ["a", "b"]}, "text"),
        ({"text": TEXT}, "title"),
        ({"title": TITLE, "text": "正文\x00截断"}, "text"),
        ({"title": TITLE, "text": TEXT, "category": "no_such_category"}, "category"),
        ({"title": TITLE, "text": TEXT, "unit_code": "999999"}, "unit_code"),
        ({"title": TITLE, "text": TEXT, "campaign": "no-such-campaign"}, "campaign"),
        ([TITLE, TEXT], "request"),  # not an object: the body as a whole is refused
    ],
)
def test_bad_submissions_are_refused_naming_the_field_and_save_nothing(client, campaign, body, field):
    error = assert_error_shape(post(client, body, key="k-bad"), 422, "invalid")
    assert field in error["fields"]
    assert not Suggestion.objects.exists()


def test_a_body_that_is_not_an_object_is_told_to_send_one(client, campaign):
    error = assert_error_shape(post(client, ["标题", "正文"], key="k-list"), 422, "invalid")
    assert error["fields"] == {"request": ["Send a JSON object with the fields of the schema."]}


@pytest.mark.parametrize(
    ("raw", "status", "content_type"),
    [
        ('{"title": "标题", "text": ', 400, "application/json"),  # truncated JSON
        (b'{"title": "\xff\xfe", "text": "x"}', 400, "application/json"),  # not UTF-8
        ('{"title": "\\ud800", "text": "lone surrogate"}', 422, "application/json"),  # invalid Unicode
        ('{"title": "标题", "text": "内容"}', 415, "text/plain"),
        ("title=a&text=b", 400, "application/x-www-form-urlencoded"),
    ],
)
def test_unreadable_bodies_are_4xx_in_the_error_shape(client, campaign, raw, status, content_type):
    assert_error_shape(post(client, raw, content_type=content_type), status)
    assert not Suggestion.objects.exists()


@pytest.mark.parametrize(
    "url",
    [
        "/api/suggestions/99999999999999999999999",
        "/api/units/99999999999999999999999/ledger",
        "/api/receipts/%C0%80",
        "/api/staff/suggestions/99999999999999999999999",
    ],
)
def test_ids_and_codes_out_of_range_are_not_found_never_500(client_as, url):
    assert_error_shape(client_as("moderator").get(url), 404, "not_found")


@pytest.mark.parametrize("key", ["", "x" * 256, "has space", "中文键"])
def test_a_malformed_idempotency_key_is_refused(client, campaign, key):
    response = client.post(
        "/api/suggestions",
        json.dumps({"title": TITLE, "text": TEXT}),
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY=key,
    )
    error = assert_error_shape(response, 422, "invalid")
    assert "Idempotency-Key" in error["fields"]
    assert not Suggestion.objects.exists()


def test_html_is_stored_as_text_and_shown_escaped(client, campaign, persona):
    script = "<script>alert('x')</script>"
    created = post(client, {"title": f"{script}标题", "text": f"<b>粗体</b>{script}"})
    assert created.status_code == 201
    suggestion = Suggestion.objects.get()
    assert suggestion.title == f"{script}标题" and suggestion.text == f"<b>粗体</b>{script}"
    services.suggestion_publish(actor=persona("moderator"), suggestion=suggestion)
    assert client.get(f"/api/suggestions/{suggestion.pk}").json()["title"] == f"{script}标题"
    page = client.get(reverse("portal-suggestion", args=[suggestion.pk])).content.decode()
    assert script not in page and "&lt;script&gt;" in page


# --- public reads ----------------------------------------------------------------------------------------


def test_only_published_suggestions_are_listed_and_search_works_in_chinese(
    client, submit, persona, django_assert_max_num_queries
):
    moderator = persona("moderator")
    weekend = submit()
    parking = submit(title="医院周边停车难", text="建议增设临时停车位。")
    pending = submit(title="尚未审核的建议", text="内容")
    for suggestion in (weekend, parking):
        services.suggestion_publish(actor=moderator, suggestion=suggestion)
    with django_assert_max_num_queries(4):
        listed = client.get("/api/suggestions").json()
    assert listed["count"] == 2 and {row["id"] for row in listed["items"]} == {weekend.pk, parking.pk}
    assert "receipt_code" not in listed["items"][0] and "contact" not in listed["items"][0]
    found = client.get("/api/suggestions", {"q": "停车"}).json()
    assert [row["id"] for row in found["items"]] == [parking.pk]
    # NUL, an encoded surrogate and a byte that is not UTF-8 around "停车": still a search, never a 500.
    assert client.get("/api/suggestions?q=%00%E5%81%9C%E8%BD%A6%ED%A0%80%FF").json()["count"] == 1
    page = client.get("/api/suggestions", {"limit": 1, "offset": 1}).json()
    assert page["count"] == 2 and len(page["items"]) == 1
    assert_error_shape(client.get("/api/suggestions", {"limit": 1000}), 422, "invalid")
    assert_error_shape(client.get(f"/api/suggestions/{pending.pk}"), 404, "not_found")
    assert client.get(f"/api/suggestions/{weekend.pk}").json()["title"] == TITLE


def test_a_receipt_follows_the_answer_and_unknown_codes_are_not_found(client, submit, persona, unit):
    suggestion = submit(contact="citizen@example.cn")
    services.suggestion_publish(actor=persona("moderator"), suggestion=suggestion)
    services.suggestion_route(actor=persona("moderator"), suggestion=suggestion, unit=unit("140105"))
    services.suggestion_answer(
        actor=persona("xiaodian_clerk"), suggestion=suggestion, text="已采纳。", adoption="adopted"
    )
    receipt = client.get(f"/api/receipts/{suggestion.receipt_code.lower()}").json()
    assert receipt["status"] == "answered" and receipt["response"]["adoption"] == "adopted"
    assert receipt["routed_unit"]["code"] == "140105"
    assert "citizen@example.cn" not in json.dumps(receipt, ensure_ascii=False)
    for code in ("AAAA-BBBB-CCCC", "%00", "x" * 40, "<script>"):
        assert_error_shape(client.get(f"/api/receipts/{code}"), 404, "not_found")


# --- staff -----------------------------------------------------------------------------------------------


def test_staff_routes_need_a_valid_token(client, submit, persona):
    for url in ("/api/staff/suggestions/queue", "/api/staff/suggestions/inbox"):
        missing = client.get(url)
        assert_error_shape(missing, 401, "unauthenticated")
        assert missing["WWW-Authenticate"].startswith("Bearer")
        wrong = client.get(url, headers={"Authorization": "Bearer dln_not-a-token"})
        assert_error_shape(wrong, 401, "unauthenticated")
    token, secret = token_create(actor=SYSTEM, person=persona("moderator"), name="revoked")
    token_revoke(actor=SYSTEM, token=token)
    revoked = client.get("/api/staff/suggestions/queue", headers={"Authorization": f"Bearer {secret}"})
    assert_error_shape(revoked, 401, "unauthenticated")
    # A wrong token is refused even when a session would have been accepted.
    session = Client()
    session.force_login(persona("moderator"))
    assert session.get("/api/staff/suggestions/queue").status_code == 200
    refused = session.get("/api/staff/suggestions/queue", headers={"Authorization": f"Bearer {secret}"})
    assert refused.status_code == 401


def test_moderators_work_the_queue_by_api(submit, persona, unit, django_assert_max_num_queries):
    moderator = bearer(persona, "moderator")
    first = submit(contact="citizen@example.cn")
    second = submit(title="医院周边停车难", text="建议增设临时停车位。", concerns_unit=unit("140105"))
    with django_assert_max_num_queries(15):
        queue = moderator.get("/api/staff/suggestions/queue").json()
    assert queue["count"] == 2 and [item["suggestion"]["id"] for item in queue["items"]] == [
        first.pk,
        second.pk,
    ]
    assert queue["items"][1]["proposals"][0]["unit"]["code"] == "140105"
    paged = moderator.get("/api/staff/suggestions/queue", {"limit": 1, "offset": 1}).json()
    assert paged["count"] == 2 and [item["suggestion"]["id"] for item in paged["items"]] == [second.pk]

    published = moderator.post(f"/api/staff/suggestions/{first.pk}/publish")
    assert published.status_code == 200 and published.json()["moderation"] == "published"
    assert published.json()["contact"] == "citizen@example.cn"
    again = moderator.post(f"/api/staff/suggestions/{first.pk}/publish")
    assert_error_shape(again, 422, "invalid")
    routed = moderator.post(
        f"/api/staff/suggestions/{first.pk}/route", {"unit_code": "140105"}, content_type="application/json"
    )
    assert routed.status_code == 200 and routed.json()["routed_unit"]["code"] == "140105"
    rejected = moderator.post(
        f"/api/staff/suggestions/{second.pk}/reject",
        {"reason": "<i>与活动无关</i>"},
        content_type="application/json",
    )
    assert (
        rejected.json()["moderation"] == "rejected"
        and rejected.json()["reject_reason"] == "<i>与活动无关</i>"
    )
    no_unit = moderator.post(
        f"/api/staff/suggestions/{first.pk}/route", {"unit_code": "000"}, content_type="application/json"
    )
    assert "unit" in assert_error_shape(no_unit, 422, "invalid")["fields"]


def test_roles_and_units_are_enforced_on_the_staff_routes(submit, persona, unit, campaign):
    suggestion = submit(contact="citizen@example.cn")
    services.suggestion_publish(actor=persona("moderator"), suggestion=suggestion)
    services.suggestion_route(actor=persona("moderator"), suggestion=suggestion, unit=unit("140105"))
    xiaodian, yingze, moderator = (
        bearer(persona, "xiaodian_clerk"),
        bearer(persona, "yingze_clerk"),
        bearer(persona, "moderator"),
    )
    assert_error_shape(xiaodian.get("/api/staff/suggestions/queue"), 403, "forbidden")
    assert_error_shape(moderator.get("/api/staff/suggestions/inbox"), 403, "forbidden")
    inbox = xiaodian.get("/api/staff/suggestions/inbox").json()
    assert [row["id"] for row in inbox["items"]] == [suggestion.pk]
    assert yingze.get("/api/staff/suggestions/inbox").json()["count"] == 0
    answer_url = f"/api/staff/suggestions/{suggestion.pk}/answer"
    body = {"text": "已采纳，下月起周六开放。", "adoption": "adopted", "to_ledger": "work_style"}
    # Another county's clerk does not even see it; the routed unit's clerk may not moderate it.
    assert_error_shape(yingze.post(answer_url, body, content_type="application/json"), 404, "not_found")
    assert_error_shape(xiaodian.post(f"/api/staff/suggestions/{suggestion.pk}/publish"), 403, "forbidden")
    bad = xiaodian.post(answer_url, {**body, "adoption": "maybe"}, content_type="application/json")
    assert "adoption" in assert_error_shape(bad, 422, "invalid")["fields"]
    no_reason = xiaodian.post(
        answer_url, {"text": "谢谢", "adoption": "not_adopted"}, content_type="application/json"
    )
    assert "reason" in assert_error_shape(no_reason, 422, "invalid")["fields"]
    answered = xiaodian.post(answer_url, body, content_type="application/json")
    assert answered.status_code == 200 and answered.json()["adoption"] == "adopted"
    assert answered.json()["problem_id"] is not None
    detail = xiaodian.get(f"/api/staff/suggestions/{suggestion.pk}").json()
    assert detail["handling"] == "answered" and detail["contact"] == "citizen@example.cn"
    assert xiaodian.get("/api/staff/suggestions/inbox").json()["count"] == 0

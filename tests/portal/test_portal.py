"""The public portal: submit and follow a suggestion, support it, inspect a unit; limits on floods."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command

from dalun.ledger import services as ledger_services
from dalun.voices import services
from dalun.voices.models import Suggestion

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


def test_the_public_submits_and_follows_a_suggestion(client, campaign):
    response = client.post(
        "/portal/suggest/",
        {
            "title": "<b>夜间办证</b>",
            "text": "建议试行夜间延时服务。",
            "category": "",
            "unit_code": "140105",
            "contact": "13800000000",
            "attachments": [SimpleUploadedFile("说明.pdf", PDF)],
        },
    )
    assert response.status_code == 302
    suggestion = Suggestion.objects.get()
    assert response["Location"] == f"/portal/receipt/{suggestion.receipt_code}/"
    page = client.get(response["Location"]).content.decode()
    assert (
        suggestion.receipt_code in page
        and "&lt;b&gt;夜间办证&lt;/b&gt;" in page
        and "13800000000" not in page
    )
    assert suggestion.attachments.get().mime == "application/pdf"
    lookup = client.get("/portal/receipt/", {"code": suggestion.receipt_code.lower()})
    assert client.get(lookup["Location"]).status_code == 200


def test_bad_submissions_answer_400_naming_the_field_and_save_nothing(client, campaign):
    response = client.post(
        "/portal/suggest/", {"title": "", "text": "x" * 6000, "unit_code": "nope"}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 400
    assert set(response.context["form"].errors) >= {"title", "text"}
    exe = SimpleUploadedFile("photo.jpg", b"MZ" + b"\0" * 100)
    response = client.post(
        "/portal/suggest/", {"title": "t", "text": "x", "attachments": [exe]}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 400 and "attachments" in response.context["form"].errors
    assert not Suggestion.objects.exists()


def test_floods_from_one_address_get_429_with_retry_after(client, campaign, settings):
    settings.DALUN_SUGGESTION_LIMIT = 3
    # One budget per network, whichever way its suggestions come: a suggestion sent by the API counts.
    api = client.post("/api/suggestions", {"title": "接口", "text": "内容"}, content_type="application/json")
    assert api.status_code == 201
    statuses = [
        client.post("/portal/suggest/", {"title": f"t{n}", "text": "内容"}).status_code for n in range(3)
    ]
    assert statuses == [302, 302, 429]
    response = client.post("/portal/suggest/", {"title": "again", "text": "内容"})
    assert response.status_code == 429 and int(response["Retry-After"]) > 0
    assert Suggestion.objects.count() == 3


def test_support_counts_once_per_participant(client, submit, persona):
    suggestion = submit()
    services.suggestion_publish(actor=persona("moderator"), suggestion=suggestion)
    for _ in range(3):
        client.post(f"/portal/suggestions/{suggestion.pk}/support/")
    suggestion.refresh_from_db()
    assert suggestion.support_count == 1
    from django.test import Client

    Client().post(f"/portal/suggestions/{suggestion.pk}/support/")
    suggestion.refresh_from_db()
    assert suggestion.support_count == 2


def test_published_suggestions_are_searchable_in_chinese_and_pending_ones_hidden(client, submit, persona):
    visible, hidden = submit(title="建议增设夜间服务窗口"), submit(title="尚未审核的建议")
    services.suggestion_publish(actor=persona("moderator"), suggestion=visible)
    page = client.get("/portal/suggestions/", {"q": "夜间服务"}).content.decode()
    assert "建议增设夜间服务窗口" in page and "尚未审核的建议" not in page
    assert client.get(f"/portal/suggestions/{hidden.pk}/").status_code == 404


def test_disclosure_shows_public_records_and_never_internal_ones(client, campaign, persona, unit):
    clerk = persona("xiaodian_clerk")
    ledger = ledger_services.ledger_open(actor=clerk, unit=unit("140105"), campaign=campaign)
    for visibility, text in (
        ("public", "公开的问题：办事指南不清晰"),
        ("internal", "内部的问题：个别干部纪律松散"),
    ):
        ledger_services.problem_create(
            actor=clerk,
            ledger=ledger,
            category=campaign.categories.first(),
            manifestation=text,
            source="self",
            visibility=visibility,
        )
    page = client.get(f"/portal/units/{unit('140105').pk}/").content.decode()
    assert "公开的问题" in page and "内部的问题" not in page


def test_rating_and_escalation_command(client, submit, persona, unit):
    suggestion = submit()
    services.suggestion_publish(actor=persona("moderator"), suggestion=suggestion)
    services.suggestion_route(actor=persona("moderator"), suggestion=suggestion, unit=unit("140105"))
    Suggestion.objects.filter(pk=suggestion.pk).update(due_on="2020-01-01")
    call_command("escalate_suggestions")
    suggestion.refresh_from_db()
    assert suggestion.escalated_to == unit("1401")
    services.suggestion_answer(
        actor=persona("xiaodian_clerk"), suggestion=suggestion, text="已办", adoption="adopted"
    )
    client.post(f"/portal/receipt/{suggestion.receipt_code}/", {"rating": "satisfied", "comment": "好"})
    assert Suggestion.objects.get(pk=suggestion.pk).satisfaction.rating == "satisfied"


def test_staff_pages_queue_inbox_answer(client_as, submit, persona, unit, campaign):
    suggestion = submit()
    moderator = client_as("moderator")
    assert "建议延长政务服务中心周末开放时间" in moderator.get("/voices/queue/").content.decode()
    moderator.post(f"/voices/{suggestion.pk}/act/", {"action": "publish"})
    moderator.post(f"/voices/{suggestion.pk}/act/", {"action": "route", "unit_code": "140105"})
    clerk = client_as("xiaodian_clerk")
    assert "建议延长政务服务中心周末开放时间" in clerk.get("/voices/inbox/").content.decode()
    assert client_as("yingze_clerk").get(f"/voices/{suggestion.pk}/").status_code == 404
    category = campaign.categories.get(key="work_style")
    clerk.post(
        f"/voices/{suggestion.pk}/act/",
        {
            "action": "answer",
            "text": "已采纳",
            "adoption": "adopted",
            "reason": "",
            "to_ledger": str(category.pk),
        },
    )
    suggestion.refresh_from_db()
    assert suggestion.handling == "answered" and suggestion.response.problem is not None
    assert client_as("xiaodian_clerk").get("/voices/queue/").status_code == 403


def test_escalated_suggestions_show_on_the_parents_dashboard(client_as, submit, persona, unit, campaign):
    suggestion = submit()
    services.suggestion_publish(actor=persona("moderator"), suggestion=suggestion)
    services.suggestion_route(actor=persona("moderator"), suggestion=suggestion, unit=unit("140105"))
    Suggestion.objects.filter(pk=suggestion.pk).update(due_on="2020-01-01")
    services.suggestions_escalate()
    figures = client_as("office").get(f"/dashboard/{unit('1401').pk}/{campaign.key}/").context["suggestions"]
    assert (figures.awaiting, figures.overdue, figures.escalated_here) == (1, 1, 1)

"""The pages of opinion maps: the public votes with a cookie and writes statements; moderators prepare,
moderate, export and import; who may open which page; query counts stay bounded."""

from __future__ import annotations

import io
import re
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from dalun.opinions import analysis, services, views
from dalun.opinions.choices import MapStatus, StatementStatus
from dalun.opinions.models import OpinionMap, Participant, Statement, Vote
from dalun.portal.views import PARTICIPANT_COOKIE
from dalun.voices import services as voice_services

from .conftest import STATEMENTS
from .test_exchange import good_files

pytestmark = pytest.mark.django_db


def shown_statement(response) -> Statement:  # type: ignore[no-untyped-def]
    match = re.search(r'data-statement="(\d+)"', response.content.decode())
    assert match, "no statement on the page"
    return Statement.objects.get(pk=int(match.group(1)))


def test_the_public_list_shows_open_and_closed_maps_only(client, opinion_map, draft_map, campaign, persona):
    other = services.opinion_map_create(
        actor=persona("moderator"), campaign=campaign, question="草稿中的问题"
    )
    page = client.get("/portal/maps/").content.decode()
    assert opinion_map.question in page and other.question not in page
    assert client.get(f"/portal/maps/{other.pk}/").status_code == 404
    assert client.get(f"/portal/maps/{other.pk}/map/").status_code == 404
    assert reverse("opinion-public-list") in client.get("/portal/").content.decode()


def test_the_public_votes_one_statement_at_a_time_with_a_cookie(client, opinion_map):
    page = client.get(f"/portal/maps/{opinion_map.pk}/")
    assert page.status_code == 200 and PARTICIPANT_COOKIE in page.cookies
    first = shown_statement(page)
    response = client.post(f"/portal/maps/{opinion_map.pk}/vote/", {"statement": first.pk, "value": "1"})
    assert response.status_code == 302
    participant = Participant.objects.get(opinion_map=opinion_map)
    assert Vote.objects.get(participant=participant).statement == first
    after = client.get(f"/portal/maps/{opinion_map.pk}/")
    assert shown_statement(after) != first
    assert "2 / 14" in after.content.decode().replace("Statement 2 of 14", "2 / 14")
    # changing one's mind replaces the vote
    client.post(f"/portal/maps/{opinion_map.pk}/vote/", {"statement": first.pk, "value": "-1"})
    assert Vote.objects.get(participant=participant, statement=first).value == -1
    assert Participant.objects.filter(opinion_map=opinion_map).count() == 1


def test_with_htmx_a_vote_answers_the_next_statement_card(client, opinion_map):
    first = shown_statement(client.get(f"/portal/maps/{opinion_map.pk}/"))
    response = client.post(
        f"/portal/maps/{opinion_map.pk}/vote/", {"statement": first.pk, "value": "0"}, HTTP_HX_REQUEST="true"
    )
    body = response.content.decode()
    assert (
        response.status_code == 200 and body.lstrip().startswith('<div id="ballot"') and "<html" not in body
    )
    assert shown_statement(response) != first


@pytest.mark.parametrize(
    "data", [{"statement": "x", "value": "1"}, {"statement": "0", "value": "1"}, {"value": "7"}]
)
def test_bad_votes_are_answered_without_an_error_page(client, opinion_map, data):
    if data.get("value") == "7":
        data = {**data, "statement": Statement.objects.filter(opinion_map=opinion_map).first().pk}
    response = client.post(f"/portal/maps/{opinion_map.pk}/vote/", data, follow=True)
    assert response.status_code == 200 and "flash error" in response.content.decode()
    assert not Vote.objects.exists()


def test_votes_are_rate_limited_per_network(client, opinion_map, monkeypatch):
    monkeypatch.setattr(views, "VOTE_LIMIT", 2)
    statements = list(Statement.objects.filter(opinion_map=opinion_map)[:3])
    codes = [
        client.post(f"/portal/maps/{opinion_map.pk}/vote/", {"statement": s.pk, "value": "1"}).status_code
        for s in statements
    ]
    assert codes == [302, 302, 429]


def test_votes_are_rate_limited_per_participant_across_networks(client, opinion_map, monkeypatch):
    monkeypatch.setattr(views, "PARTICIPANT_VOTE_LIMIT", 2)
    statements = list(Statement.objects.filter(opinion_map=opinion_map)[:3])
    codes = [
        client.post(
            f"/portal/maps/{opinion_map.pk}/vote/",
            {"statement": s.pk, "value": "1"},
            REMOTE_ADDR=f"203.0.113.{i}",  # one participant cookie, a new address each time
        ).status_code
        for i, s in enumerate(statements)
    ]
    assert codes == [302, 302, 429]
    assert Vote.objects.count() == 2


def test_closed_maps_show_no_ballot_and_take_no_votes(client, opinion_map, persona):
    services.opinion_map_update(actor=persona("moderator"), opinion_map=opinion_map, status=MapStatus.CLOSED)
    page = client.get(f"/portal/maps/{opinion_map.pk}/").content.decode()
    assert 'class="vote-buttons"' not in page and "own-statement" not in page
    statement = Statement.objects.filter(opinion_map=opinion_map).first()
    client.post(f"/portal/maps/{opinion_map.pk}/vote/", {"statement": statement.pk, "value": "1"})
    assert not Vote.objects.exists()


def test_the_public_writes_a_statement_that_waits_for_moderation(client, opinion_map):
    response = client.post(f"/portal/maps/{opinion_map.pk}/statements/", {"text": "希望开通企业诉求热线"})
    assert response.status_code == 302
    statement = Statement.objects.get(opinion_map=opinion_map, status=StatementStatus.PENDING)
    assert statement.author.key == client.cookies[PARTICIPANT_COOKIE].value.split(":")[0]
    refused = client.post(f"/portal/maps/{opinion_map.pk}/statements/", {"text": STATEMENTS[0]})
    assert refused.status_code == 400 and "errorlist" in refused.content.decode()
    assert client.post(f"/portal/maps/{opinion_map.pk}/statements/", {"text": ""}).status_code == 400


def test_the_results_page_shows_groups_and_the_scatter(client, opinion_map, planted):
    assert "not been computed yet" in client.get(f"/portal/maps/{opinion_map.pk}/map/").content.decode()
    analysis.recompute(opinion_map_id=opinion_map.pk)
    page = client.get(f"/portal/maps/{opinion_map.pk}/map/").content.decode()
    assert 'id="opinion-map-chart"' in page and 'id="opinion-map-data"' in page
    assert page.count('class="card group group-') == 3
    assert "vendor/chart.js/chart.umd.js" in page and "dalun/opinion_map.js" in page


def test_public_pages_query_counts_are_bounded(client, opinion_map, planted, django_assert_max_num_queries):
    analysis.recompute(opinion_map_id=opinion_map.pk)
    client.get(f"/portal/maps/{opinion_map.pk}/")  # the cookie
    for column in range(6):
        statement = Statement.objects.get(opinion_map=opinion_map, column=column)
        client.post(f"/portal/maps/{opinion_map.pk}/vote/", {"statement": statement.pk, "value": "1"})
    with django_assert_max_num_queries(8):
        client.get(f"/portal/maps/{opinion_map.pk}/")
    with django_assert_max_num_queries(6):
        client.get(f"/portal/maps/{opinion_map.pk}/map/")
    statement = Statement.objects.get(opinion_map=opinion_map, column=7)
    with django_assert_max_num_queries(16):
        client.post(
            f"/portal/maps/{opinion_map.pk}/vote/",
            {"statement": statement.pk, "value": "1"},
            HTTP_HX_REQUEST="true",
        )
    with django_assert_max_num_queries(4):
        client.get("/portal/maps/")


@pytest.mark.parametrize(
    ("who", "expected"),
    [("moderator", 200), ("office", 200), ("xiaodian_clerk", 403), ("taiyuan_supervisor", 403), (None, 302)],
)
def test_who_may_open_the_moderators_pages(who, expected, client, client_as, opinion_map):
    browser = client_as(who) if who else client
    assert browser.get("/opinions/").status_code == expected
    assert browser.get("/opinions/new/").status_code == expected
    assert browser.get("/opinions/import/").status_code == expected
    manage = browser.get(f"/opinions/{opinion_map.pk}/").status_code
    assert manage == (404 if expected == 403 else expected)
    acted = browser.post(f"/opinions/{opinion_map.pk}/act/", {"action": MapStatus.CLOSED})
    assert acted.status_code == (404 if expected == 403 else 302)
    assert OpinionMap.objects.get(pk=opinion_map.pk).status == (
        MapStatus.CLOSED if expected == 200 else MapStatus.OPEN
    )
    assert browser.get(f"/opinions/{opinion_map.pk}/export/").status_code == (
        404 if expected == 403 else expected
    )


def test_a_moderator_creates_seeds_promotes_moderates_and_opens_a_map(client_as, campaign, persona, unit):
    browser = client_as("moderator")
    response = browser.post(
        "/opinions/new/",
        {
            "campaign": campaign.pk,
            "question": "小店区营商环境还有哪些短板？",
            "unit_code": "140105",
            "breakthrough": "",
            "statements": "审批时限仍然偏长\n\n企业诉求回应不够及时\n",
        },
    )
    opinion_map = OpinionMap.objects.get(question="小店区营商环境还有哪些短板？")
    assert response.status_code == 302 and opinion_map.unit == unit("140105")
    assert opinion_map.statements.count() == 2
    bad = browser.post("/opinions/new/", {"campaign": campaign.pk, "question": "问题", "unit_code": "nope"})
    assert bad.status_code == 400 and "errorlist" in bad.content.decode()

    act = f"/opinions/{opinion_map.pk}/act/"
    browser.post(act, {"action": "seed", "statements": "停车难问题突出"})
    suggestion = voice_services.suggestion_submit(
        campaign=campaign, title="园区招商要精准", text="建议专人跟踪。"
    )
    voice_services.suggestion_publish(actor=persona("moderator"), suggestion=suggestion)
    manage = browser.get(f"/opinions/{opinion_map.pk}/").content.decode()
    assert "园区招商要精准" in manage
    browser.post(act, {"action": "promote", "suggestion": suggestion.pk, "text": "园区招商项目应专人跟踪"})
    assert opinion_map.statements.filter(suggestion=suggestion, text="园区招商项目应专人跟踪").exists()
    browser.post(act, {"action": MapStatus.OPEN})
    opinion_map.refresh_from_db()
    assert opinion_map.status == MapStatus.OPEN
    pending = services.statement_submit(
        opinion_map=opinion_map, text="希望开通企业诉求热线", participant_key="c"
    )
    assert "希望开通企业诉求热线" in browser.get(f"/opinions/{opinion_map.pk}/").content.decode()
    browser.post(act, {"action": "accept", "statement": pending.pk})
    assert Statement.objects.get(pk=pending.pk).status == StatementStatus.ACCEPTED
    unknown = browser.post(act, {"action": "explode"}, follow=True)
    assert "flash error" in unknown.content.decode()
    recompute = browser.post(act, {"action": "recompute"}, follow=True)
    assert recompute.status_code == 200


def test_moderators_pages_query_counts_are_bounded(
    client_as, opinion_map, planted, django_assert_max_num_queries
):
    analysis.recompute(opinion_map_id=opinion_map.pk)
    for number in range(5):
        services.statement_submit(
            opinion_map=opinion_map, text=f"待审核的观点{number}", participant_key=f"c{number}"
        )
    browser = client_as("moderator")
    browser.get("/opinions/")
    with django_assert_max_num_queries(14):
        browser.get(f"/opinions/{opinion_map.pk}/")
    with django_assert_max_num_queries(10):
        browser.get("/opinions/")


def test_export_download_is_a_zip_of_the_polis_files(client_as, opinion_map, planted):
    response = client_as("moderator").get(f"/opinions/{opinion_map.pk}/export/")
    assert response["Content-Type"] == "application/zip"
    assert "filename*=UTF-8''" in response["Content-Disposition"]
    names = zipfile.ZipFile(io.BytesIO(response.content)).namelist()
    assert sorted(name.split("/")[-1] for name in names) == [
        "comments.csv",
        "participants-votes.csv",
        "summary.csv",
        "votes.csv",
    ]


def test_import_page_takes_the_files_or_lists_every_error(client_as, campaign):
    browser = client_as("moderator")
    files = good_files()
    refused = browser.post(
        "/opinions/import/",
        {
            "campaign": campaign.pk,
            "upload": [
                SimpleUploadedFile("comments.csv", files["comments.csv"]),
                SimpleUploadedFile("votes.csv", files["votes.csv"].replace(b",1,-1", b",1,5")),
            ],
        },
    )
    assert refused.status_code == 400
    page = refused.content.decode()
    assert 'id="import-errors"' in page and "votes.csv" in page and "<td>3</td>" in page
    assert not OpinionMap.objects.exists()
    accepted = browser.post(
        "/opinions/import/",
        {
            "campaign": campaign.pk,
            "question": "导入的讨论",
            "upload": [SimpleUploadedFile(name, content) for name, content in files.items()],
        },
    )
    imported = OpinionMap.objects.get(question="导入的讨论")
    assert accepted.status_code == 302 and accepted["Location"] == f"/opinions/{imported.pk}/"
    assert imported.statements.count() == 2 and Vote.objects.filter(opinion_map=imported).count() == 3

"""History pages: staff of the object's unit (or above) and auditors read who changed what and when;
staff elsewhere are told it does not exist and the public is sent to sign in."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from dalun.audit.services import audit_record
from dalun.ledger import services as ledger_services
from dalun.org.services import unit_update
from dalun.voices import services as voice_services


def history(obj) -> str:
    return reverse("object-history", args=[obj._meta.label_lower, obj.pk])


@pytest.fixture
def measure(ledger, make_problem, make_measure, persona):
    """A measure whose owner the clerk changed once, so its history holds a change."""
    created = make_measure(make_problem(ledger))
    return ledger_services.measure_update(
        actor=persona("xiaodian_clerk"), measure=created, expected_version=created.version, owner="王强"
    )


@pytest.mark.parametrize("username", ["xiaodian_clerk", "xiaodian_head", "taiyuan_supervisor", "office"])
def test_entitled_staff_read_who_changed_what(client_as, measure, username):
    page = client_as(username).get(history(measure), HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    text = page.content.decode()
    assert "measure.update" in text and "measure.create" in text
    assert "responsible person" in text  # the field's label, not its column name
    assert "<del>刘芳</del> → <ins>王强</ins>" in text
    assert "刘芳 (小店区)" in text  # who
    assert text.index("measure.update") < text.index("measure.create")  # newest first


@pytest.mark.parametrize("username", ["yingze_clerk", "changzhi_head"])
def test_staff_of_other_units_are_told_it_does_not_exist(client_as, measure, username):
    assert client_as(username).get(history(measure)).status_code == 404


def test_the_public_never_sees_a_history(client, measure):
    page = client.get(history(measure))
    assert page.status_code == 302 and page["Location"].startswith(reverse("login"))
    assert "王强" not in page.content.decode()


@pytest.mark.parametrize(
    "path",
    [
        "/history/nowhere.thing/1/",
        "/history/org.person/1/",  # people have no history page
        "/history/apikeys.apitoken/1/",
        "/history/ledger.measure/not-a-number/",
        "/history/ledger.measure/999999999/",
        "/history/org/1/",
    ],
)
def test_bad_or_unsupported_objects_are_not_found(client_as, measure, path):
    assert client_as("office").get(path).status_code == 404


def test_measure_page_links_to_its_history_for_staff_only(client_as, client, measure):
    link = f'href="{history(measure)}"'
    assert link in client_as("xiaodian_clerk").get(measure.get_absolute_url()).content.decode()
    assert link not in client_as("yingze_clerk").get(measure.get_absolute_url()).content.decode()
    assert link not in client.get(measure.get_absolute_url()).content.decode()


def test_ledger_page_links_each_problem_to_its_history_for_staff_only(client_as, client, measure):
    problem = measure.problem
    url = reverse("ledger-detail", args=[problem.unit_id, measure.campaign.key])
    assert f'href="{history(problem)}"' in client_as("xiaodian_clerk").get(url).content.decode()
    assert f'href="{history(problem)}"' not in client.get(url).content.decode()
    page = client_as("office").get(history(problem), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "problem.create" in page and "审批事项办理时限长" in page


def test_suggestion_history_for_moderators_and_the_routed_unit(client_as, submit, persona, unit):
    suggestion = submit()
    voice_services.suggestion_intake(suggestion_id=suggestion.pk)  # the task that audits the submission
    moderator = persona("moderator")
    voice_services.suggestion_publish(actor=moderator, suggestion=suggestion)
    voice_services.suggestion_route(actor=moderator, suggestion=suggestion, unit=unit("140105"))
    staff_page = (
        client_as("moderator").get(reverse("voices-suggestion", args=[suggestion.pk])).content.decode()
    )
    assert f'href="{history(suggestion)}"' in staff_page
    for username in ("moderator", "xiaodian_clerk"):
        page = client_as(username).get(history(suggestion))
        assert page.status_code == 200
        text = page.content.decode()
        assert "suggestion.submit" in text and "suggestion.route" in text and "孙丽 (省办公室)" in text
    assert client_as("yingze_clerk").get(history(suggestion)).status_code == 404


def test_unit_page_shows_recent_changes_and_links_the_full_history(client_as, client, unit, persona):
    xiaodian = unit("140105")
    unit_update(
        actor=persona("xiaodian_clerk"), unit=xiaodian, expected_version=xiaodian.version, name_en="Xiaodian"
    )
    page = client_as("xiaodian_head").get(xiaodian.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="en").content
    assert f'href="{history(xiaodian)}"'.encode() in page and b"unit.update" in page
    full = client_as("xiaodian_head").get(history(xiaodian), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "name (English)" in full and "<ins>Xiaodian</ins>" in full
    assert client_as("yingze_clerk").get(history(xiaodian)).status_code == 404
    assert history(xiaodian).encode() not in client.get(xiaodian.get_absolute_url()).content


def test_history_pages_and_their_query_count_stay_bounded(client_as, measure, django_assert_max_num_queries):
    for number in range(120):
        audit_record(actor=None, action="measure.note", obj=measure, changes={"n": [number, number + 1]})
    office: Client = client_as("office")
    with django_assert_max_num_queries(10):
        first = office.get(history(measure))
    assert first.status_code == 200 and first.content.decode().count('<tr id="entry-') == 50
    last = office.get(history(measure), {"page": 3}).content.decode()
    assert last.count('<tr id="entry-') == 122 - 100 and "measure.create" in last

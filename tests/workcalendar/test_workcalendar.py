"""The national calendar in the app: who may enter days, pasting a schedule, the page, the cache.

The 2027 days used here are an illustrative schedule for the tests, not the official one.
"""

from datetime import date

import pytest
from django.core.exceptions import PermissionDenied
from django.template.loader import render_to_string

from dalun.audit.models import AuditEntry
from dalun.engines.workdays import Deadline
from dalun.org.choices import Role
from dalun.org.policy import SYSTEM
from dalun.org.services import person_create, role_assign
from dalun.workcalendar import selectors
from dalun.workcalendar.models import OfficialDay
from dalun.workcalendar.selectors import deadline_after, may_edit_calendar, work_calendar
from dalun.workcalendar.services import (
    ScheduleImportError,
    WorkCalendarError,
    official_day_remove,
    official_day_set,
    official_days_import,
)

pytestmark = pytest.mark.django_db

SCHEDULE_2027 = """\
# 2027 (test data)
2027-01-01 holiday 元旦
2027-02-06 holiday 春节
2027-02-07 holiday 春节
2027-02-08 holiday 春节
2027-02-09 holiday 春节
2027-02-10 holiday 春节
2027-02-11 holiday 春节
2027-02-12 holiday 春节
2027-02-13 holiday 春节
2027-02-14 workday 春节调休
"""


@pytest.fixture(autouse=True)
def _private_cache(settings, request):
    """Each test gets its own in-memory cache: the rolled-back database must not meet a cached calendar."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": f"workcalendar-{request.node.nodeid}",
        }
    }


@pytest.fixture
def city_office(unit):
    """An office holding its role at Taiyuan: it runs campaigns there but not the national calendar."""
    person = person_create(actor=SYSTEM, username="taiyuan_office", display_name="太原办", password="x" * 12)
    role_assign(actor=SYSTEM, person=person, role=Role.OFFICE, unit=unit("1401"))
    return person


def test_the_office_at_the_province_enters_a_day_and_it_is_audited(persona):
    office = persona("office")
    day = official_day_set(actor=office, date=date(2027, 2, 6), kind="holiday", name=" 春节 ")
    assert (day.kind, day.name, day.entered_by) == ("holiday", "春节", office)
    entry = AuditEntry.objects.get(action="official_day.set")
    assert entry.actor == office and entry.changes["name"] == [None, "春节"]
    official_day_set(actor=office, date=date(2027, 2, 6), kind="workday", name="春节调休")
    assert OfficialDay.objects.get().kind == "workday"
    assert AuditEntry.objects.filter(action="official_day.set").count() == 2


@pytest.mark.parametrize("username", ["xiaodian_clerk", "changzhi_head", "taiyuan_supervisor"])
def test_other_roles_may_not_edit_the_calendar(persona, username):
    actor = persona(username)
    assert not may_edit_calendar(actor)
    with pytest.raises(PermissionDenied):
        official_day_set(actor=actor, date=date(2027, 2, 6), kind="holiday", name="春节")
    with pytest.raises(PermissionDenied):
        official_days_import(actor=actor, year=2027, text=SCHEDULE_2027)
    assert not OfficialDay.objects.exists()


def test_an_office_below_the_root_may_not_edit_the_national_calendar(city_office):
    assert not may_edit_calendar(city_office)
    with pytest.raises(PermissionDenied):
        official_day_set(actor=city_office, date=date(2027, 2, 6), kind="holiday", name="春节")


def test_the_system_may_edit_the_calendar():
    assert may_edit_calendar(SYSTEM)
    official_day_set(actor=SYSTEM, date=date(2027, 2, 6), kind="holiday", name="春节")
    assert AuditEntry.objects.get(action="official_day.set").actor_label == "system"


def test_bad_fields_are_refused_with_a_message(persona):
    office = persona("office")
    with pytest.raises(WorkCalendarError):
        official_day_set(actor=office, date=date(2027, 2, 6), kind="weekend", name="春节")
    with pytest.raises(WorkCalendarError):
        official_day_set(actor=office, date=date(2027, 2, 6), kind="holiday", name="  ")
    with pytest.raises(WorkCalendarError):
        official_day_remove(actor=office, date=date(2027, 2, 6))


def test_removing_an_entered_day_gives_the_package_its_say_again(persona):
    office = persona("office")
    official_day_set(actor=office, date=date(2026, 10, 10), kind="holiday", name="更正")
    assert deadline_after(date(2026, 10, 9), 1).due == date(2026, 10, 12)
    official_day_remove(actor=office, date=date(2026, 10, 10))
    assert not OfficialDay.objects.exists()
    assert deadline_after(date(2026, 10, 9), 1).due == date(2026, 10, 10)  # the make-up Saturday
    assert AuditEntry.objects.get(action="official_day.remove").changes["kind"] == ["holiday", None]


def test_a_pasted_schedule_with_errors_changes_nothing_and_names_each_line(persona):
    office = persona("office")
    text = (
        "2027-01-01 holiday 元旦\n"
        "2027-02-30 holiday 春节\n"  # no such date
        "\n"
        "2027-02-07 weekend 春节\n"  # unknown kind
        "2028-02-08 holiday 春节\n"  # another year
        "2027-02-09 holiday\n"  # no name
        "2027-01-01 holiday 元旦\n"  # twice
    )
    with pytest.raises(ScheduleImportError) as raised:
        official_days_import(actor=office, year=2027, text=text)
    assert [error.line for error in raised.value.errors] == [2, 4, 5, 6, 7]
    assert "line 1" in raised.value.errors[-1].message
    assert (
        not OfficialDay.objects.exists()
        and not AuditEntry.objects.filter(action__startswith="official").exists()
    )
    with pytest.raises(ScheduleImportError):
        official_days_import(actor=office, year=2027, text="# nothing\n\n")


def test_a_pasted_schedule_replaces_the_year_and_reads_full_width_and_chinese_kinds(persona):
    office = persona("office")
    result = official_days_import(actor=office, year=2027, text=SCHEDULE_2027)
    assert (result.created, result.updated, result.removed) == (10, 0, 0)
    official_day_set(actor=office, date=date(2026, 12, 31), kind="holiday", name="another year stays")
    corrected = "２０２７-０２-０６　休　春节\n2027-02-14 班 春节调休\n2027-02-15\tworkday\t春节调休\n"
    result = official_days_import(actor=office, year=2027, text=corrected)
    assert (result.created, result.updated, result.removed, result.unchanged) == (1, 0, 8, 2)
    assert list(OfficialDay.objects.values_list("date", "kind")) == [
        (date(2026, 12, 31), "holiday"),
        (date(2027, 2, 6), "holiday"),
        (date(2027, 2, 14), "workday"),
        (date(2027, 2, 15), "workday"),
    ]
    assert AuditEntry.objects.filter(action="official_day.import").count() == 10 + 1 + 8


def test_entering_2027_makes_its_deadlines_exact(persona):
    estimated = deadline_after(date(2027, 2, 4), 3)
    assert estimated == Deadline(due=date(2027, 2, 9), estimated=True, uncovered_years=(2027,))
    official_days_import(actor=persona("office"), year=2027, text=SCHEDULE_2027)
    # Fri 05, then 06–13 off, Sunday 14 worked, Monday 15.
    assert deadline_after(date(2027, 2, 4), 3) == Deadline(date(2027, 2, 15), False, ())
    assert deadline_after(date(2026, 12, 30), 2) == Deadline(date(2027, 1, 4), False, ())


def test_the_calendar_is_cached_and_invalidated_by_every_write(
    persona, django_assert_num_queries, django_capture_on_commit_callbacks
):
    office = persona("office")
    with django_assert_num_queries(1):
        first = work_calendar()
    with django_assert_num_queries(0):
        assert work_calendar() == first
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        official_day_set(actor=office, date=date(2027, 2, 6), kind="holiday", name="春节")
    assert len(callbacks) == 1  # the version is bumped again once the write commits
    with django_assert_num_queries(1):
        assert date(2027, 2, 6) in work_calendar().holidays
    official_day_remove(actor=office, date=date(2027, 2, 6))
    assert date(2027, 2, 6) not in work_calendar().holidays
    official_days_import(actor=office, year=2027, text=SCHEDULE_2027)
    assert work_calendar().covers(2027)


class BrokenCache:
    def __getattr__(self, name):
        def broken(*args, **kwargs):
            raise ConnectionError("redis is down")

        return broken


def test_a_broken_cache_costs_a_query_not_a_deadline(monkeypatch):
    monkeypatch.setattr(selectors, "cache", BrokenCache())
    assert deadline_after(date(2026, 9, 28), 15).due == date(2026, 10, 23)


def test_the_page_warns_that_2027_is_estimated_and_not_2026(client):
    page_2027 = client.get("/calendar/?year=2027", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'id="uncovered-warning"' in page_2027
    assert (
        "Deadlines in 2027 are estimated Monday–Friday until its official schedule is entered." in page_2027
    )
    page_2026 = client.get("/calendar/?year=2026", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'id="uncovered-warning"' not in page_2026
    assert "2026-10-07" in page_2026 and "国庆节" in page_2026 and "2026-10-10" in page_2026
    assert "2004–2026" in page_2026


def test_bad_year_parameters_show_this_year_instead_of_failing(client):
    for query in ("?year=abc", "?year=99999", "?year=-1", "?start=2026-13-01&days=x"):
        assert client.get(f"/calendar/{query}").status_code == 200


def test_the_page_counts_a_deadline_and_shows_the_estimated_badge(client, persona):
    url = "/calendar/?year=2027&start=2027-02-04&days=3"
    page = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "2027-02-09" in page and "deadline-estimated-badge" in page
    official_days_import(actor=persona("office"), year=2027, text=SCHEDULE_2027)
    page = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "2027-02-15" in page and "deadline-estimated-badge" not in page
    assert 'id="uncovered-warning"' not in page and "covered by the office" in page


def test_the_deadline_snippet_marks_only_estimated_deadlines():
    exact = render_to_string("workcalendar/_deadline.html", {"deadline": Deadline(date(2026, 10, 23))})
    assert 'datetime="2026-10-23"' in exact and "estimated" not in exact
    estimated = render_to_string(
        "workcalendar/_deadline.html", {"deadline": Deadline(date(2027, 1, 7), True, (2027,))}
    )
    assert "deadline-estimated-badge" in estimated and "2027" in estimated


def test_the_office_enters_removes_and_pastes_through_the_page(client_as):
    office = client_as("office")
    page = office.get("/calendar/?year=2027").content.decode()
    assert 'id="day-form"' in page and 'id="import-form"' in page
    response = office.post("/calendar/days/", {"date": "2027-10-01", "kind": "holiday", "name": "国庆节"})
    assert response.status_code == 302 and response["Location"] == "/calendar/?year=2027"
    assert OfficialDay.objects.filter(date=date(2027, 10, 1)).exists()
    response = office.post("/calendar/days/", {"date": "2027-13-01", "kind": "rest", "name": ""})
    assert response.status_code == 200 and response.content.decode().count('class="errorlist"') >= 2
    response = office.post("/calendar/days/remove/", {"date": "2027-10-01", "year": "2027"})
    assert response.status_code == 302 and not OfficialDay.objects.exists()
    response = office.post(
        "/calendar/import/",
        {"year": "2027", "text": "2027-01-01 holiday 元旦\n2027-01-02 rest 元旦\n"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    body = response.content.decode()
    assert response.status_code == 200 and 'id="import-errors"' in body and "<td>2</td>" in body
    assert not OfficialDay.objects.exists()
    response = office.post("/calendar/import/", {"year": "2027", "text": SCHEDULE_2027})
    assert response.status_code == 302 and OfficialDay.objects.count() == 10


def test_other_people_see_the_calendar_but_get_no_forms_and_may_not_post(client_as, client):
    clerk = client_as("xiaodian_clerk")
    page = clerk.get("/calendar/?year=2027").content.decode()
    assert 'id="day-form"' not in page and 'id="import-form"' not in page
    data = {"date": "2027-10-01", "kind": "holiday", "name": "国庆节"}
    assert clerk.post("/calendar/days/", data).status_code == 403
    assert (
        client_as("changzhi_head").post("/calendar/import/", {"year": 2027, "text": "x"}).status_code == 403
    )
    assert client.post("/calendar/days/", data).status_code == 302  # to the sign-in page
    assert not OfficialDay.objects.exists()


def test_the_page_query_count_is_bounded(client_as, persona, django_assert_max_num_queries):
    official_days_import(actor=persona("office"), year=2027, text=SCHEDULE_2027)
    office = client_as("office")
    with django_assert_max_num_queries(8):
        response = office.get("/calendar/?year=2027&start=2027-02-04&days=15")
    assert response.status_code == 200 and response.content.decode().count("春节") >= 9

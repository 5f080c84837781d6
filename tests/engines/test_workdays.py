"""Working days under the official calendar, checked on the real 2026 schedule (no database).

The 2026 facts asserted here are those of the State Council's notice as shipped in chinesecalendar:
New Year 01-01..03 with Sunday 01-04 worked; Spring Festival 02-15..23 with Saturdays 02-14 and 02-28
worked; Labour Day 05-01..05 with Saturday 05-09 worked; Mid-Autumn 09-25..27 and National Day
10-01..07, with Sunday 09-20 and Saturday 10-10 worked.
"""

from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dalun.engines.workdays import (
    Deadline,
    WorkCalendar,
    add_working_days,
    is_overdue,
    is_working_day,
    official_calendar,
    package_days,
    package_years,
    uncovered_years_between,
    working_days_between,
)

CALENDAR = official_calendar()


def test_the_package_covers_2026_and_not_2027():
    assert 2026 in package_years() and 2027 not in package_years()
    assert CALENDAR.covers(2026) and not CALENDAR.covers(2027)


def test_the_real_2026_national_day_and_mid_autumn_schedule():
    golden_week = [date(2026, 10, day) for day in range(1, 8)]
    assert not any(is_working_day(day, CALENDAR) for day in golden_week)
    assert not any(is_working_day(date(2026, 9, day), CALENDAR) for day in (25, 26, 27))  # Fri–Sun
    assert is_working_day(date(2026, 9, 20), CALENDAR)  # a Sunday worked
    assert is_working_day(date(2026, 10, 10), CALENDAR)  # a Saturday worked
    assert not is_working_day(date(2026, 10, 11), CALENDAR)  # the Sunday after stays off


def test_fifteen_working_days_after_2026_09_28_skip_golden_week_and_count_the_make_up_saturday():
    # Tue 29, Wed 30, [01–07 off], Thu 08, Fri 09, Sat 10 (worked), 12–16, 19–23.
    deadline = add_working_days(date(2026, 9, 28), 15, CALENDAR)
    assert deadline == Deadline(due=date(2026, 10, 23), estimated=False, uncovered_years=())
    # Without the make-up Saturday it would be Monday 10-26.
    assert add_working_days(date(2026, 10, 9), 1, CALENDAR).due == date(2026, 10, 10)


def test_the_make_up_sunday_before_mid_autumn_counts():
    # Fri 09-18 -> Sun 20 (worked), Mon 21 ... Thu 24; Fri 25 is already the Mid-Autumn holiday.
    assert add_working_days(date(2026, 9, 18), 5, CALENDAR).due == date(2026, 9, 24)
    assert add_working_days(date(2026, 9, 18), 6, CALENDAR).due == date(2026, 9, 28)


def test_spring_festival_2026_with_its_two_make_up_saturdays():
    assert not any(is_working_day(date(2026, 2, day), CALENDAR) for day in range(15, 24))
    assert is_working_day(date(2026, 2, 14), CALENDAR) and is_working_day(date(2026, 2, 28), CALENDAR)
    assert add_working_days(date(2026, 2, 13), 1, CALENDAR).due == date(2026, 2, 14)
    assert add_working_days(date(2026, 2, 13), 2, CALENDAR).due == date(2026, 2, 24)
    # Tue 24 .. Fri 27 are four days, then Saturday 28 is the fifth.
    assert add_working_days(date(2026, 2, 23), 5, CALENDAR).due == date(2026, 2, 28)
    names = {day.day: day.name for day in package_days(2026)}
    assert names[date(2026, 2, 17)] == "春节" and names[date(2026, 10, 1)] == "国庆节"


def test_new_year_2026_and_its_make_up_sunday():
    assert not is_working_day(date(2026, 1, 2), CALENDAR)  # a Friday off
    assert is_working_day(date(2026, 1, 4), CALENDAR)  # a Sunday worked
    assert add_working_days(date(2025, 12, 31), 1, CALENDAR).due == date(2026, 1, 4)


def test_plain_weekends_are_skipped():
    assert add_working_days(date(2026, 3, 6), 1, CALENDAR).due == date(2026, 3, 9)  # Fri -> Mon
    assert add_working_days(date(2026, 3, 7), 1, CALENDAR).due == date(2026, 3, 9)  # Sat -> Mon
    assert add_working_days(date(2026, 3, 2), 10, CALENDAR).due == date(2026, 3, 16)


def test_zero_days_is_the_start_itself_and_negative_days_are_refused():
    assert add_working_days(date(2026, 10, 3), 0, CALENDAR) == Deadline(date(2026, 10, 3), False, ())
    with pytest.raises(ValueError):
        add_working_days(date(2026, 10, 3), -1, CALENDAR)


def test_counting_into_an_uncovered_year_is_estimated_monday_to_friday():
    deadline = add_working_days(date(2026, 12, 24), 10, CALENDAR)
    # Fri 25, Mon 28 .. Thu 31 (5), then 2027 Mon–Fri only: Fri 01, Mon 04 .. Thu 07.
    assert deadline == Deadline(due=date(2027, 1, 7), estimated=True, uncovered_years=(2027,))
    assert not add_working_days(date(2026, 12, 24), 5, CALENDAR).estimated
    assert uncovered_years_between(date(2026, 6, 1), date(2028, 1, 1), CALENDAR) == (2027, 2028)


def test_a_date_far_beyond_the_package_never_raises():
    deadline = add_working_days(date(2031, 5, 1), 3, CALENDAR)
    assert deadline.estimated and deadline.uncovered_years == (2031,)
    assert is_working_day(date(2031, 5, 1), CALENDAR)  # a Thursday, assumed worked


def test_entered_days_cover_their_year_and_make_it_exact():
    calendar = official_calendar(overrides_holidays=[date(2027, 1, 1)], overrides_workdays=[date(2027, 1, 3)])
    assert calendar.covers(2027)
    deadline = add_working_days(date(2026, 12, 31), 1, calendar)
    assert deadline == Deadline(due=date(2027, 1, 3), estimated=False, uncovered_years=())
    assert official_calendar(override_years=[2028]).covers(2028)


def test_entered_days_take_precedence_over_the_package_in_a_covered_year():
    calendar = official_calendar(
        overrides_holidays=[date(2026, 10, 10)],  # the package says this Saturday is worked
        overrides_workdays=[date(2026, 10, 7)],  # the package says this Wednesday is off
    )
    assert not is_working_day(date(2026, 10, 10), calendar)
    assert is_working_day(date(2026, 10, 7), calendar)
    assert add_working_days(date(2026, 9, 30), 1, calendar).due == date(2026, 10, 7)
    assert is_working_day(date(2026, 10, 10), CALENDAR)  # the package's own calendar is unchanged


def test_a_date_cannot_be_both_holiday_and_workday():
    with pytest.raises(ValueError):
        official_calendar(overrides_holidays=[date(2027, 1, 1)], overrides_workdays=[date(2027, 1, 1)])


def test_working_days_between_counts_after_start_up_to_end_and_is_signed():
    assert working_days_between(date(2026, 9, 28), date(2026, 10, 23), CALENDAR) == 15
    assert working_days_between(date(2026, 10, 23), date(2026, 9, 28), CALENDAR) == -15
    assert working_days_between(date(2026, 10, 1), date(2026, 10, 1), CALENDAR) == 0
    assert working_days_between(date(2026, 10, 1), date(2026, 10, 7), CALENDAR) == 0


def test_overdue_starts_the_day_after_the_deadline():
    due = date(2026, 10, 23)
    assert not is_overdue(due, today=date(2026, 10, 22))
    assert not is_overdue(due, today=due)
    assert is_overdue(due, today=date(2026, 10, 24))


def test_an_empty_calendar_is_monday_to_friday_everywhere():
    bare = WorkCalendar()
    assert add_working_days(date(2026, 10, 1), 1, bare) == Deadline(date(2026, 10, 2), True, (2026,))


OVERRIDES = official_calendar(
    overrides_holidays=[date(2027, 2, day) for day in range(6, 15)],
    overrides_workdays=[date(2027, 2, 20)],
)


@settings(max_examples=300, deadline=None)
@given(
    start=st.dates(min_value=date(2004, 1, 1), max_value=date(2029, 12, 31)),
    days=st.integers(min_value=0, max_value=400),
    calendar=st.sampled_from([CALENDAR, OVERRIDES, WorkCalendar()]),
)
def test_the_due_date_is_a_working_day_after_start_and_inverts_working_days_between(start, days, calendar):
    deadline = add_working_days(start, days, calendar)
    assert working_days_between(start, deadline.due, calendar) == days
    if days:
        assert deadline.due > start and is_working_day(deadline.due, calendar)
        # the day before the due date leaves one day still to go
        assert working_days_between(start, deadline.due - timedelta(days=1), calendar) == days - 1
    else:
        assert deadline.due == start
    spanned = {start.year + offset for offset in range(deadline.due.year - start.year + 1)}
    assert deadline.estimated == bool(set(deadline.uncovered_years))
    assert set(deadline.uncovered_years) <= spanned - calendar.covered_years

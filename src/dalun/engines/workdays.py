"""Working days under the official Chinese holiday calendar.

Deadlines in Dalun ("answer within 15 working days") are counted the way offices count them: weekends and
public holidays are skipped, and the make-up workdays (调休, usually a Saturday or Sunday next to a long
holiday) count. The State Council publishes each year's schedule late in the year before, so no rule can
compute it: the data comes from the maintained ``chinesecalendar`` package, which covers only the years
published when it was released, and from days the leading-group office enters for later years (which
take precedence over the package, so a correction never waits for a package release).

For a year with no official data the count assumes Monday to Friday and says so (``Deadline.estimated``),
instead of failing: a deadline must always be computable, and a visibly estimated one is better than none.

Pure Python on plain dates, so it can be tested without a database and reused by tasks and the API.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field

import chinese_calendar
from chinese_calendar import constants as _package

HOLIDAY = "holiday"
WORKDAY = "workday"

_ONE_DAY = datetime.timedelta(days=1)


@dataclass(frozen=True)
class WorkCalendar:
    """Which dates are off and which weekend dates are worked, and for which years that is known.

    ``holidays`` and ``workdays`` are the exceptions to "Monday to Friday"; ``covered_years`` are the years
    whose official schedule is known (a year is covered by the package or by any day entered for it), so
    a count through any other year is an estimate.
    """

    holidays: frozenset[datetime.date] = frozenset()
    workdays: frozenset[datetime.date] = frozenset()
    covered_years: frozenset[int] = frozenset()

    def covers(self, year: int) -> bool:
        return year in self.covered_years


@dataclass(frozen=True)
class Deadline:
    """A due date and whether it rests on an assumption (Monday to Friday in a year with no schedule)."""

    due: datetime.date
    estimated: bool = False
    uncovered_years: tuple[int, ...] = field(default=())


@dataclass(frozen=True)
class OfficialDay:
    """One exceptional day of the package's data, for listing a year's schedule."""

    day: datetime.date
    kind: str  # HOLIDAY or WORKDAY
    name: str  # Chinese name of the festival (春节); the English one where the package has no Chinese


def package_version() -> str:
    """The installed package's version: cached calendars are keyed by it, so an upgrade shows at once."""
    return str(getattr(chinese_calendar, "__version__", "unknown"))


def package_years() -> range:
    """The years the package has data for, read from its tables the way the package itself bounds them.

    Read from the data rather than by calling ``is_workday``, which raises NotImplementedError outside
    the range.
    """
    if not _package.holidays:
        return range(0)
    return range(min(_package.holidays).year, max(_package.holidays).year + 1)


def _chinese_name(english: str) -> str:
    try:
        return str(_package.Holiday(english).chinese)
    except ValueError:
        return english


def package_days(year: int) -> list[OfficialDay]:
    """The package's holidays and make-up workdays of ``year`` (empty for a year it does not cover)."""
    days = [
        OfficialDay(day, HOLIDAY, _chinese_name(name))
        for day, name in _package.holidays.items()
        if day.year == year
    ]
    days += [
        OfficialDay(day, WORKDAY, _chinese_name(name))
        for day, name in _package.workdays.items()
        if day.year == year
    ]
    return sorted(days, key=lambda item: item.day)


def official_calendar(
    overrides_holidays: Iterable[datetime.date] = (),
    overrides_workdays: Iterable[datetime.date] = (),
    override_years: Iterable[int] = (),
) -> WorkCalendar:
    """The package's calendar with the office's entries laid over it, date by date.

    An entered day wins over the package's verdict on the same date, whatever the year, so the office can
    correct the package as well as extend it. Every year with an entered day counts as covered (as do
    ``override_years``), since the office enters a year's schedule as a whole.
    """
    extra_holidays = frozenset(overrides_holidays)
    extra_workdays = frozenset(overrides_workdays)
    both = extra_holidays & extra_workdays
    if both:
        raise ValueError(f"dates entered both as holiday and as workday: {sorted(both)}")
    holidays = (frozenset(_package.holidays) - extra_workdays) | extra_holidays
    workdays = (frozenset(_package.workdays) - extra_holidays) | extra_workdays
    years = (
        frozenset(package_years())
        | frozenset(override_years)
        | {day.year for day in extra_holidays | extra_workdays}
    )
    return WorkCalendar(holidays=holidays, workdays=workdays, covered_years=years)


def is_working_day(day: datetime.date, calendar: WorkCalendar) -> bool:
    """Is ``day`` worked? Explicit days first, then Monday to Friday (also the guess for uncovered years)."""
    if day in calendar.workdays:
        return True
    if day in calendar.holidays:
        return False
    return day.weekday() < 5


def add_working_days(start: datetime.date, days: int, calendar: WorkCalendar) -> Deadline:
    """The date ``days`` working days after ``start``: counting begins the day after ``start``.

    "Within 15 working days" of a suggestion received on Monday 2026-09-28 means by the 15th working day
    from the Tuesday, so the due date is always a working day (or ``start`` itself for zero days). The
    result is ``estimated`` when any day walked over lies in a year the calendar does not cover.
    """
    if days < 0:
        raise ValueError("days must not be negative")
    day = start
    remaining = days
    uncovered: set[int] = set()
    while remaining:
        day += _ONE_DAY
        if not calendar.covers(day.year):
            uncovered.add(day.year)
        if is_working_day(day, calendar):
            remaining -= 1
    return Deadline(due=day, estimated=bool(uncovered), uncovered_years=tuple(sorted(uncovered)))


def working_days_between(start: datetime.date, end: datetime.date, calendar: WorkCalendar) -> int:
    """Working days after ``start`` up to and including ``end``; negative when ``end`` is before ``start``.

    The inverse of :func:`add_working_days` (``working_days_between(s, add_working_days(s, n).due) == n``),
    so "3 working days overdue" is ``working_days_between(due, today)``.
    """
    if end < start:
        return -working_days_between(end, start, calendar)
    count = 0
    day = start
    while day < end:
        day += _ONE_DAY
        if is_working_day(day, calendar):
            count += 1
    return count


def uncovered_years_between(
    start: datetime.date, end: datetime.date, calendar: WorkCalendar
) -> tuple[int, ...]:
    """The years between two dates (inclusive) whose schedule is unknown, to say why a count is estimated."""
    low, high = sorted((start.year, end.year))
    return tuple(year for year in range(low, high + 1) if not calendar.covers(year))


def is_overdue(due: datetime.date, today: datetime.date) -> bool:
    """Overdue from the day after the due date: work handed in on the due date itself is on time."""
    return due < today

"""Reads of the working-day calendar: the merged calendar (cached), deadlines, and a year's overview."""

from __future__ import annotations

import datetime
import logging
import uuid
from dataclasses import dataclass
from typing import Any

from django.core.cache import cache

from dalun.engines import workdays
from dalun.engines.workdays import Deadline, WorkCalendar
from dalun.org import policy
from dalun.org.models import Unit
from dalun.workcalendar.models import OfficialDay

log = logging.getLogger(__name__)

# Bumped by every write (services._calendar_changed); the cached calendar is keyed by it, so a write
# anywhere is seen by every process at once, and a stale entry simply expires.
VERSION_KEY = "workcalendar:version"
CALENDAR_TIMEOUT = 24 * 60 * 60


def may_edit_calendar(actor: Any) -> bool:
    """The national calendar is edited only by an office holding its role at a root unit (or the system).

    An office lower in the tree manages campaigns in its subtree but may not change deadlines for the
    whole province, so the check is made against every root, where only a root-level role reaches.
    """
    if policy.is_system(actor):
        return True
    if not policy.allows_anywhere(actor, "campaign.manage"):
        return False  # spares the query of the roots for everybody else
    return any(
        policy.allows(actor, "campaign.manage", root) for root in Unit.objects.filter(parent__isnull=True)
    )


def _calendar_from_database() -> WorkCalendar:
    rows = list(OfficialDay.objects.values_list("date", "kind"))
    return workdays.official_calendar(
        overrides_holidays=[day for day, kind in rows if kind == OfficialDay.Kind.HOLIDAY],
        overrides_workdays=[day for day, kind in rows if kind == OfficialDay.Kind.WORKDAY],
    )


def _version() -> str | None:
    version = cache.get(VERSION_KEY)
    if version is None:
        # A missing version (first use, or evicted) starts a new one, so an old entry is never reused.
        cache.add(VERSION_KEY, uuid.uuid4().hex, timeout=None)
        version = cache.get(VERSION_KEY)
    return version


def work_calendar() -> WorkCalendar:
    """The package's calendar with the office's days over it, from the cache when it is there.

    Keyed by the package version too, so upgrading ``chinesecalendar`` takes effect without a flush.
    A cache that fails only costs a query: a deadline must never fail because Redis is down.
    """
    try:
        version = _version()
        if version is None:  # a cache that keeps nothing (the dummy backend)
            return _calendar_from_database()
        key = f"workcalendar:calendar:{workdays.package_version()}:{version}"
        calendar = cache.get(key)
        if calendar is None:
            calendar = _calendar_from_database()
            cache.set(key, calendar, CALENDAR_TIMEOUT)
        return calendar
    except Exception:  # any failure of the cache falls back to the database
        log.warning("work calendar cache unavailable; reading the database", exc_info=True)
        return _calendar_from_database()


def deadline_after(start: datetime.date, working_days: int) -> Deadline:
    """The due date ``working_days`` working days after ``start`` (estimated where no schedule exists).

    For many deadlines at once, take :func:`work_calendar` once and call the engine with it.
    """
    return workdays.add_working_days(start, working_days, work_calendar())


@dataclass(frozen=True)
class YearDay:
    """One exceptional day of a year as the page lists it: where it comes from and what it replaces."""

    day: datetime.date
    kind: str
    name: str
    entered: OfficialDay | None = None  # the office's row, when the day was entered in the app
    replaces: workdays.OfficialDay | None = None  # the package's verdict an entered day overrides

    @property
    def is_holiday(self) -> bool:
        return self.kind == OfficialDay.Kind.HOLIDAY

    @property
    def kind_label(self) -> str:
        return str(OfficialDay.Kind(self.kind).label)


@dataclass(frozen=True)
class YearOverview:
    year: int
    days: list[YearDay]
    covered: bool
    covered_by_package: bool
    package_first_year: int | None
    package_last_year: int | None
    package_version: str
    entered_years: list[int]

    @property
    def holiday_count(self) -> int:
        return sum(1 for day in self.days if day.is_holiday)

    @property
    def workday_count(self) -> int:
        return sum(1 for day in self.days if not day.is_holiday)


def year_overview(*, year: int) -> YearOverview:
    """A year's holidays and make-up workdays, package and office entries merged, in two queries."""
    entered = {
        row.date: row for row in OfficialDay.objects.filter(date__year=year).select_related("entered_by")
    }
    package = {item.day: item for item in workdays.package_days(year)}
    days = []
    for day in sorted(entered.keys() | package.keys()):
        row = entered.get(day)
        if row is not None:
            days.append(YearDay(day, row.kind, row.name, entered=row, replaces=package.get(day)))
        else:
            item = package[day]
            days.append(YearDay(day, item.kind, item.name))
    years = workdays.package_years()
    entered_years = sorted(d.year for d in OfficialDay.objects.dates("date", "year"))
    return YearOverview(
        year=year,
        days=days,
        covered=year in years or bool(entered),
        covered_by_package=year in years,
        package_first_year=years[0] if years else None,
        package_last_year=years[-1] if years else None,
        package_version=workdays.package_version(),
        entered_years=entered_years,
    )

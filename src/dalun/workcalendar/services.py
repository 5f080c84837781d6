"""Writes to the national working-day calendar: one day at a time, or a whole year's schedule pasted.

Only the leading-group office at a root unit may write (see ``selectors.may_edit_calendar``): these days
move every deadline of every unit. Each write is audited and bumps the cache version of the calendar.
"""

from __future__ import annotations

import datetime
import unicodedata
import uuid
from dataclasses import dataclass
from typing import Any

from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _

from dalun.audit.services import audit_one_chain, audit_record, diff_fields
from dalun.workcalendar.models import OfficialDay
from dalun.workcalendar.selectors import VERSION_KEY, may_edit_calendar

NAME_MAX_LENGTH = OfficialDay._meta.get_field("name").max_length or 64
FIRST_YEAR, LAST_YEAR = 1949, 2200

# What the office may write in the kind column of a pasted schedule (the notice says 休 and 班).
KIND_WORDS = {
    "holiday": OfficialDay.Kind.HOLIDAY,
    "休": OfficialDay.Kind.HOLIDAY,
    "假": OfficialDay.Kind.HOLIDAY,
    "放假": OfficialDay.Kind.HOLIDAY,
    "workday": OfficialDay.Kind.WORKDAY,
    "班": OfficialDay.Kind.WORKDAY,
    "上班": OfficialDay.Kind.WORKDAY,
}


class WorkCalendarError(Exception):
    """A calendar write cannot be made as asked; the message names the field."""


@dataclass(frozen=True)
class LineError:
    line: int
    message: str


class ScheduleImportError(WorkCalendarError):
    """A pasted schedule has errors; nothing was written. ``errors`` names each line."""

    def __init__(self, errors: list[LineError]):
        super().__init__(_("The schedule has errors; nothing was changed."))
        self.errors = errors


@dataclass(frozen=True)
class ScheduleLine:
    line: int
    date: datetime.date
    kind: str
    name: str


@dataclass(frozen=True)
class ImportResult:
    created: int
    updated: int
    removed: int
    unchanged: int


def _require_editor(actor: Any) -> None:
    if not may_edit_calendar(actor):
        raise PermissionDenied("only the leading-group office at a root unit edits the national calendar")


def _bump_version() -> None:
    cache.set(VERSION_KEY, uuid.uuid4().hex, timeout=None)


def _calendar_changed() -> None:
    """Invalidate the cached calendar now (this transaction's reads) and again once the write commits.

    The second bump matters: another process may have cached the old rows under the first new version
    while this transaction was still open.
    """
    _bump_version()
    transaction.on_commit(_bump_version)


def _clean_kind(kind: str) -> str:
    if kind not in OfficialDay.Kind.values:
        raise WorkCalendarError(_("Kind must be holiday or make-up workday."))
    return kind


def _clean_name(name: str) -> str:
    name = unicodedata.normalize("NFKC", name or "").strip()
    if not name:
        raise WorkCalendarError(_("Name the day (for example 春节)."))
    if len(name) > NAME_MAX_LENGTH:
        raise WorkCalendarError(_("The name is longer than %(max)s characters.") % {"max": NAME_MAX_LENGTH})
    return name


def _fields(day: OfficialDay) -> dict[str, Any]:
    return {"date": day.date.isoformat(), "kind": day.kind, "name": day.name}


def _entered_by(actor: Any) -> Any:
    return actor if getattr(actor, "is_authenticated", False) else None


def _removed(day: OfficialDay) -> dict[str, list[Any]]:
    return {name: [value, None] for name, value in _fields(day).items()}


def _write(
    *,
    actor: Any,
    current: OfficialDay | None,
    date: datetime.date,
    kind: str,
    name: str,
    action: str,
) -> tuple[OfficialDay, bool]:
    """Create ``date``'s row or update ``current`` (its locked row); returns it and whether it changed."""
    before = _fields(current) if current is not None else {}
    if current is None:
        current = OfficialDay.objects.create(date=date, kind=kind, name=name, entered_by=_entered_by(actor))
    elif (current.kind, current.name) != (kind, name):
        current.kind, current.name, current.entered_by = kind, name, _entered_by(actor)
        current.save(update_fields=["kind", "name", "entered_by", "entered_at"])
    else:
        return current, False
    audit_record(actor=actor, action=action, obj=current, changes=diff_fields(before, _fields(current)))
    return current, True


@transaction.atomic
def official_day_set(*, actor: Any, date: datetime.date, kind: str, name: str) -> OfficialDay:
    """Enter (or change) one day; it takes precedence over the package's data for that date."""
    _require_editor(actor)
    if not isinstance(date, datetime.date):
        raise WorkCalendarError(_("Enter a date."))
    day, changed = _write(
        actor=actor,
        current=OfficialDay.objects.select_for_update().filter(date=date).first(),
        date=date,
        kind=_clean_kind(kind),
        name=_clean_name(name),
        action="official_day.set",
    )
    if changed:
        _calendar_changed()
    return day


@transaction.atomic
def official_day_remove(*, actor: Any, date: datetime.date) -> None:
    """Remove an entered day; the package's verdict (or Monday to Friday) applies to the date again."""
    _require_editor(actor)
    day = OfficialDay.objects.select_for_update().filter(date=date).first()
    if day is None:
        raise WorkCalendarError(_("No day is entered on %(date)s.") % {"date": date.isoformat()})
    audit_record(actor=actor, action="official_day.remove", obj=day, changes=_removed(day))
    day.delete()
    _calendar_changed()


def parse_schedule(text: str, *, year: int) -> tuple[list[ScheduleLine], list[LineError]]:
    """Read ``2027-02-06 holiday 春节`` lines (or ``休``/``班``); blank lines and ``#`` comments skipped.

    Full-width digits and spaces are folded first, since a schedule is often copied from a Chinese page.
    """
    entries: list[ScheduleLine] = []
    errors: list[LineError] = []
    seen: dict[datetime.date, int] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = unicodedata.normalize("NFKC", raw).strip()
        if not line or line.startswith("#"):
            continue
        parts = line.split(None, 2)
        if len(parts) < 3:
            errors.append(LineError(number, _("Write a date, holiday or workday, and a name.")))
            continue
        raw_date, raw_kind, name = parts
        try:
            date = datetime.date.fromisoformat(raw_date.replace("/", "-"))
        except ValueError:
            errors.append(
                LineError(number, _("%(value)s is not a date like 2027-02-06.") % {"value": raw_date})
            )
            continue
        if date.year != year:
            errors.append(
                LineError(
                    number, _("%(date)s is not in %(year)s.") % {"date": date.isoformat(), "year": year}
                )
            )
            continue
        kind = KIND_WORDS.get(raw_kind.casefold())
        if kind is None:
            errors.append(
                LineError(number, _("%(value)s is neither holiday nor workday.") % {"value": raw_kind})
            )
            continue
        try:
            name = _clean_name(name)
        except WorkCalendarError as error:
            errors.append(LineError(number, str(error)))
            continue
        if date in seen:
            errors.append(
                LineError(
                    number,
                    _("%(date)s is already on line %(line)s.")
                    % {"date": date.isoformat(), "line": seen[date]},
                )
            )
            continue
        seen[date] = number
        entries.append(ScheduleLine(number, date, kind, name))
    return entries, errors


@transaction.atomic
@audit_one_chain()
def official_days_import(*, actor: Any, year: int, text: str) -> ImportResult:
    """Make the year's entered days exactly the pasted schedule: all lines or none.

    Days entered earlier for that year and missing from the paste are removed, so pasting the corrected
    notice fixes a mistyped date too. An empty paste is refused rather than taken as "remove everything".
    """
    _require_editor(actor)
    if not isinstance(year, int) or not FIRST_YEAR <= year <= LAST_YEAR:
        raise WorkCalendarError(
            _("The year must be between %(first)s and %(last)s.") % {"first": FIRST_YEAR, "last": LAST_YEAR}
        )
    entries, errors = parse_schedule(text, year=year)
    if not errors and not entries:
        errors = [LineError(1, _("The schedule is empty; paste one day per line."))]
    if errors:
        raise ScheduleImportError(errors)
    existing = {day.date: day for day in OfficialDay.objects.select_for_update().filter(date__year=year)}
    created = updated = unchanged = 0
    for entry in entries:
        current = existing.get(entry.date)
        _day, changed = _write(
            actor=actor,
            current=current,
            date=entry.date,
            kind=entry.kind,
            name=entry.name,
            action="official_day.import",
        )
        if not changed:
            unchanged += 1
        elif current is not None:
            updated += 1
        else:
            created += 1
    pasted = {entry.date for entry in entries}
    stale = [day for date, day in existing.items() if date not in pasted]
    for day in stale:
        audit_record(actor=actor, action="official_day.import", obj=day, changes=_removed(day))
        day.delete()
    if created or updated or stale:
        _calendar_changed()
    return ImportResult(created=created, updated=updated, removed=len(stale), unchanged=unchanged)

"""The calendar page: a year's official days, whether that year is covered, and the office's forms."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from dalun.workcalendar import selectors
from dalun.workcalendar.forms import (
    DeadlineCheckForm,
    OfficialDayForm,
    OfficialDayRemoveForm,
    ScheduleImportForm,
)
from dalun.workcalendar.services import (
    FIRST_YEAR,
    LAST_YEAR,
    ScheduleImportError,
    WorkCalendarError,
    official_day_remove,
    official_day_set,
    official_days_import,
)


def _year_from(value: Any) -> int:
    """The year asked for, or this year when the parameter is missing or out of range (never a 500)."""
    try:
        year = int(value)
    except (TypeError, ValueError):
        return timezone.localdate().year
    return year if FIRST_YEAR <= year <= LAST_YEAR else timezone.localdate().year


def _year_url(year: int) -> str:
    return f"{reverse('workcalendar-year')}?year={year}"


def _page(request: HttpRequest, year: int, **forms: Any) -> HttpResponse:
    can_edit = selectors.may_edit_calendar(request.user)
    check_form = forms.get("check_form") or DeadlineCheckForm()
    context = {
        "overview": selectors.year_overview(year=year),
        "previous_year": year - 1 if year > FIRST_YEAR else None,
        "next_year": year + 1 if year < LAST_YEAR else None,
        "can_edit": can_edit,
        "check_form": check_form,
        "deadline": forms.get("deadline"),
        "import_errors": forms.get("import_errors"),
    }
    if can_edit:
        context["day_form"] = forms.get("day_form") or OfficialDayForm()
        context["import_form"] = forms.get("import_form") or ScheduleImportForm(initial={"year": year})
    return render(request, "workcalendar/calendar_year.html", context)


def calendar_year(request: HttpRequest) -> HttpResponse:
    """``/calendar/?year=2027``; with ``start`` and ``days`` it also shows that deadline."""
    year = _year_from(request.GET.get("year"))
    deadline = None
    check_form = None
    if "start" in request.GET:
        check_form = DeadlineCheckForm(request.GET)
        if check_form.is_valid():
            deadline = selectors.deadline_after(
                check_form.cleaned_data["start"], check_form.cleaned_data["days"]
            )
    return _page(request, year, check_form=check_form, deadline=deadline)


def _require_editor(request: HttpRequest) -> None:
    if not selectors.may_edit_calendar(request.user):
        raise PermissionDenied("only the leading-group office at a root unit edits the national calendar")


@login_required
@require_POST
def official_day_set_view(request: HttpRequest) -> HttpResponse:
    _require_editor(request)
    form = OfficialDayForm(request.POST)
    if form.is_valid():
        try:
            day = official_day_set(
                actor=request.user,
                date=form.cleaned_data["date"],
                kind=form.cleaned_data["kind"],
                name=form.cleaned_data["name"],
            )
        except WorkCalendarError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("%(date)s saved.") % {"date": day.date.isoformat()})
            return redirect(day.get_absolute_url())
    date = form.cleaned_data.get("date") if hasattr(form, "cleaned_data") else None
    year = date.year if date else _year_from(request.POST.get("year"))
    return _page(request, year, day_form=form)


@login_required
@require_POST
def official_day_remove_view(request: HttpRequest) -> HttpResponse:
    _require_editor(request)
    form = OfficialDayRemoveForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a day to remove."))
        return redirect(_year_url(_year_from(request.POST.get("year"))))
    date = form.cleaned_data["date"]
    try:
        official_day_remove(actor=request.user, date=date)
    except WorkCalendarError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("%(date)s removed.") % {"date": date.isoformat()})
    return redirect(_year_url(date.year))


@login_required
@require_POST
def official_days_import_view(request: HttpRequest) -> HttpResponse:
    _require_editor(request)
    form = ScheduleImportForm(request.POST)
    import_errors = None
    if form.is_valid():
        year = form.cleaned_data["year"]
        try:
            result = official_days_import(actor=request.user, year=year, text=form.cleaned_data["text"])
        except ScheduleImportError as error:
            import_errors = error.errors
            form.add_error(None, str(error))
        except WorkCalendarError as error:
            form.add_error("year", str(error))
        else:
            messages.success(
                request,
                _("Schedule of %(year)s saved: %(created)s added, %(updated)s changed, %(removed)s removed.")
                % {
                    "year": year,
                    "created": result.created,
                    "updated": result.updated,
                    "removed": result.removed,
                },
            )
            return redirect(_year_url(year))
    year = _year_from(request.POST.get("year"))
    return _page(request, year, import_form=form, import_errors=import_errors)

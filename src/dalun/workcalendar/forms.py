"""Forms of the calendar page: one day, removing one day, pasting a year's schedule, a deadline check."""

from django import forms
from django.utils.translation import gettext_lazy as _

from dalun.workcalendar.models import OfficialDay
from dalun.workcalendar.services import FIRST_YEAR, LAST_YEAR, NAME_MAX_LENGTH

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class OfficialDayForm(forms.Form):
    date = forms.DateField(label=_("Date"), widget=DATE_INPUT)
    kind = forms.ChoiceField(label=_("Kind of day"), choices=OfficialDay.Kind.choices)
    name = forms.CharField(
        label=_("Name"), max_length=NAME_MAX_LENGTH, help_text=_("For example 春节 or 春节调休.")
    )


class OfficialDayRemoveForm(forms.Form):
    date = forms.DateField(label=_("Date"), widget=forms.HiddenInput)


class ScheduleImportForm(forms.Form):
    year = forms.IntegerField(label=_("Year"), min_value=FIRST_YEAR, max_value=LAST_YEAR)
    text = forms.CharField(
        label=_("Schedule, one day per line"),
        max_length=20000,
        widget=forms.Textarea(
            attrs={"rows": 12, "placeholder": "2027-02-06 holiday 春节\n2027-02-14 workday 春节调休"}
        ),
        help_text=_(
            "Date, holiday or workday (休 or 班 also work), and the name. "
            "The pasted days replace every day entered earlier for that year."
        ),
    )


class DeadlineCheckForm(forms.Form):
    start = forms.DateField(label=_("Start date"), widget=DATE_INPUT)
    days = forms.IntegerField(label=_("Working days"), min_value=0, max_value=1000, initial=15)

"""Forms of the alert pages: dismiss with a reason, confirm with the finding's text."""

from django import forms
from django.utils.translation import gettext_lazy as _


class DismissForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for dismissal"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )


class ConfirmForm(forms.Form):
    text = forms.CharField(
        label=_("Finding"),
        max_length=4000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("What the unit must rectify; it goes into the unit's ledger as a supervision problem."),
    )
    deadline = forms.DateField(
        label=_("Rectification deadline"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

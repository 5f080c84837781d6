"""Forms of the ledger pages."""

from django import forms
from django.utils.translation import gettext_lazy as _

from dalun.campaigns.models import Campaign, ProblemCategory
from dalun.ledger.choices import KeyLinkStatus
from dalun.ledger.models import Measure, Problem


class ProblemForm(forms.ModelForm):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Problem
        fields = ["category", "manifestation", "source", "visibility"]
        widgets = {"manifestation": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, campaign: Campaign, **kwargs):
        super().__init__(*args, **kwargs)
        category = self.fields["category"]
        assert isinstance(category, forms.ModelChoiceField)
        category.queryset = ProblemCategory.objects.filter(campaign=campaign).order_by("position")


class MeasureForm(forms.ModelForm):
    """A measure's commitment; leave the deadline empty to count working days instead."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    deadline = forms.DateField(
        label=_("Deadline"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    working_days = forms.IntegerField(
        label=_("…or working days from today"), required=False, min_value=1, max_value=1000
    )

    class Meta:
        model = Measure
        fields = ["action", "indicator", "baseline", "target", "target_unit", "owner", "deadline"]
        widgets = {"action": forms.Textarea(attrs={"rows": 2})}


class ProgressForm(forms.Form):
    percent = forms.IntegerField(label=_("Progress (%)"), min_value=0, max_value=100)
    text = forms.CharField(
        label=_("What was done"), widget=forms.Textarea(attrs={"rows": 2}), max_length=4000
    )


class EvidenceForm(forms.Form):
    file = forms.FileField(label=_("Evidence (PDF, image, office document; at most 20 MB)"))


class CommentForm(forms.Form):
    comment = forms.CharField(
        label=_("Comment"), required=False, max_length=4000, widget=forms.Textarea(attrs={"rows": 2})
    )


class KeyLinkReportForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=KeyLinkStatus.choices)
    reported_on = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}))
    note = forms.CharField(
        label=_("Note"), required=False, max_length=4000, widget=forms.Textarea(attrs={"rows": 2})
    )
    file = forms.FileField(label=_("Evidence"), required=False)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class LedgerImportForm(forms.Form):
    file = forms.FileField(label=_("Ledger workbook (.xlsx)"))

"""Forms of opinion maps (the services check everything again; forms only shape the input)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from dalun.campaigns.models import Breakthrough, Campaign, localized
from dalun.opinions.services import QUESTION_MAX, STATEMENT_MAX
from dalun.voices.forms import MultipleFileField


def _choose(form: forms.Form, name: str, choices: list[tuple[str, str]]) -> None:
    field = form.fields[name]
    assert isinstance(field, forms.ChoiceField)
    field.choices = choices


def campaign_choices(campaigns: list[Campaign]) -> list[tuple[str, str]]:
    return [(str(c.pk), localized(c.name)) for c in campaigns]


class StatementsField(forms.CharField):
    """One statement per line."""

    def __init__(self, **kwargs):
        kwargs.setdefault("widget", forms.Textarea(attrs={"rows": 6}))
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def to_python(self, value):
        return [line.strip() for line in (super().to_python(value) or "").splitlines() if line.strip()]


class MapForm(forms.Form):
    campaign = forms.ChoiceField(label=_("Campaign"))
    question = forms.CharField(label=_("Question"), max_length=QUESTION_MAX)
    description = forms.CharField(
        label=_("Description (optional)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=5000,
    )
    unit_code = forms.CharField(
        label=_("Unit concerned (official code, optional)"), required=False, max_length=32
    )
    breakthrough = forms.ChoiceField(label=_("Breakthrough (optional)"), required=False)
    statements = StatementsField(label=_("Seed statements, one per line"))

    def __init__(self, *args, campaigns: list[Campaign], **kwargs):
        super().__init__(*args, **kwargs)
        _choose(self, "campaign", campaign_choices(campaigns))
        breakthroughs = Breakthrough.objects.filter(campaign__in=campaigns).order_by("campaign", "position")
        _choose(self, "breakthrough", [("", "—")] + [(str(b.pk), localized(b.name)) for b in breakthroughs])


class SeedForm(forms.Form):
    statements = StatementsField(label=_("New statements, one per line"), required=True)


class StatementForm(forms.Form):
    text = forms.CharField(
        label=_("Your own statement"),
        max_length=STATEMENT_MAX,
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": STATEMENT_MAX}),
        help_text=_("One short statement others can agree or disagree with. It is shown after moderation."),
    )


class ImportForm(forms.Form):
    campaign = forms.ChoiceField(label=_("Campaign"))
    question = forms.CharField(
        label=_("Question (optional: the export's topic otherwise)"), required=False, max_length=QUESTION_MAX
    )
    upload = MultipleFileField(label=_("The export: a zip, or its CSV files"), required=True)

    def __init__(self, *args, campaigns: list[Campaign], **kwargs):
        super().__init__(*args, **kwargs)
        _choose(self, "campaign", campaign_choices(campaigns))

"""Forms of public participation."""

from django import forms
from django.utils.translation import gettext_lazy as _

from dalun.campaigns.models import Campaign, localized
from dalun.voices.choices import Adoption, Rating


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one field (Django's documented recipe); the service checks each one's content."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"multiple": True}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        if isinstance(data, list | tuple):
            return [super(MultipleFileField, self).clean(item, initial) for item in data]
        return [super().clean(data, initial)] if data else []


def category_choices(campaign: Campaign, empty_label: str) -> list[tuple[str, str]]:
    return [("", empty_label)] + [
        (str(c.pk), localized(c.name)) for c in campaign.categories.order_by("position")
    ]


class SuggestionForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=120)
    text = forms.CharField(
        label=_("Your suggestion"), widget=forms.Textarea(attrs={"rows": 6}), max_length=5000
    )
    category = forms.ChoiceField(label=_("Which problem does it concern?"), required=False)
    unit_code = forms.CharField(
        label=_("Unit concerned (code, or leave empty if you don't know)"),
        required=False,
        max_length=32,
        widget=forms.TextInput(attrs={"list": "unit-options"}),
    )
    contact = forms.CharField(
        label=_("Contact (optional, e-mail or phone; seen only by the moderators and the unit that answers)"),
        required=False,
        max_length=200,
    )

    def __init__(self, *args, campaign: Campaign, **kwargs):
        super().__init__(*args, **kwargs)
        category = self.fields["category"]
        assert isinstance(category, forms.ChoiceField)
        category.choices = category_choices(campaign, str(_("I don't know")))

    attachments = MultipleFileField(
        label=_("Attachments (optional: PDF, images, office documents)"), required=False
    )


class AnswerForm(forms.Form):
    """The routed unit's answer; ``to_ledger`` offers the campaign's categories."""

    text = forms.CharField(label=_("Answer"), widget=forms.Textarea(attrs={"rows": 4}), max_length=5000)
    adoption = forms.ChoiceField(label=_("Adoption"), choices=Adoption.choices)
    reason = forms.CharField(
        label=_("Reason (needed unless adopted)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    to_ledger = forms.ChoiceField(label=_("Add it to our ledger as a problem under"), required=False)

    def __init__(self, *args, campaign: Campaign, **kwargs):
        super().__init__(*args, **kwargs)
        to_ledger = self.fields["to_ledger"]
        assert isinstance(to_ledger, forms.ChoiceField)
        to_ledger.choices = category_choices(campaign, "—")


class RatingForm(forms.Form):
    rating = forms.ChoiceField(
        label=_("How satisfied are you with the answer?"), choices=Rating.choices, widget=forms.RadioSelect
    )
    comment = forms.CharField(
        label=_("Comment"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )

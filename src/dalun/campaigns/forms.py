"""Forms of the campaign pages."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dalun.campaigns.services import shipped_templates


class CampaignCreateForm(forms.Form):
    """Start a campaign from a shipped template or from an uploaded YAML file."""

    template = forms.ChoiceField(label=_("Template"), required=False)
    template_file = forms.FileField(label=_("…or upload a template (YAML)"), required=False)
    key = forms.SlugField(
        label=_("Key (used in addresses)"),
        required=False,
        help_text=_("Leave empty to use the template's key."),
    )
    starts_on = forms.DateField(label=_("Start date"), widget=forms.DateInput(attrs={"type": "date"}))
    owner_unit_code = forms.CharField(label=_("Code of the leading unit"), max_length=32)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        template_field = self.fields["template"]
        assert isinstance(template_field, forms.ChoiceField)
        template_field.choices = [("", "—")] + [(stem, stem) for stem in shipped_templates()]
        self.fields["starts_on"].initial = timezone.localdate()

    def clean(self):
        cleaned = super().clean() or {}
        if not cleaned.get("template") and not cleaned.get("template_file"):
            raise forms.ValidationError(_("Choose a template or upload one."))
        return cleaned

    def template_text(self) -> tuple[str, str]:
        """The template's text and a name to cite in error messages."""
        upload = self.cleaned_data.get("template_file")
        if upload:
            raw = upload.read()
            try:
                return raw.decode("utf-8"), upload.name
            except UnicodeDecodeError:
                raise forms.ValidationError(_("The template file is not UTF-8 text.")) from None
        path = shipped_templates()[self.cleaned_data["template"]]
        return path.read_text(encoding="utf-8"), path.name


class DeployForm(forms.Form):
    unit_code = forms.CharField(label=_("Code of the subtree's top unit"), max_length=32)

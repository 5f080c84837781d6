"""Forms of the organisation pages."""

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from dalun.org.choices import UnitKind
from dalun.org.models import Unit


class UnitEditForm(forms.ModelForm):
    """Edits a unit's names, kind and code; ``version`` carries what the editor saw, for the lock."""

    version = forms.IntegerField(widget=forms.HiddenInput)

    class Meta:
        model = Unit
        fields = ["name", "name_en", "name_pinyin", "kind", "code", "duties"]

    def clean_code(self) -> str | None:
        return self.cleaned_data["code"] or None


class UnitImportForm(forms.Form):
    ENCODINGS = [
        ("utf-8", _("UTF-8 (also with BOM)")),
        ("gb18030", _("GB18030 / GBK (Excel on Chinese Windows)")),
    ]

    file = forms.FileField(label=_("CSV or Excel (.xlsx) file"))
    encoding = forms.ChoiceField(label=_("Encoding of a CSV file"), choices=ENCODINGS, initial="utf-8")

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > settings.DALUN_IMPORT_MAX_BYTES:
            raise forms.ValidationError(
                _("The file is larger than %(max)s MB.")
                % {"max": settings.DALUN_IMPORT_MAX_BYTES // (1024 * 1024)}
            )
        return upload


KIND_CHOICES = UnitKind.choices

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FormalismConfig(AppConfig):
    name = "dalun.formalism"
    label = "formalism"
    verbose_name = _("Formalism scan")

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OpinionsConfig(AppConfig):
    """Opinion maps: statements the public votes on, and the groups and common ground the votes reveal."""

    name = "dalun.opinions"
    label = "opinions"
    verbose_name = _("Opinion maps")

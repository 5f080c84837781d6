from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WebConfig(AppConfig):
    """The web shell: layout, navigation, home page and the template helpers every app uses."""

    name = "dalun.web"
    label = "web"
    verbose_name = _("Web shell")

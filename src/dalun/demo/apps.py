from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DemoConfig(AppConfig):
    """The demo province, its personas and its campaign; also used by the tests."""

    name = "dalun.demo"
    label = "demo"
    verbose_name = _("Demo")

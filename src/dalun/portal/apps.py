from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    """The public's pages: the campaign, the suggestion box, receipts, and each unit's disclosure."""

    name = "dalun.portal"
    label = "portal"
    verbose_name = _("Public portal")

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BackupConfig(AppConfig):
    """Consistent snapshots of the database and the uploaded files (``dalun backup`` / ``dalun restore``)."""

    name = "dalun.backup"
    label = "backup"
    verbose_name = _("Backup and restore")

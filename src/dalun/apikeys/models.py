"""What the REST API keeps for itself: the staff's access tokens.

A token's secret is shown once, when it is made; only its SHA-256 is stored, so a copy of the database
does not let anyone call the API. (An ``Idempotency-Key`` is kept on the record its request created:
apikeys/idempotency.py.)
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ApiToken(models.Model):
    """A bearer token that acts as its person (with that person's roles), until revoked."""

    person = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="api_tokens",
        verbose_name=_("person"),
    )
    name = models.CharField(_("name"), max_length=100)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    # The first characters of the secret, so its owner can tell tokens apart without the secret.
    prefix = models.CharField(_("prefix"), max_length=12, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked = models.BooleanField(_("revoked"), default=False)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["person", "-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

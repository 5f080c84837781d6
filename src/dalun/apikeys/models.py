"""What the REST API keeps for itself: the staff's access tokens and the answers to idempotent requests.

A token's secret is shown once, when it is made; only its SHA-256 is stored, so a copy of the database
does not let anyone call the API. An idempotent request remembers the answer it got, so that a client
retrying with the same ``Idempotency-Key`` gets that answer again instead of a second record.
"""

from __future__ import annotations

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
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


class IdempotentRequest(models.Model):
    """The answer given to one ``Idempotency-Key`` on one route, replayed to retries of the same request.

    The unique constraint is what makes retries safe under concurrency: the first request's row is
    inserted in the same transaction as the record it creates, so a concurrent twin waits for that
    transaction and then finds the row instead of creating a second record.
    """

    key = models.CharField(max_length=255)
    route = models.CharField(max_length=100)
    # A keyed hash (HMAC with the secret key) of the request body: it tells a retry from a different
    # request without keeping the body, which may hold the submitter's contact details.
    request_hash = models.CharField(max_length=64)
    status = models.PositiveSmallIntegerField()
    response_json = models.JSONField(encoder=DjangoJSONEncoder, default=dict)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("idempotent request")
        verbose_name_plural = _("idempotent requests")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["key", "route"], name="apikeys_idempotency_key_route"),
        ]

    def __str__(self) -> str:
        return f"{self.route} {self.key}"

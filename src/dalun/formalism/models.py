"""Formalism alerts, the scans that raise them and the daily digests that announce them.

An alert is identified by its ``signature`` (the rule and the key of the records it is about, for example
the two texts of a copied pair, or the unit whose measures are overdue), so every scan updates the same row
instead of adding another. ``records_fingerprint`` hashes the state of those records as the scan saw it: a
dismissed alert stays dismissed while the fingerprint is unchanged, and opens again once the records change.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dalun.campaigns.models import Campaign
from dalun.formalism.choices import AlertKind, AlertRule, AlertStatus
from dalun.org.models import Unit


class AlertQuerySet(models.QuerySet["Alert"]):
    def visible_to(self, actor: object) -> AlertQuerySet:
        """Alerts about units in the actor's scope for ``alert.view``."""
        from dalun.org import policy

        return self.filter(policy.scope(actor, "alert.view", path_field="unit__path"))


class ScanRun(models.Model):
    """One run of the scan: when, over which campaign, and what it raised."""

    campaign = models.ForeignKey(Campaign, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    counts = models.JSONField(default=dict)  # kind -> alerts found; plus new / reopened / resolved / texts

    class Meta:
        verbose_name = _("formalism scan")
        verbose_name_plural = _("formalism scans")
        ordering = ["-started_at", "-id"]

    def __str__(self) -> str:
        return f"scan {self.pk} {self.started_at:%Y-%m-%d %H:%M}"


class Alert(models.Model):
    """A sign of formalism the scan found, with why it fired and the records behind it."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="+")
    # The unit the alert is about (a confirmed alert becomes its finding) ...
    unit = models.ForeignKey(Unit, verbose_name=_("unit"), on_delete=models.CASCADE, related_name="+")
    # ... and, for neglect, the level above it is escalated to.
    escalated_to = models.ForeignKey(
        Unit,
        null=True,
        blank=True,
        verbose_name=_("escalated to"),
        on_delete=models.SET_NULL,
        related_name="+",
    )
    kind = models.CharField(_("kind"), max_length=20, choices=AlertKind.choices)
    rule = models.CharField(_("rule"), max_length=40, choices=AlertRule.choices)
    signature = models.CharField(max_length=64, unique=True)
    score = models.FloatField(_("score"), default=0.0)
    explanation = models.JSONField(default=dict)  # why it fired: scores, thresholds, passages
    records = models.JSONField(default=list)  # [{"ref": "ledger.problem:12", "fp": "...", "unit": 3}]
    records_fingerprint = models.CharField(max_length=64)
    status = models.CharField(
        _("status"), max_length=10, choices=AlertStatus.choices, default=AlertStatus.OPEN
    )
    dismissal_reason = models.TextField(_("reason for dismissal"), max_length=2000, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    finding_id = models.BigIntegerField(null=True, blank=True)  # supervision.Finding it became
    first_seen_at = models.DateTimeField(auto_now_add=True)
    raised_at = models.DateTimeField()  # first raised, or raised again after the records changed
    last_seen_at = models.DateTimeField()
    last_scan = models.ForeignKey(ScanRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    version = models.PositiveIntegerField(default=1)

    objects = AlertQuerySet.as_manager()

    class Meta:
        verbose_name = _("alert")
        verbose_name_plural = _("alerts")
        ordering = ["-raised_at", "-id"]
        indexes = [
            models.Index(fields=["campaign", "status", "kind"], name="formalism_alert_state"),
            models.Index(fields=["raised_at"], name="formalism_alert_raised"),
        ]

    def __str__(self) -> str:
        return f"{self.get_rule_display()} · {self.unit}"

    def get_absolute_url(self) -> str:
        return reverse("formalism-alert", args=[self.pk])


class DigestSent(models.Model):
    """One person's daily digest went out on ``day`` (so a second run the same day sends nothing)."""

    person = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    sent_at = models.DateTimeField(auto_now_add=True)
    alerts = models.PositiveIntegerField(default=0)
    deadlines = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-day"]
        constraints = [models.UniqueConstraint(fields=["person", "day"], name="formalism_digest_once_a_day")]

    def __str__(self) -> str:
        return f"{self.person} {self.day}"

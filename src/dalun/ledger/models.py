"""Self-examination ledgers: problems, their measures, evidence, the timeline, and key-link progress.

A unit keeps one ledger per campaign. The clerk drafts problems and measures, the first responsible person
approves and submits the ledger upward, the level above accepts or returns it. Measures are rectified one by
one and close only with evidence and verification by the level above or a supervisor.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from dalun.campaigns.models import Campaign, KeyLinkObligation, ProblemCategory
from dalun.ledger.choices import (
    EventKind,
    KeyLinkStatus,
    LedgerStatus,
    MeasureStatus,
    ProblemSource,
    ProblemStatus,
    Visibility,
)
from dalun.org.models import Unit


class Ledger(models.Model):
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="ledgers")
    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="ledgers")
    status = models.CharField(
        _("status"), max_length=12, choices=LedgerStatus.choices, default=LedgerStatus.DRAFT
    )
    version = models.PositiveIntegerField(default=1)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("ledger")
        verbose_name_plural = _("ledgers")
        ordering = ["campaign_id", "unit_id"]
        constraints = [models.UniqueConstraint(fields=["campaign", "unit"], name="ledger_one_per_unit")]

    def __str__(self) -> str:
        return f"{self.unit} · {self.campaign}"

    def get_absolute_url(self) -> str:
        return reverse("ledger-detail", args=[self.unit_id, self.campaign.key])

    @property
    def editable(self) -> bool:
        return self.status in {LedgerStatus.DRAFT, LedgerStatus.RETURNED}


class Problem(models.Model):
    ledger = models.ForeignKey(Ledger, on_delete=models.CASCADE, related_name="problems")
    # The ledger's unit and campaign, repeated so lists and rollups filter without a join.
    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, db_index=False, related_name="problems")
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="problems")
    category = models.ForeignKey(
        ProblemCategory, verbose_name=_("category"), on_delete=models.PROTECT, related_name="problems"
    )
    manifestation = models.TextField(_("concrete manifestation"), max_length=4000)
    source = models.CharField(
        _("source"), max_length=12, choices=ProblemSource.choices, default=ProblemSource.SELF
    )
    visibility = models.CharField(
        _("visibility"), max_length=10, choices=Visibility.choices, default=Visibility.PUBLIC
    )
    status = models.CharField(
        _("status"), max_length=10, choices=ProblemStatus.choices, default=ProblemStatus.OPEN
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("recorded"), auto_now_add=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("problem")
        verbose_name_plural = _("problems")
        ordering = ["ledger_id", "id"]
        indexes = [models.Index(fields=["unit", "campaign"], name="ledger_problem_unit")]

    def __str__(self) -> str:
        return self.manifestation[:60]

    def get_absolute_url(self) -> str:
        return reverse("ledger-detail", args=[self.unit_id, self.campaign.key]) + f"#problem-{self.pk}"


class Measure(models.Model):
    problem = models.ForeignKey(Problem, on_delete=models.CASCADE, related_name="measures")
    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, db_index=False, related_name="measures")
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="measures")
    action = models.TextField(_("improvement measure"), max_length=4000)
    indicator = models.CharField(_("indicator"), max_length=200)
    baseline = models.DecimalField(_("baseline"), max_digits=14, decimal_places=2, null=True, blank=True)
    target = models.DecimalField(_("target value"), max_digits=14, decimal_places=2)
    target_unit = models.CharField(_("unit of measure"), max_length=20, blank=True)
    owner = models.CharField(_("responsible person"), max_length=100)
    deadline = models.DateField(_("deadline"))
    deadline_estimated = models.BooleanField(default=False)  # counted Monday-Friday: no official calendar yet
    progress = models.PositiveSmallIntegerField(_("progress (%)"), default=0)
    status = models.CharField(
        _("status"), max_length=10, choices=MeasureStatus.choices, default=MeasureStatus.OPEN
    )
    closed_on = models.DateField(_("closed on"), null=True, blank=True)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("measure")
        verbose_name_plural = _("measures")
        ordering = ["problem_id", "deadline", "id"]
        indexes = [
            models.Index(fields=["unit", "campaign", "status", "deadline"], name="ledger_measure_unit"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(progress__lte=100), name="ledger_measure_progress_max"),
        ]

    def __str__(self) -> str:
        return self.action[:60]

    def get_absolute_url(self) -> str:
        return reverse("measure-detail", args=[self.pk])


class KeyLinkProgress(models.Model):
    """How far a unit is with one key link: reported within the link's window, with evidence."""

    obligation = models.OneToOneField(KeyLinkObligation, on_delete=models.CASCADE, related_name="progress")
    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="+")
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="+")
    status = models.CharField(
        _("status"), max_length=12, choices=KeyLinkStatus.choices, default=KeyLinkStatus.NOT_STARTED
    )
    reported_on = models.DateField(_("date"))
    note = models.TextField(_("note"), max_length=4000, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("key-link progress")
        verbose_name_plural = _("key-link progress")
        ordering = ["obligation"]

    def __str__(self) -> str:
        return f"{self.obligation} · {self.get_status_display()}"


class Evidence(models.Model):
    """A file that shows a measure's or a key link's progress; its type was checked by content."""

    measure = models.ForeignKey(
        Measure, null=True, blank=True, on_delete=models.CASCADE, related_name="evidence"
    )
    key_link_progress = models.ForeignKey(
        KeyLinkProgress, null=True, blank=True, on_delete=models.CASCADE, related_name="evidence"
    )
    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="+")
    file = models.FileField(upload_to="evidence/%Y/%m/")
    original_name = models.CharField(_("file name"), max_length=255)
    mime = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("evidence")
        verbose_name_plural = _("evidence")
        ordering = ["uploaded_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(measure__isnull=False, key_link_progress__isnull=True)
                | Q(measure__isnull=True, key_link_progress__isnull=False),
                name="ledger_evidence_one_owner",
            )
        ]

    def __str__(self) -> str:
        return self.original_name

    def get_absolute_url(self) -> str:
        return reverse("evidence-download", args=[self.pk])


class Event(models.Model):
    """The timeline of a ledger and of its measures: every step somebody took, in order."""

    ledger = models.ForeignKey(Ledger, on_delete=models.CASCADE, related_name="events")
    measure = models.ForeignKey(
        Measure, null=True, blank=True, on_delete=models.CASCADE, related_name="events"
    )
    kind = models.CharField(max_length=24, choices=EventKind.choices)
    percent = models.PositiveSmallIntegerField(null=True, blank=True)
    text = models.TextField(blank=True, max_length=4000)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("timeline entry")
        verbose_name_plural = _("timeline")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d} {self.get_kind_display()}"


class Counter(models.Model):
    """A maintained aggregate over a unit's whole subtree (the unit included) in one campaign.

    ``metric`` and ``key`` name what is counted (``problems`` / ``reform_awareness|open``); see rollups.py.
    Services adjust counters in the same transaction as the rows they count; dashboards only read them.
    """

    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, db_index=False, related_name="+")
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="+")
    metric = models.CharField(max_length=20)
    key = models.CharField(max_length=100)
    value = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["unit", "campaign", "metric", "key"], name="ledger_counter_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.metric}:{self.key}={self.value}"


class DayCounter(models.Model):
    """Like Counter, per day: open measures by deadline (overdue = before today), closures by day."""

    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, db_index=False, related_name="+")
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="+")
    metric = models.CharField(max_length=20)
    day = models.DateField()
    value = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["unit", "campaign", "metric", "day"], name="ledger_daycounter_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.metric}:{self.day}={self.value}"

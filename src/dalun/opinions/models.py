"""Opinion maps (Pol.is's method): the public votes agree / disagree / pass on short statements; the votes
are mapped in two dimensions, where participants who vote alike form groups.

Rows and columns: the engine (``dalun.engines.opinion_map``) wants a row to mean the same participant and a
column the same statement in every update. Each participant therefore gets its ``row`` and each statement
its ``column`` once, from the map's counters, and keeps them; nothing is ever renumbered or removed (a
rejected statement stays, as a column the engine leaves out).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dalun.campaigns.models import Breakthrough, Campaign
from dalun.opinions.choices import Choice, MapStatus, StatementOrigin, StatementStatus
from dalun.org.models import Unit
from dalun.voices.models import Suggestion


class OpinionMap(models.Model):
    """A question put to the public, with its statements, participants, votes and computed snapshots."""

    campaign = models.ForeignKey(
        Campaign, verbose_name=_("campaign"), on_delete=models.PROTECT, related_name="opinion_maps"
    )
    unit = models.ForeignKey(
        Unit, verbose_name=_("unit"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    breakthrough = models.ForeignKey(
        Breakthrough,
        verbose_name=_("breakthrough"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    question = models.CharField(_("question"), max_length=300)
    description = models.TextField(_("description"), max_length=5000, blank=True)
    status = models.CharField(_("status"), max_length=8, choices=MapStatus.choices, default=MapStatus.DRAFT)
    participants_may_submit = models.BooleanField(_("participants may submit statements"), default=True)
    # The next row and column to hand out: how many participants and statements the map has had.
    n_participants = models.PositiveIntegerField(default=0, editable=False)
    n_statements = models.PositiveIntegerField(default=0, editable=False)
    # Set by the first vote after a computation, cleared by the computation that takes it: one task per burst.
    dirty_since = models.DateTimeField(null=True, blank=True, editable=False)
    computed_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("opinion map")
        verbose_name_plural = _("opinion maps")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.question

    def get_absolute_url(self) -> str:
        return reverse("opinion-vote", args=[self.pk])

    def get_manage_url(self) -> str:
        return reverse("opinion-manage", args=[self.pk])

    @property
    def scope_unit(self) -> Unit:
        """The unit whose moderators look after the map: its own unit, else the campaign's leading unit."""
        return self.unit or self.campaign.owner_unit


class Participant(models.Model):
    """A pseudonymous voter: a cookie's random id, or the account of a signed-in person."""

    opinion_map = models.ForeignKey(OpinionMap, on_delete=models.CASCADE, related_name="participants")
    row = models.PositiveIntegerField(_("row"))
    key = models.CharField(max_length=64)
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    network = models.CharField(max_length=64, blank=True)
    external_id = models.BigIntegerField(null=True, blank=True)  # Pol.is participant id, when imported
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("participant")
        verbose_name_plural = _("participants")
        ordering = ["opinion_map", "row"]
        constraints = [
            models.UniqueConstraint(fields=["opinion_map", "row"], name="opinions_participant_row"),
            models.UniqueConstraint(fields=["opinion_map", "key"], name="opinions_participant_key"),
        ]

    def __str__(self) -> str:
        return f"{self.opinion_map_id}:{self.row}"


class Statement(models.Model):
    """A short statement to agree or disagree with; seeded by moderators, promoted from a suggestion, or
    written by a participant (then moderated)."""

    opinion_map = models.ForeignKey(OpinionMap, on_delete=models.CASCADE, related_name="statements")
    column = models.PositiveIntegerField(_("column"))
    text = models.TextField(_("statement"), max_length=500)
    search_key = models.TextField(editable=False, default="")
    status = models.CharField(
        _("status"), max_length=8, choices=StatementStatus.choices, default=StatementStatus.PENDING
    )
    is_meta = models.BooleanField(
        _("meta"),
        default=False,
        help_text=_("About the conversation itself; shown, but left out of the map."),
    )
    origin = models.CharField(_("origin"), max_length=12, choices=StatementOrigin.choices)
    author = models.ForeignKey(
        Participant, null=True, blank=True, on_delete=models.SET_NULL, related_name="statements"
    )
    suggestion = models.ForeignKey(
        Suggestion, null=True, blank=True, on_delete=models.SET_NULL, related_name="statements"
    )
    # Counts kept with every vote, fresher than the last computation; the voting order reads them.
    agree_count = models.PositiveIntegerField(default=0, editable=False)
    disagree_count = models.PositiveIntegerField(default=0, editable=False)
    pass_count = models.PositiveIntegerField(default=0, editable=False)
    # Distance from the centre of the map of the last computation (divisive statements lie far out).
    extremity = models.FloatField(default=0.0, editable=False)
    external_id = models.BigIntegerField(null=True, blank=True)  # Pol.is comment id, when imported
    created_at = models.DateTimeField(default=timezone.now)
    moderated_at = models.DateTimeField(null=True, blank=True)
    moderated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("statement")
        verbose_name_plural = _("statements")
        ordering = ["opinion_map", "column"]
        constraints = [
            models.UniqueConstraint(fields=["opinion_map", "column"], name="opinions_statement_column"),
        ]
        indexes = [models.Index(fields=["opinion_map", "status"], name="opinions_statement_status")]

    def __str__(self) -> str:
        return self.text

    @property
    def seen_count(self) -> int:
        return self.agree_count + self.disagree_count + self.pass_count


class Vote(models.Model):
    """A participant's current vote on a statement; a later vote replaces it (one row per pair).

    ``row`` and ``column`` repeat the participant's row and the statement's column (both fixed for good),
    so that a computation reads the whole matrix from this one table.
    """

    opinion_map = models.ForeignKey(OpinionMap, on_delete=models.CASCADE, related_name="votes")
    participant = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="votes")
    statement = models.ForeignKey(Statement, on_delete=models.CASCADE, related_name="votes")
    row = models.PositiveIntegerField()
    column = models.PositiveIntegerField()
    value = models.SmallIntegerField(_("vote"), choices=Choice.choices)
    cast_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("vote")
        verbose_name_plural = _("votes")
        ordering = ["cast_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["participant", "statement"], name="opinions_one_vote"),
        ]

    def __str__(self) -> str:
        return f"{self.row}×{self.column}: {self.value}"


class Snapshot(models.Model):
    """The result of one computation: ``display`` (plain JSON for the pages) and ``warm`` (the engine's
    state, NumPy arrays saved with ``np.savez``) from which the next computation starts."""

    opinion_map = models.ForeignKey(OpinionMap, on_delete=models.CASCADE, related_name="snapshots")
    computed_at = models.DateTimeField(default=timezone.now)
    n_participants = models.PositiveIntegerField(default=0)
    n_statements = models.PositiveIntegerField(default=0)
    n_votes = models.PositiveIntegerField(default=0)
    seconds = models.FloatField(default=0.0)
    warm_started = models.BooleanField(default=False)
    display = models.JSONField(default=dict)
    warm = models.BinaryField()

    class Meta:
        verbose_name = _("snapshot")
        verbose_name_plural = _("snapshots")
        ordering = ["-computed_at", "-id"]
        get_latest_by = ["computed_at", "id"]

    def __str__(self) -> str:
        return f"{self.opinion_map_id} @ {self.computed_at:%Y-%m-%d %H:%M:%S}"

"""Public suggestions ("golden ideas"): submitted by anyone, moderated, routed to the responsible unit,
answered within a deadline in working days, adopted into ledgers, rated by the people who sent them."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from dalun.campaigns.models import Campaign, ProblemCategory
from dalun.ledger.models import Problem
from dalun.org.models import Unit
from dalun.voices.choices import Adoption, Handling, Moderation, Rating


class Suggestion(models.Model):
    # Every index is written by each public submission, so none is kept twice (the campaign and the routed
    # unit lead the composite indexes below; the receipt code is only ever looked up whole: a unique
    # constraint, without the pattern index Django adds to a unique CharField on PostgreSQL), and a column
    # that is mostly empty when a suggestion arrives is indexed only where it is set (Meta.indexes).
    campaign = models.ForeignKey(
        Campaign, on_delete=models.PROTECT, related_name="suggestions", db_index=False
    )
    title = models.CharField(_("title"), max_length=120)
    text = models.TextField(_("suggestion"), max_length=5000)
    category = models.ForeignKey(
        ProblemCategory,
        verbose_name=_("category"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )
    # The unit the submitter named (empty for "I don't know") and the unit it was routed to.
    concerns_unit = models.ForeignKey(
        Unit,
        verbose_name=_("unit concerned"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )
    routed_unit = models.ForeignKey(
        Unit,
        verbose_name=_("responsible unit"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="routed_suggestions",
        db_index=False,
    )
    escalated_to = models.ForeignKey(
        Unit,
        verbose_name=_("escalated to"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="escalated_suggestions",
        db_index=False,
    )
    receipt_code = models.CharField(_("receipt code"), max_length=20)
    contact_encrypted = models.BinaryField(null=True, blank=True, editable=False)
    # The public submission writes only what it knows (voices/submission_statement.py); the database fills
    # the other columns with these defaults, the same as the ORM's.
    moderation = models.CharField(
        max_length=10, choices=Moderation.choices, default=Moderation.PENDING, db_default=Moderation.PENDING
    )
    handling = models.CharField(
        max_length=10, choices=Handling.choices, default=Handling.UNROUTED, db_default=Handling.UNROUTED
    )
    reject_reason = models.CharField(_("reason"), max_length=500, blank=True, db_default="")
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="merged", db_index=False
    )
    search_text = models.TextField(editable=False, default="", db_default="")  # set on publication
    support_count = models.PositiveIntegerField(default=0, db_default=0, editable=False)
    submitted_at = models.DateTimeField(auto_now_add=True)
    routed_at = models.DateTimeField(null=True, blank=True)
    due_on = models.DateField(_("answer due"), null=True, blank=True)
    due_estimated = models.BooleanField(default=False, db_default=False)
    version = models.PositiveIntegerField(default=1, db_default=1)
    # Intake (routing proposals, moderators notified) runs as a task after the submission commits; until it
    # has, intake_done_at is empty: the row is its own outbox, which the dispatcher enqueues and stamps
    # intake_dispatched_at, and dispatches again if its task is lost in a crash (voices/tasks.py).
    intake_done_at = models.DateTimeField(null=True, blank=True, editable=False)
    intake_dispatched_at = models.DateTimeField(null=True, blank=True, editable=False)
    routing_proposals = models.JSONField(  # [[unit id, score]]
        default=list, db_default=models.Value([], models.JSONField()), blank=True, editable=False
    )
    # A submission's Idempotency-Key (API clients send one; the portal's form does not) and a keyed hash of
    # its content: the suggestion is its own idempotency record, so a retry finds it by the key and is
    # answered as the first time (apikeys/idempotency.py), and claiming the key costs no row of its own.
    idempotency_key = models.CharField(max_length=255, null=True, blank=True, editable=False)
    request_hash = models.CharField(max_length=64, blank=True, db_default="", editable=False)
    # The keyed hash of the network it came from (web/ratelimit.client_network), never shown: the flood limit
    # counts a network's suggestions in the window with the statement that stores one.
    network = models.CharField(max_length=32, blank=True, db_default="", editable=False)

    class Meta:
        verbose_name = _("suggestion")
        verbose_name_plural = _("suggestions")
        ordering = ["-submitted_at"]
        indexes = [
            models.Index(fields=["campaign", "moderation", "handling"], name="voices_suggestion_state"),
            models.Index(
                fields=["routed_unit", "handling", "due_on"],
                condition=models.Q(routed_unit__isnull=False),
                name="voices_suggestion_inbox",
            ),
            *(
                models.Index(fields=[name], condition=models.Q((f"{name}__isnull", False)), name=index)
                for name, index in [
                    ("category", "voices_suggestion_category"),
                    ("concerns_unit", "voices_suggestion_concerns"),
                    ("escalated_to", "voices_suggestion_escalated"),
                    ("merged_into", "voices_suggestion_merged"),
                ]
            ),
            models.Index(fields=["network", "submitted_at"], name="voices_suggestion_network"),
            models.Index(
                fields=["submitted_at"],
                condition=models.Q(intake_done_at__isnull=True),
                name="voices_suggestion_intake",
            ),
        ]
        constraints = [
            models.UniqueConstraint(fields=["receipt_code"], name="voices_suggestion_receipt"),
            models.UniqueConstraint(
                fields=["idempotency_key"],
                condition=models.Q(idempotency_key__isnull=False),
                name="voices_suggestion_idempotency",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("portal-receipt", args=[self.receipt_code])


class Attachment(models.Model):
    suggestion = models.ForeignKey(Suggestion, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to="suggestions/%Y/%m/")
    original_name = models.CharField(max_length=255)
    mime = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.original_name


class Support(models.Model):
    """A +1; one per participant (a cookie's pseudonymous id), with the network it came from."""

    suggestion = models.ForeignKey(Suggestion, on_delete=models.CASCADE, related_name="supports")
    participant = models.CharField(max_length=64)
    network = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["suggestion", "participant"], name="voices_one_support")
        ]

    def __str__(self) -> str:
        return f"+1 {self.suggestion_id}"


class Transfer(models.Model):
    """The suggestion moved from one unit to another: routed, passed on, or escalated; the history routing
    proposals learn from."""

    suggestion = models.ForeignKey(Suggestion, on_delete=models.CASCADE, related_name="transfers")
    from_unit = models.ForeignKey(Unit, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    to_unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="+")
    reason = models.CharField(max_length=500, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.suggestion_id} → {self.to_unit_id}"


class Response(models.Model):
    suggestion = models.OneToOneField(Suggestion, on_delete=models.CASCADE, related_name="response")
    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="+")
    text = models.TextField(_("answer"), max_length=5000)
    adoption = models.CharField(_("adoption"), max_length=12, choices=Adoption.choices)
    reason = models.TextField(_("reason"), max_length=2000, blank=True)
    problem = models.ForeignKey(
        Problem, null=True, blank=True, on_delete=models.SET_NULL, related_name="from_suggestions"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    answered_at = models.DateTimeField(auto_now_add=True)
    on_time = models.BooleanField(default=True)

    def __str__(self) -> str:
        return f"{self.suggestion_id}: {self.get_adoption_display()}"


class Satisfaction(models.Model):
    suggestion = models.OneToOneField(Suggestion, on_delete=models.CASCADE, related_name="satisfaction")
    rating = models.CharField(_("rating"), max_length=14, choices=Rating.choices)
    comment = models.TextField(_("comment"), max_length=2000, blank=True)
    rated_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.get_rating_display()


class Notification(models.Model):
    """An in-app notice to a staff member (an e-mail goes out too)."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    text = models.CharField(max_length=300)
    url = models.CharField(max_length=300, blank=True)
    read = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["recipient", "read"], name="voices_notification_inbox")]

    def __str__(self) -> str:
        return self.text

"""Vocabularies of the ledger."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class LedgerStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted upward")
    ACCEPTED = "accepted", _("Accepted")
    RETURNED = "returned", _("Returned for revision")


class ProblemSource(models.TextChoices):
    SELF = "self", _("Self-examination")
    SUPERVISION = "supervision", _("Supervision finding")
    PUBLIC = "public", _("Public suggestion")
    FIELD_VISIT = "field_visit", _("Field visit")


class Visibility(models.TextChoices):
    PUBLIC = "public", _("Public")
    INTERNAL = "internal", _("Internal")


class ProblemStatus(models.TextChoices):
    OPEN = "open", _("Being rectified")
    RECTIFIED = "rectified", _("Rectified")


class MeasureStatus(models.TextChoices):
    OPEN = "open", _("In progress")
    CLOSING = "closing", _("Awaiting verification")
    CLOSED = "closed", _("Closed")


class KeyLinkStatus(models.TextChoices):
    NOT_STARTED = "not_started", _("Not started")
    IN_PROGRESS = "in_progress", _("In progress")
    DONE = "done", _("Done")


class EventKind(models.TextChoices):
    CREATED = "created", _("Created")
    EDITED = "edited", _("Edited")
    PROGRESS = "progress", _("Progress update")
    EVIDENCE = "evidence", _("Evidence attached")
    CLOSE_REQUESTED = "close_requested", _("Closing requested")
    VERIFIED = "verified", _("Verified and closed")
    VERIFICATION_REFUSED = "verification_refused", _("Verification refused")
    SUBMITTED = "submitted", _("Approved and submitted upward")
    ACCEPTED = "accepted", _("Accepted by the level above")
    RETURNED = "returned", _("Returned by the level above")
    REOPENED = "reopened", _("Reopened for revision")

"""Vocabularies of opinion maps."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class MapStatus(models.TextChoices):
    DRAFT = "draft", _("Being prepared")
    OPEN = "open", _("Open for votes")
    CLOSED = "closed", _("Closed")


class StatementStatus(models.TextChoices):
    PENDING = "pending", _("Awaiting moderation")
    ACCEPTED = "accepted", _("Accepted")
    REJECTED = "rejected", _("Rejected")


class Choice(models.IntegerChoices):
    """A vote, with Pol.is's signs (as in its CSV exports): +1 agree, -1 disagree, 0 pass."""

    AGREE = 1, _("Agree")
    DISAGREE = -1, _("Disagree")
    PASS = 0, _("Pass / unsure")


class StatementOrigin(models.TextChoices):
    SEED = "seed", _("Seeded by the moderators")
    SUGGESTION = "suggestion", _("From a public suggestion")
    PARTICIPANT = "participant", _("Written by a participant")
    IMPORTED = "imported", _("Imported")

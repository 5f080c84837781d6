"""Vocabularies of public suggestions."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Moderation(models.TextChoices):
    PENDING = "pending", _("Awaiting moderation")
    PUBLISHED = "published", _("Published")
    REJECTED = "rejected", _("Rejected")
    SPAM = "spam", _("Spam")
    MERGED = "merged", _("Merged into another")


class Handling(models.TextChoices):
    UNROUTED = "unrouted", _("Not yet routed")
    ROUTED = "routed", _("Awaiting the unit's answer")
    ANSWERED = "answered", _("Answered")


class Adoption(models.TextChoices):
    ADOPTED = "adopted", _("Adopted")
    PARTLY = "partly", _("Partly adopted")
    NOT_ADOPTED = "not_adopted", _("Not adopted")


class Rating(models.TextChoices):
    SATISFIED = "satisfied", _("Satisfied")
    PARTLY = "partly", _("Partly satisfied")
    NOT_SATISFIED = "not_satisfied", _("Not satisfied")

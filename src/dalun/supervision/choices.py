"""Vocabularies of supervision."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class MemberRole(models.TextChoices):
    LEADER = "leader", _("Group leader")
    MEMBER = "member", _("Member")


class InspectionKind(models.TextChoices):
    ANNOUNCED = "announced", _("Announced inspection")
    SPOT = "spot", _("Spot check")


class InspectionStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    RECORDED = "recorded", _("Recorded")


class InspectionMethod(models.TextChoices):
    SITE_VISIT = "site_visit", _("Site visit")
    DOCUMENT_REVIEW = "document_review", _("Review of documents and ledgers")
    INTERVIEWS = "interviews", _("Interviews and talks")
    QUESTIONNAIRE = "questionnaire", _("Questionnaire")
    UNANNOUNCED_VISIT = "unannounced_visit", _("Unannounced visit")


class FindingOrigin(models.TextChoices):
    INSPECTION = "inspection", _("Inspection")
    ALERT = "alert", _("Confirmed alert")


class ChecklistAnswer(models.TextChoices):
    YES = "yes", _("Meets the requirement")
    PARTLY = "partly", _("Partly")
    NO = "no", _("Does not meet it")
    NOT_CHECKED = "", _("Not checked")

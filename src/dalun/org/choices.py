"""Kinds of unit and roles: the organisation's vocabulary, shared by every campaign."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class UnitKind(models.TextChoices):
    PROVINCE = "province", _("Province")
    PREFECTURE_CITY = "prefecture_city", _("Prefecture-level city")
    DISTRICT = "district", _("District")
    COUNTY = "county", _("County")
    COUNTY_LEVEL_CITY = "county_level_city", _("County-level city")
    STATISTICAL_ZONE = "statistical_zone", _("Statistical zone")
    SUBDISTRICT = "subdistrict", _("Subdistrict")
    TOWN = "town", _("Town")
    TOWNSHIP = "township", _("Township")
    TOWNSHIP_LIKE = "township_like", _("Township-level unit")
    RESIDENTS_COMMITTEE = "residents_committee", _("Residents' committee")
    VILLAGERS_COMMITTEE = "villagers_committee", _("Villagers' committee")
    RESIDENTS_COMMITTEE_LIKE = "residents_committee_like", _("Residents' committee-like unit")
    VILLAGERS_COMMITTEE_LIKE = "villagers_committee_like", _("Villagers' committee-like unit")
    DEPARTMENT = "department", _("Department")
    UNIVERSITY = "university", _("University")
    ENTERPRISE = "enterprise", _("State-owned enterprise")
    PARTY_COMMITTEE = "party_committee", _("Party committee")
    DEVELOPMENT_ZONE = "development_zone", _("Development zone")
    OTHER = "other", _("Other")


class Role(models.TextChoices):
    OFFICE = "office", _("Leading-group office")
    FIRST_RESPONSIBLE = "first_responsible", _("First responsible person")
    CLERK = "clerk", _("Clerk")
    SUPERVISOR = "supervisor", _("Supervisor")
    ASSESSOR = "assessor", _("Assessor")
    MODERATOR = "moderator", _("Moderator")
    FIELD_CADRE = "field_cadre", _("Field cadre")

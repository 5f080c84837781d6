"""A campaign made from a template: its vocabulary (categories, key links, breakthroughs, requirement
classes, phases) and its deployments to subtrees of the organisation.

Texts that a template gives in two languages are stored as ``{"zh-hans": ..., "en": ...}`` and shown with
the ``loc`` template filter.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from dalun.org.models import Unit


def localized(text: dict[str, str] | None, language: str | None = None) -> str:
    """Pick the active language's text from a ``{"zh-hans": ..., "en": ...}`` mapping."""
    if not text:
        return ""
    language = (language or get_language() or "zh-hans").lower()
    return text.get(language) or text.get(language.split("-")[0]) or text.get("zh-hans") or ""


class Campaign(models.Model):
    key = models.SlugField(_("key"), max_length=64, unique=True)
    name = models.JSONField(_("name"))
    description = models.JSONField(_("description"), default=dict)
    template_key = models.CharField(_("template"), max_length=64)
    template_source = models.TextField(_("template text"))
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))
    deadlines = models.JSONField(_("deadlines"), default=dict)
    owner_unit = models.ForeignKey(
        Unit, verbose_name=_("leading unit"), on_delete=models.PROTECT, related_name="campaigns"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        ordering = ["-starts_on", "key"]

    def __str__(self) -> str:
        return localized(self.name)

    def get_absolute_url(self) -> str:
        return reverse("campaign-detail", args=[self.key])


class CampaignPart(models.Model):
    """What every piece of a campaign's vocabulary has: a key, a place in the list and a name."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="+")
    key = models.SlugField(_("key"), max_length=64)
    position = models.PositiveSmallIntegerField(_("position"))
    name = models.JSONField(_("name"))
    description = models.JSONField(_("description"), default=dict, blank=True)

    class Meta:
        abstract = True
        ordering = ["campaign", "position"]

    def __str__(self) -> str:
        return localized(self.name)


class ProblemCategory(CampaignPart):
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="categories")
    symptom = models.JSONField(_("symptom"), default=dict)
    examples = models.JSONField(_("examples"), default=list, blank=True)

    class Meta(CampaignPart.Meta):
        verbose_name = _("problem category")
        verbose_name_plural = _("problem categories")
        constraints = [models.UniqueConstraint(fields=["campaign", "key"], name="campaigns_category_key")]


class RequirementClass(CampaignPart):
    """Different requirements at different levels and in different fields: one class per group of kinds."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="requirement_classes")
    unit_kinds = models.JSONField(_("unit kinds"), default=list)
    requirements = models.JSONField(_("requirements"), default=list)

    class Meta(CampaignPart.Meta):
        verbose_name = _("requirement class")
        verbose_name_plural = _("requirement classes")
        constraints = [models.UniqueConstraint(fields=["campaign", "key"], name="campaigns_reqclass_key")]


class KeyLink(CampaignPart):
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="key_links")
    starts_on = models.DateField(_("window opens"))
    ends_on = models.DateField(_("window closes"))
    applies_to = models.JSONField(
        _("applies to"), default=list, help_text=_("requirement class keys, or all")
    )
    evidence_required = models.BooleanField(_("evidence required"), default=True)

    class Meta(CampaignPart.Meta):
        verbose_name = _("key link")
        verbose_name_plural = _("key links")
        constraints = [models.UniqueConstraint(fields=["campaign", "key"], name="campaigns_keylink_key")]

    def applies_to_class(self, requirement_class_key: str | None) -> bool:
        return "all" in self.applies_to or requirement_class_key in self.applies_to


class Breakthrough(CampaignPart):
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="breakthroughs")

    class Meta(CampaignPart.Meta):
        verbose_name = _("breakthrough")
        verbose_name_plural = _("breakthroughs")
        constraints = [models.UniqueConstraint(fields=["campaign", "key"], name="campaigns_breakthrough_key")]


class Phase(CampaignPart):
    """A stretch of the campaign and the capabilities it opens (``suggestion.create``, ``ledger.edit``...)."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="phases")
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))
    allows = models.JSONField(_("capabilities"), default=list)

    class Meta(CampaignPart.Meta):
        verbose_name = _("phase")
        verbose_name_plural = _("phases")
        constraints = [models.UniqueConstraint(fields=["campaign", "key"], name="campaigns_phase_key")]

    def covers(self, day: datetime.date) -> bool:
        return self.starts_on <= day <= self.ends_on


class Deployment(models.Model):
    """The campaign sent down to a subtree: every unit in it gets the key links that apply to its kind."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="deployments")
    root = models.ForeignKey(Unit, verbose_name=_("subtree"), on_delete=models.PROTECT, related_name="+")
    deployed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    deployed_at = models.DateTimeField(auto_now_add=True)
    units_covered = models.PositiveIntegerField(default=0)
    obligations_created = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("deployment")
        verbose_name_plural = _("deployments")
        ordering = ["-deployed_at"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "root"], name="campaigns_unique_deployment")
        ]

    def __str__(self) -> str:
        return f"{self.campaign} → {self.root}"


class KeyLinkObligation(models.Model):
    """One unit must complete one key link of a campaign."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="+")
    key_link = models.ForeignKey(KeyLink, on_delete=models.CASCADE, related_name="obligations")
    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="key_link_obligations")
    deployment = models.ForeignKey(Deployment, on_delete=models.CASCADE, related_name="obligations")

    class Meta:
        verbose_name = _("key-link obligation")
        verbose_name_plural = _("key-link obligations")
        ordering = ["unit", "key_link__position"]
        constraints = [
            models.UniqueConstraint(fields=["unit", "key_link"], name="campaigns_unique_obligation")
        ]

    def __str__(self) -> str:
        return f"{self.unit} · {self.key_link}"

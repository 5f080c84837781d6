"""Liaison supervision: groups, the units they cover, inspections, findings and rectification notices.

A group's members hold the ``supervisor`` role over the units the group covers; those role assignments are
materialised (and marked by :class:`GroupRoleGrant`) so that ``dalun.org.policy`` stays the one place that
decides. Every finding becomes a problem (source "supervision") in the inspected unit's ledger and is
rectified there through the unit's ordinary measures, evidence and verification.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from dalun.campaigns.models import Campaign, ProblemCategory
from dalun.ledger.choices import Visibility
from dalun.ledger.models import Problem
from dalun.org.models import Person, RoleAssignment, Unit
from dalun.supervision.choices import (
    FindingOrigin,
    InspectionKind,
    InspectionMethod,
    InspectionStatus,
    MemberRole,
)


class SupervisionGroup(models.Model):
    """A liaison supervision group formed by the leading-group office of ``leading_unit``."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="supervision_groups")
    name = models.CharField(_("name"), max_length=200)
    leading_unit = models.ForeignKey(
        Unit, verbose_name=_("formed by"), on_delete=models.PROTECT, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("supervision group")
        verbose_name_plural = _("supervision groups")
        ordering = ["campaign_id", "name", "id"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("supervision-group", args=[self.pk])


class GroupMember(models.Model):
    group = models.ForeignKey(SupervisionGroup, on_delete=models.CASCADE, related_name="members")
    person = models.ForeignKey(Person, verbose_name=_("person"), on_delete=models.CASCADE, related_name="+")
    role = models.CharField(_("role in the group"), max_length=10, choices=MemberRole.choices)

    class Meta:
        verbose_name = _("group member")
        verbose_name_plural = _("group members")
        ordering = ["group_id", "role", "id"]
        constraints = [models.UniqueConstraint(fields=["group", "person"], name="supervision_member_once")]

    def __str__(self) -> str:
        return f"{self.person} · {self.get_role_display()}"


class GroupCoverage(models.Model):
    """The group supervises this unit and its whole subtree."""

    group = models.ForeignKey(SupervisionGroup, on_delete=models.CASCADE, related_name="coverage")
    unit = models.ForeignKey(Unit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("covered unit")
        verbose_name_plural = _("covered units")
        ordering = ["group_id", "unit__path"]
        constraints = [models.UniqueConstraint(fields=["group", "unit"], name="supervision_cover_once")]

    def __str__(self) -> str:
        return f"{self.group} → {self.unit}"


class GroupRoleGrant(models.Model):
    """Marks a supervisor role assignment created because of group membership x coverage.

    Assignments made by hand carry no grant and are never removed by the groups' services.
    """

    assignment = models.OneToOneField(RoleAssignment, on_delete=models.CASCADE, related_name="+")

    def __str__(self) -> str:
        return str(self.assignment_id)


class Inspection(models.Model):
    group = models.ForeignKey(SupervisionGroup, on_delete=models.CASCADE, related_name="inspections")
    unit = models.ForeignKey(
        Unit, verbose_name=_("inspected unit"), on_delete=models.PROTECT, related_name="+"
    )
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(_("kind"), max_length=10, choices=InspectionKind.choices)
    status = models.CharField(
        _("status"), max_length=10, choices=InspectionStatus.choices, default=InspectionStatus.PLANNED
    )
    planned_on = models.DateField(_("planned date"))
    inspected_on = models.DateField(_("date of inspection"), null=True, blank=True)
    method = models.CharField(_("method"), max_length=20, choices=InspectionMethod.choices, blank=True)
    checked = models.TextField(_("what was checked"), max_length=4000, blank=True)
    # The campaign's checklist frozen when planned: [{"key", "text": {lang: str}, "answer", "note"}].
    checklist = models.JSONField(_("checklist"), default=list, blank=True)
    follows = models.ForeignKey(
        "self",
        verbose_name=_("re-inspection of"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="reinspections",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("inspection")
        verbose_name_plural = _("inspections")
        ordering = ["-planned_on", "-id"]
        indexes = [models.Index(fields=["unit", "campaign"], name="supervision_inspection_unit")]

    def __str__(self) -> str:
        return f"{self.unit} · {self.get_kind_display()} · {self.planned_on}"

    def get_absolute_url(self) -> str:
        return reverse("supervision-inspection", args=[self.pk])


class RectificationNotice(models.Model):
    """A written notice to the unit's head listing an inspection's findings and the rectification deadline."""

    inspection = models.ForeignKey(Inspection, on_delete=models.CASCADE, related_name="notices")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    text = models.TextField(_("requirements"), max_length=4000)
    deadline = models.DateField(_("rectification deadline"))
    deadline_estimated = models.BooleanField(default=False)
    recipients = models.CharField(_("issued to"), max_length=300, blank=True)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    issued_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("rectification notice")
        verbose_name_plural = _("rectification notices")
        ordering = ["-issued_at", "-id"]

    def __str__(self) -> str:
        return f"{self.unit} · {self.deadline}"

    def get_absolute_url(self) -> str:
        return reverse("supervision-inspection", args=[self.inspection_id]) + f"#notice-{self.pk}"


class Finding(models.Model):
    """Something a supervisor found wrong in a unit; rectified through the ledger problem it created."""

    inspection = models.ForeignKey(
        Inspection, null=True, blank=True, on_delete=models.PROTECT, related_name="findings"
    )
    unit = models.ForeignKey(Unit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+")
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="+")
    category = models.ForeignKey(
        ProblemCategory, verbose_name=_("category"), on_delete=models.PROTECT, related_name="+"
    )
    text = models.TextField(_("finding"), max_length=4000)
    evidence_note = models.TextField(_("evidence notes"), max_length=4000, blank=True)
    deadline = models.DateField(_("rectification deadline"))
    deadline_estimated = models.BooleanField(default=False)
    problem = models.OneToOneField(
        Problem, on_delete=models.PROTECT, related_name="supervision_finding", verbose_name=_("problem")
    )
    origin = models.CharField(
        _("origin"), max_length=12, choices=FindingOrigin.choices, default=FindingOrigin.INSPECTION
    )
    origin_ref = models.CharField(_("origin reference"), max_length=100, blank=True)
    visibility = models.CharField(
        _("visibility"), max_length=10, choices=Visibility.choices, default=Visibility.INTERNAL
    )
    notice = models.ForeignKey(
        RectificationNotice, null=True, blank=True, on_delete=models.SET_NULL, related_name="findings"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("finding")
        verbose_name_plural = _("findings")
        ordering = ["deadline", "id"]
        indexes = [models.Index(fields=["unit", "campaign"], name="supervision_finding_unit")]

    def __str__(self) -> str:
        return self.text[:60]

    def get_absolute_url(self) -> str:
        return reverse("supervision-finding", args=[self.pk])


class FindingEvidence(models.Model):
    """A file backing a finding (photo, document); its type was checked by content like ledger evidence."""

    finding = models.ForeignKey(Finding, on_delete=models.CASCADE, related_name="evidence")
    file = models.FileField(upload_to="supervision/%Y/%m/")
    original_name = models.CharField(_("file name"), max_length=255)
    mime = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("finding evidence")
        verbose_name_plural = _("finding evidence")
        ordering = ["uploaded_at", "id"]

    def __str__(self) -> str:
        return self.original_name

    def get_absolute_url(self) -> str:
        return reverse("supervision-evidence", args=[self.pk])

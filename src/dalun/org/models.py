"""The organisation tree, the people in it and the roles they hold over subtrees."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from dalun.org import paths
from dalun.org.choices import Role, UnitKind


class UnitQuerySet(models.QuerySet["Unit"]):
    def subtree_of(self, unit: Unit, *, include_self: bool = True) -> UnitQuerySet:
        """The unit and everything below it, as one index range scan on ``path``."""
        lower = unit.path if include_self else unit.path + paths.ALPHABET[0]
        return self.filter(path__gte=lower, path__lt=paths.subtree_upper_bound(unit.path))

    def ancestors_of(self, unit: Unit) -> UnitQuerySet:
        return self.filter(path__in=paths.ancestor_paths(unit.path)).order_by("path")


class Unit(models.Model):
    """A node of the organisation tree: a division (province ... village) or a body (department ...)."""

    path = models.CharField(_("tree path"), max_length=255, unique=True, editable=False)
    depth = models.PositiveSmallIntegerField(_("depth"), editable=False)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent unit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
        db_index=False,  # the (parent, path) index below serves lookups by parent, in tree order
    )
    kind = models.CharField(_("kind"), max_length=32, choices=UnitKind.choices)
    code = models.CharField(_("official code"), max_length=32, unique=True, null=True, blank=True)
    name = models.CharField(_("name (Chinese)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=300, blank=True)
    name_pinyin = models.CharField(_("name (pinyin)"), max_length=400, blank=True)
    duties = models.TextField(
        _("duties"),
        blank=True,
        help_text=_("What the unit is responsible for; used to route public suggestions to it."),
    )
    # Normalised name, English name, pinyin and code, so one LIKE serves search in any language.
    search_text = models.TextField(editable=False, default="")
    child_count = models.PositiveIntegerField(_("children"), default=0, editable=False)
    version = models.PositiveIntegerField(default=1, editable=False)

    objects = UnitQuerySet.as_manager()

    class Meta:
        verbose_name = _("unit")
        verbose_name_plural = _("units")
        ordering = ["path"]
        indexes = [models.Index(fields=["parent", "path"], name="org_unit_parent_path")]

    def __str__(self) -> str:
        return self.display_name

    def get_absolute_url(self) -> str:
        return reverse("unit-detail", args=[self.pk])

    @property
    def display_name(self) -> str:
        """The name in the active language (English falls back to Chinese where none is recorded)."""
        if (get_language() or "").startswith("en") and self.name_en:
            return self.name_en
        return self.name

    def is_within(self, other: Unit) -> bool:
        """True when this unit is ``other`` or lies below it."""
        return self.path.startswith(other.path)


class Person(AbstractUser):
    """A staff member who signs in. The public never has an account of this kind."""

    display_name = models.CharField(_("display name"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("person")
        verbose_name_plural = _("people")
        ordering = ["username"]

    def __str__(self) -> str:
        return self.display_name or self.username


class RoleAssignment(models.Model):
    """A person holds a role over a unit and its whole subtree."""

    person = models.ForeignKey(
        Person, verbose_name=_("person"), on_delete=models.CASCADE, related_name="role_assignments"
    )
    role = models.CharField(_("role"), max_length=32, choices=Role.choices)
    unit = models.ForeignKey(
        Unit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="role_assignments"
    )

    class Meta:
        verbose_name = _("role assignment")
        verbose_name_plural = _("role assignments")
        ordering = ["unit__path", "role"]
        constraints = [
            models.UniqueConstraint(fields=["person", "role", "unit"], name="org_unique_role_assignment"),
        ]

    def __str__(self) -> str:
        return f"{self.person} · {self.get_role_display()} · {self.unit}"


class ImportJob(models.Model):
    """One uploaded unit file, imported by a task so the page can show progress."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting")
        RUNNING = "running", _("Importing")
        DONE = "done", _("Imported")
        FAILED = "failed", _("Refused")

    created_by = models.ForeignKey(Person, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    file = models.FileField(upload_to="imports/units/")
    original_name = models.CharField(max_length=255)
    encoding = models.CharField(max_length=20, default="utf-8")
    # Errors are written in the uploader's language, by a worker that has no request of its own.
    language = models.CharField(max_length=10, default="zh-hans")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    rows_imported = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True)

    class Meta:
        verbose_name = _("unit import")
        verbose_name_plural = _("unit imports")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.original_name

    def get_absolute_url(self) -> str:
        return reverse("unit-import-detail", args=[self.pk])

    @property
    def progress_cache_key(self) -> str:
        return f"unit-import:{self.pk}:progress"

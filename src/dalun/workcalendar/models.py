"""Official days entered by the leading-group office, laid over the holiday package's data.

The package covers only the years published when it was released; the State Council publishes each
year's schedule a few weeks before the year starts. These rows let the office enter (or correct) a
year's holidays and make-up workdays without waiting for a package release.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from dalun.engines import workdays


class OfficialDay(models.Model):
    """One exceptional day of the national calendar: a public holiday or a make-up workday (调休)."""

    class Kind(models.TextChoices):
        HOLIDAY = workdays.HOLIDAY, _("Holiday")
        WORKDAY = workdays.WORKDAY, _("Make-up workday")

    date = models.DateField(_("date"), unique=True)
    kind = models.CharField(_("kind of day"), max_length=8, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=64, help_text=_("The festival, e.g. 春节 or 国庆节调休."))
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("entered by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    entered_at = models.DateTimeField(_("entered at"), auto_now=True)

    class Meta:
        verbose_name = _("official day")
        verbose_name_plural = _("official days")
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date:%Y-%m-%d} {self.kind} {self.name}"

    def get_absolute_url(self) -> str:
        return f"{reverse('workcalendar-year')}?year={self.date.year}"

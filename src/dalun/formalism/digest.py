"""The daily digest: each supervisor and each unit's first responsible person learns, once a day, of the
new alerts in their scope and of the deadlines falling in the next few working days.

It goes out as an in-app notification (``voices.Notification``, the platform's one inbox) and an e-mail to
those with an address. A person gets at most one digest a day (``DigestSent``), so running the task twice
sends nothing more; "new" means raised since that person's previous digest (or within the last day).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from dalun.formalism.choices import AlertStatus
from dalun.formalism.conf import thresholds
from dalun.formalism.models import Alert, DigestSent
from dalun.ledger.choices import MeasureStatus
from dalun.ledger.models import Measure
from dalun.org import policy
from dalun.org.choices import Role
from dalun.org.models import Person, RoleAssignment
from dalun.voices.models import Notification
from dalun.workcalendar.selectors import deadline_after

DIGEST_ROLES = (Role.SUPERVISOR, Role.FIRST_RESPONSIBLE)
LISTED = 10


@dataclass
class Digest:
    person: Person
    alerts: list[Alert] = field(default_factory=list)
    deadlines: list[tuple[datetime.date, str, str]] = field(default_factory=list)  # (due, what, unit)

    @property
    def empty(self) -> bool:
        return not self.alerts and not self.deadlines


def digest_for(*, person: Person, today: datetime.date, since: datetime.datetime) -> Digest:
    """What one person's digest holds (their scope: the subtrees of their supervisor or head roles)."""
    units = [
        a.unit
        for a in RoleAssignment.objects.filter(person=person, role__in=DIGEST_ROLES).select_related("unit")
    ]
    digest = Digest(person)
    if not units:
        return digest
    digest.alerts = list(
        Alert.objects.filter(policy.subtree_filter(units, path_field="unit__path"))
        .filter(status=AlertStatus.OPEN, raised_at__gt=since)
        .select_related("unit")
        .order_by("-raised_at", "-id")
    )
    until = deadline_after(today, thresholds()["digest_working_days"]).due
    measures = (
        Measure.objects.filter(policy.subtree_filter(units, path_field="unit__path"))
        .filter(deadline__gte=today, deadline__lte=until)
        .exclude(status=MeasureStatus.CLOSED)
        .select_related("unit")
        .order_by("deadline", "pk")
    )
    digest.deadlines += [
        (m.deadline, _("Measure: %(text)s") % {"text": m.action[:60]}, m.unit.name) for m in measures
    ]
    from dalun.voices.choices import Handling
    from dalun.voices.models import Suggestion

    suggestions = (
        Suggestion.objects.filter(policy.subtree_filter(units, path_field="routed_unit__path"))
        .filter(handling=Handling.ROUTED, due_on__gte=today, due_on__lte=until)
        .select_related("routed_unit")
        .order_by("due_on", "pk")
    )
    digest.deadlines += [
        (s.due_on, _("Suggestion to answer: %(title)s") % {"title": s.title[:60]}, s.routed_unit.name)
        for s in suggestions
        if s.due_on is not None and s.routed_unit is not None
    ]
    digest.deadlines += _findings(units, today, until)
    digest.deadlines.sort(key=lambda item: item[0])
    return digest


def _findings(
    units: list[Any], today: datetime.date, until: datetime.date
) -> list[tuple[datetime.date, str, str]]:
    """Supervision findings due in the window whose ledger problem is not rectified yet."""
    try:
        from dalun.supervision.models import Finding
    except ImportError:
        return []
    from dalun.ledger.choices import ProblemStatus

    findings = (
        Finding.objects.filter(policy.subtree_filter(units, path_field="unit__path"))
        .filter(deadline__gte=today, deadline__lte=until, problem__status=ProblemStatus.OPEN)
        .select_related("unit")
        .order_by("deadline", "pk")
    )
    return [(f.deadline, _("Finding: %(text)s") % {"text": f.text[:60]}, f.unit.name) for f in findings]


def _body(digest: Digest, days: int) -> tuple[str, str]:
    summary = _(
        "Daily digest: %(alerts)d new alerts, %(deadlines)d deadlines in the next %(days)d working days"
    ) % {
        "alerts": len(digest.alerts),
        "deadlines": len(digest.deadlines),
        "days": days,
    }
    lines = [summary, ""]
    if digest.alerts:
        lines.append(_("New alerts:"))
        lines += [
            f"- {alert.get_rule_display()} · {alert.unit.name} · {alert.get_absolute_url()}"
            for alert in digest.alerts[:LISTED]
        ]
        lines.append("")
    if digest.deadlines:
        lines.append(_("Upcoming deadlines:"))
        lines += [f"- {due.isoformat()} {what} ({unit})" for due, what, unit in digest.deadlines[:LISTED]]
    return summary, "\n".join(lines)


def digests_send(*, today: datetime.date | None = None, now: datetime.datetime | None = None) -> int:
    """Send today's digest to every supervisor and first responsible person who has something new."""
    today = today or timezone.localdate()
    now = now or timezone.now()
    days = thresholds()["digest_working_days"]
    people = Person.objects.filter(
        pk__in=RoleAssignment.objects.filter(role__in=DIGEST_ROLES).values("person_id"), is_active=True
    ).order_by("pk")
    sent = 0
    for person in people:
        if DigestSent.objects.filter(person=person, day=today).exists():
            continue
        previous = DigestSent.objects.filter(person=person).order_by("-sent_at").first()
        since = previous.sent_at if previous else now - datetime.timedelta(days=1)
        with translation.override("zh-hans"):
            digest = digest_for(person=person, today=today, since=since)
            if digest.empty:
                continue
            summary, body = _body(digest, days)
        if _send(person, today, digest, summary, body):
            sent += 1
    return sent


@transaction.atomic
def _send(person: Person, today: datetime.date, digest: Digest, summary: str, body: str) -> bool:
    try:
        with transaction.atomic():
            DigestSent.objects.create(
                person=person, day=today, alerts=len(digest.alerts), deadlines=len(digest.deadlines)
            )
    except IntegrityError:  # another worker sent it a moment ago
        return False
    Notification.objects.create(recipient=person, text=summary[:300], url=reverse("formalism-alerts"))
    if person.email:
        address = person.email
        transaction.on_commit(lambda: send_mail(summary[:150], body, None, [address], fail_silently=True))
    return True

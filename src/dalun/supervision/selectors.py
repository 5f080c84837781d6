"""Reads of supervision, scoped by the policy: groups, a supervisor's units, findings and the dashboard.

A finding's rectification state is derived from the ledger problem it created: rectified when every
measure of the problem is closed, on the day the last one closed; "on time" when that day is not after the
finding's deadline.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Count, Max, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from dalun.campaigns.models import Campaign
from dalun.ledger.choices import MeasureStatus, ProblemStatus
from dalun.ledger.models import Counter, DayCounter, Ledger, Measure
from dalun.org import policy
from dalun.org.models import Unit
from dalun.supervision.choices import InspectionStatus
from dalun.supervision.models import Finding, GroupCoverage, GroupMember, Inspection, SupervisionGroup

RECTIFIED_ON_TIME = "rectified_on_time"
RECTIFIED_LATE = "rectified_late"
OVERDUE = "overdue"
OPEN = "open"


def with_rectification(findings: QuerySet[Finding]) -> QuerySet[Finding]:
    """Annotate ``rectified_on``: the day the problem's last measure closed (None while not rectified)."""
    return findings.annotate(
        last_closed=Max("problem__measures__closed_on"),
        measure_count=Count("problem__measures", distinct=True),
        closed_count=Count(
            "problem__measures", filter=Q(problem__measures__status=MeasureStatus.CLOSED), distinct=True
        ),
    )


def rectification_state(finding: Finding, today: datetime.date | None = None) -> str:
    """rectified_on_time, rectified_late, overdue (deadline passed, not rectified) or open."""
    today = today or timezone.localdate()
    if finding.problem.status == ProblemStatus.RECTIFIED:
        closed = getattr(finding, "last_closed", None)
        if closed is None:
            closed = finding.problem.measures.aggregate(day=Max("closed_on"))["day"]
        return RECTIFIED_ON_TIME if closed is not None and closed <= finding.deadline else RECTIFIED_LATE
    return OVERDUE if finding.deadline < today else OPEN


def findings_for_unit(*, actor: Any, unit: Unit, campaign: Campaign) -> QuerySet[Finding]:
    """The findings in the unit's subtree (the unit included), soonest deadline first, for its queue.

    Open to the staff holding a role over the unit (its own people, the level above, its supervisors);
    anyone else is refused. Each row has ``problem``, ``inspection``, ``category`` and ``unit`` fetched and
    ``last_closed`` annotated for :func:`rectification_state`.
    """
    if not policy.allows(actor, "supervision.view", unit):
        raise PermissionDenied("supervision.view is not allowed on this unit")
    rows = Finding.objects.filter(campaign=campaign, unit__in=Unit.objects.subtree_of(unit))
    return with_rectification(
        rows.select_related("problem", "inspection__group", "category", "unit", "notice")
    ).order_by("deadline", "id")


def finding_get(*, actor: Any, finding_id: int) -> Finding:
    """A finding, for the staff over its unit; "not found" for everyone else."""
    finding = (
        Finding.objects.select_related(
            "problem__ledger", "inspection__group", "category", "unit", "campaign", "notice", "created_by"
        )
        .filter(pk=finding_id)
        .first()
    )
    if finding is None or not policy.allows(actor, "supervision.view", finding.unit):
        raise Http404("no such finding")
    return finding


def groups_visible(*, actor: Any, campaign: Campaign | None = None) -> QuerySet[SupervisionGroup]:
    """Groups the actor manages (formed within their office's subtree) or belongs to."""
    rows = SupervisionGroup.objects.all()
    if campaign is not None:
        rows = rows.filter(campaign=campaign)
    if not policy.is_system(actor):
        managed = policy.scope(actor, "supervision.manage", path_field="leading_unit__path")
        rows = rows.filter(managed | Q(members__person_id=actor.pk)).distinct()
    return rows.select_related("campaign", "leading_unit").order_by("campaign_id", "name", "id")


def group_get(*, actor: Any, group_id: int) -> SupervisionGroup:
    group = groups_visible(actor=actor).filter(pk=group_id).first()
    if group is None:
        raise Http404("no such group")
    return group


def may_manage(actor: Any, group: SupervisionGroup) -> bool:
    return policy.allows(actor, "supervision.manage", group.leading_unit)


def inspection_get(*, actor: Any, inspection_id: int) -> Inspection:
    """An inspection, for its group's members and office, and for the staff over the inspected unit once
    it is recorded (a planned spot check stays hidden from the unit)."""
    inspection = (
        Inspection.objects.select_related("group__leading_unit", "unit", "campaign", "follows", "recorded_by")
        .filter(pk=inspection_id)
        .first()
    )
    if inspection is None:
        raise Http404("no such inspection")
    group = inspection.group
    insider = (
        policy.is_system(actor)
        or may_manage(actor, group)
        or (bool(actor.pk) and GroupMember.objects.filter(group=group, person_id=actor.pk).exists())
    )
    if insider:
        return inspection
    if inspection.status == InspectionStatus.RECORDED and policy.allows(
        actor, "supervision.view", inspection.unit
    ):
        return inspection
    raise Http404("no such inspection")


def inspections_of_group(group: SupervisionGroup) -> QuerySet[Inspection]:
    return (
        group.inspections.select_related("unit", "follows")
        .annotate(finding_count=Count("findings"))
        .order_by("-planned_on", "-id")
    )


@dataclass
class UnitOverview:
    """One covered unit as its supervisor sees it: ledger, measures, key links, suggestions, findings."""

    unit: Unit
    groups: list[SupervisionGroup]
    ledger: Ledger | None
    problems: int
    measures_open: int
    measures_overdue: int
    keylinks_done: int
    keylinks_total: int
    suggestions_answered: int
    suggestions_awaiting: int
    suggestions_overdue: int
    findings_open: int
    findings_overdue: int
    next_inspection: Inspection | None

    @property
    def keylink_percent(self) -> int:
        return round(100 * self.keylinks_done / self.keylinks_total) if self.keylinks_total else 0


def my_units(*, actor: Any, campaign: Campaign, today: datetime.date | None = None) -> list[UnitOverview]:
    """The units the actor's groups cover in the campaign, each with its figures, in a bounded number of
    queries (rollup counters for the subtree figures, one aggregate per other source)."""
    from dalun.voices.choices import Handling, Moderation
    from dalun.voices.models import Suggestion

    today = today or timezone.localdate()
    coverage = list(
        GroupCoverage.objects.filter(group__campaign=campaign, group__members__person_id=actor.pk)
        .select_related("unit", "group")
        .order_by("unit__path")
    )
    units: dict[int, Unit] = {}
    groups: dict[int, list[SupervisionGroup]] = {}
    for row in coverage:
        units.setdefault(row.unit_id, row.unit)
        groups.setdefault(row.unit_id, [])
        if row.group not in groups[row.unit_id]:
            groups[row.unit_id].append(row.group)
    if not units:
        return []
    ids = list(units)
    counters: dict[int, dict[tuple[str, str], int]] = {pk: {} for pk in ids}
    for unit_id, metric, key, value in Counter.objects.filter(campaign=campaign, unit_id__in=ids).values_list(
        "unit_id", "metric", "key", "value"
    ):
        counters[unit_id][(metric, key)] = value
    overdue: dict[int, int] = dict.fromkeys(ids, 0)
    open_all: dict[int, int] = dict.fromkeys(ids, 0)
    for unit_id, day, value in DayCounter.objects.filter(
        campaign=campaign, unit_id__in=ids, metric__in=["open_due", "closing_due"]
    ).values_list("unit_id", "day", "value"):
        open_all[unit_id] += value
        if day < today:
            overdue[unit_id] += value
    ledgers = {ledger.unit_id: ledger for ledger in Ledger.objects.filter(campaign=campaign, unit_id__in=ids)}
    upcoming: dict[int, Inspection] = {}
    # One aggregate query per source for all covered units: each unit's subtree is a filtered count.
    covered = list(units.values())
    published = Suggestion.objects.filter(campaign=campaign, moderation=Moderation.PUBLISHED).filter(
        policy.subtree_filter(covered, path_field="routed_unit__path")
    )
    routed = Q(handling=Handling.ROUTED)
    suggestion_counts = published.aggregate(
        **_per_subtree(covered, "routed_unit__path", "answered", Q(handling=Handling.ANSWERED)),
        **_per_subtree(covered, "routed_unit__path", "awaiting", routed),
        **_per_subtree(covered, "routed_unit__path", "overdue", routed & Q(due_on__lt=today)),
    )
    not_rectified = ~Q(problem__status=ProblemStatus.RECTIFIED)
    finding_counts = (
        Finding.objects.filter(campaign=campaign)
        .filter(policy.subtree_filter(covered, path_field="unit__path"))
        .aggregate(
            **_per_subtree(covered, "unit__path", "open", not_rectified),
            **_per_subtree(covered, "unit__path", "overdue", not_rectified & Q(deadline__lt=today)),
        )
    )
    suggestions = {
        pk: {name: suggestion_counts[f"{name}_{pk}"] for name in ("answered", "awaiting", "overdue")}
        for pk in ids
    }
    findings = {pk: {name: finding_counts[f"{name}_{pk}"] for name in ("open", "overdue")} for pk in ids}
    for inspection in Inspection.objects.filter(
        campaign=campaign, unit_id__in=ids, status=InspectionStatus.PLANNED
    ).order_by("-planned_on"):
        upcoming[inspection.unit_id] = inspection  # the earliest wins, being written last
    rows = []
    for pk, unit in units.items():
        own = counters[pk]
        keylinks = {key: value for (metric, key), value in own.items() if metric == "keylink"}
        rows.append(
            UnitOverview(
                unit=unit,
                groups=groups[pk],
                ledger=ledgers.get(pk),
                problems=sum(value for (metric, _key), value in own.items() if metric == "problems"),
                measures_open=open_all[pk],
                measures_overdue=overdue[pk],
                keylinks_done=sum(v for key, v in keylinks.items() if key.endswith("|done")),
                keylinks_total=sum(keylinks.values()),
                suggestions_answered=suggestions[pk]["answered"],
                suggestions_awaiting=suggestions[pk]["awaiting"],
                suggestions_overdue=suggestions[pk]["overdue"],
                findings_open=findings[pk]["open"],
                findings_overdue=findings[pk]["overdue"],
                next_inspection=upcoming.get(pk),
            )
        )
    return rows


def _per_subtree(units: list[Unit], path_field: str, name: str, condition: Q) -> dict[str, Count]:
    """``{name_<unit pk>: Count(rows in that unit's subtree matching condition)}`` for one aggregate."""
    return {
        f"{name}_{unit.pk}": Count(
            "id", filter=condition & policy.subtree_filter([unit], path_field=path_field)
        )
        for unit in units
    }


@dataclass
class UnitFindings:
    unit: Unit
    total: int
    open: int
    overdue: int


@dataclass
class SupervisionDashboard:
    unit: Unit
    campaign: Campaign
    total: int
    rectified: int
    rectified_on_time: int
    open: int
    overdue: int
    by_unit: list[UnitFindings]
    alerts: list[tuple[str, str, dict[str, int]]] | None  # (kind, label, counts); None without the alerts app
    inspections_recorded: int
    inspections_planned: int

    @property
    def on_time_rate(self) -> int | None:
        """Share of rectified findings rectified by their deadline, in percent (None before any)."""
        return round(100 * self.rectified_on_time / self.rectified) if self.rectified else None


def _alert_counts(
    *, actor: Any, unit: Unit, campaign: Campaign
) -> list[tuple[str, str, dict[str, int]]] | None:
    """Formalism alerts by kind as (kind, label, {"open", "confirmed", "dismissed"}), from
    ``dalun.formalism`` when it is installed (None otherwise)."""
    try:
        from dalun.formalism.selectors import alert_counts
    except ImportError:
        return None
    try:
        from dalun.formalism.choices import AlertKind

        labels = {str(value): str(label) for value, label in AlertKind.choices}
    except ImportError:
        labels = {}
    counts = alert_counts(actor=actor, unit=unit, campaign=campaign)
    return [(kind, labels.get(kind, kind), dict(values)) for kind, values in counts.items()]


def dashboard(
    *, actor: Any, unit: Unit, campaign: Campaign, today: datetime.date | None = None, limit: int = 10
) -> SupervisionDashboard:
    """Findings over a subtree: totals, on-time rectification, the units with most findings, and alerts."""
    if not policy.allows(actor, "supervision.view", unit):
        raise PermissionDenied("supervision.view is not allowed on this unit")
    today = today or timezone.localdate()
    subtree = Unit.objects.subtree_of(unit)
    rows = Finding.objects.filter(campaign=campaign, unit__in=subtree)
    not_rectified = ~Q(problem__status=ProblemStatus.RECTIFIED)
    totals = rows.aggregate(
        total=Count("id"),
        rectified=Count("id", filter=Q(problem__status=ProblemStatus.RECTIFIED)),
        open=Count("id", filter=not_rectified),
        overdue=Count("id", filter=not_rectified & Q(deadline__lt=today)),
    )
    # A rectified problem's last measure closed on the latest closed_on of its measures.
    rectified = (
        rows.filter(problem__status=ProblemStatus.RECTIFIED)
        .annotate(last_closed=Max("problem__measures__closed_on"))
        .values_list("deadline", "last_closed")
    )
    on_time = sum(1 for deadline, closed in rectified if closed is not None and closed <= deadline)
    per_unit = list(
        rows.values("unit_id")
        .annotate(
            total=Count("id"),
            open=Count("id", filter=not_rectified),
            overdue=Count("id", filter=not_rectified & Q(deadline__lt=today)),
        )
        .order_by("-total", "-overdue", "unit_id")[:limit]
    )
    names = Unit.objects.in_bulk([row["unit_id"] for row in per_unit])
    inspections = Inspection.objects.filter(campaign=campaign, unit__in=subtree).aggregate(
        recorded=Count("id", filter=Q(status=InspectionStatus.RECORDED)),
        planned=Count("id", filter=Q(status=InspectionStatus.PLANNED)),
    )
    return SupervisionDashboard(
        unit=unit,
        campaign=campaign,
        total=totals["total"],
        rectified=totals["rectified"],
        rectified_on_time=on_time,
        open=totals["open"],
        overdue=totals["overdue"],
        by_unit=[
            UnitFindings(names[row["unit_id"]], row["total"], row["open"], row["overdue"]) for row in per_unit
        ],
        alerts=_alert_counts(actor=actor, unit=unit, campaign=campaign),
        inspections_recorded=inspections["recorded"],
        inspections_planned=inspections["planned"],
    )


def open_measures(finding: Finding) -> QuerySet[Measure]:
    return finding.problem.measures.order_by("deadline", "id")

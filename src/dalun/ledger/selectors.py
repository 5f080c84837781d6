"""Reads of ledgers, scoped by the policy, with the rows a page shows fetched in bulk."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.db.models import F, Prefetch, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from dalun.campaigns.models import Campaign, KeyLinkObligation
from dalun.ledger.choices import KeyLinkStatus, MeasureStatus, Visibility
from dalun.ledger.models import Event, Evidence, KeyLinkProgress, Ledger, Measure, Problem
from dalun.org import policy
from dalun.org.models import Unit


def is_overdue(deadline: datetime.date, status: str, today: datetime.date | None = None) -> bool:
    """Flagged the day after the deadline, until closed."""
    return status != MeasureStatus.CLOSED and deadline < (today or timezone.localdate())


@dataclass
class KeyLinkRow:
    obligation: KeyLinkObligation
    progress: KeyLinkProgress | None
    overdue: bool  # flagged the day after the window closes, until done


@dataclass
class LedgerPage:
    unit: Unit
    campaign: Campaign
    ledger: Ledger | None
    problems: list[Problem]
    key_links: list[KeyLinkRow]
    events: list[Event]
    internal: bool  # the actor sees internal problems and the timeline
    today: datetime.date


def ledger_page(*, actor: Any, unit: Unit, campaign: Campaign) -> LedgerPage:
    """A unit's ledger as the actor may see it: staff of the subtree see all, others the public problems."""
    internal = policy.allows(actor, "unit.view_internal", unit)
    ledger = Ledger.objects.filter(unit=unit, campaign=campaign).first()
    problems: list[Problem] = []
    events: list[Event] = []
    if ledger is not None:
        visible = Problem.objects.filter(ledger=ledger)
        if not internal:
            visible = visible.filter(visibility=Visibility.PUBLIC)
        measures = Measure.objects.prefetch_related(
            Prefetch("evidence", Evidence.objects.order_by("uploaded_at"))
        )
        problems = list(
            visible.select_related("category")
            .prefetch_related(Prefetch("measures", measures), "from_suggestions__suggestion")
            .order_by("category__position", "id")
        )
        if internal:
            events = list(
                Event.objects.filter(ledger=ledger)
                .select_related("actor", "measure")
                .order_by("-at", "-id")[:50]
            )
    today = timezone.localdate()
    key_links = []
    for obligation in (
        KeyLinkObligation.objects.filter(unit=unit, campaign=campaign)
        .select_related("key_link", "progress")
        .prefetch_related("progress__evidence")
        .order_by("key_link__position")
    ):
        progress = getattr(obligation, "progress", None)
        done = progress is not None and progress.status == KeyLinkStatus.DONE
        key_links.append(KeyLinkRow(obligation, progress, not done and obligation.key_link.ends_on < today))
    return LedgerPage(
        unit=unit,
        campaign=campaign,
        ledger=ledger,
        problems=problems,
        key_links=key_links,
        events=events,
        internal=internal,
        today=today,
    )


def measure_get(*, actor: Any, measure_id: int) -> Measure:
    """A measure; an internal problem's measures are "not found" outside the subtree's staff."""
    measure = (
        Measure.objects.select_related("problem__category", "problem__ledger", "unit", "campaign")
        .filter(pk=measure_id)
        .first()
    )
    if measure is None or not _may_see(actor, measure.problem):
        raise Http404("no such measure")
    return measure


def evidence_get(*, actor: Any, evidence_id: int) -> Evidence:
    """A file: a public problem's evidence is public; a key link's, or an internal problem's, is for the
    staff of the unit's subtree (others are told it does not exist)."""
    evidence = (
        Evidence.objects.select_related("measure__problem__unit", "unit").filter(pk=evidence_id).first()
    )
    if evidence is None:
        raise Http404("no such evidence")
    if evidence.measure is not None:
        visible = _may_see(actor, evidence.measure.problem)
    else:
        visible = policy.allows(actor, "unit.view_internal", evidence.unit)
    if not visible:
        raise Http404("no such evidence")
    return evidence


def _may_see(actor: Any, problem: Problem) -> bool:
    return problem.visibility == Visibility.PUBLIC or policy.allows(actor, "unit.view_internal", problem.unit)


def measure_list(
    *,
    actor: Any,
    root: Unit,
    campaign: Campaign,
    state: str = "",
    category: str = "",
    today: datetime.date | None = None,
) -> QuerySet[Measure]:
    """The measures of a subtree behind a dashboard figure.

    ``state`` as the dashboard counts: overdue (not closed, deadline passed), on_time (in progress, deadline
    ahead), closing (awaiting verification, deadline ahead), closed, closed_on_time, closed_late; or open.
    """
    today = today or timezone.localdate()
    rows = Measure.objects.filter(campaign=campaign, unit__in=Unit.objects.subtree_of(root))
    if not policy.allows(actor, "unit.view_internal", root):
        rows = rows.filter(problem__visibility=Visibility.PUBLIC)
    conditions = {
        "open": Q(status=MeasureStatus.OPEN),
        "overdue": ~Q(status=MeasureStatus.CLOSED) & Q(deadline__lt=today),
        "on_time": Q(status=MeasureStatus.OPEN, deadline__gte=today),
        "closing": Q(status=MeasureStatus.CLOSING, deadline__gte=today),
        "closed": Q(status=MeasureStatus.CLOSED),
        "closed_on_time": Q(status=MeasureStatus.CLOSED, closed_on__lte=F("deadline")),
        "closed_late": Q(status=MeasureStatus.CLOSED, closed_on__gt=F("deadline")),
    }
    if state in conditions:
        rows = rows.filter(conditions[state])
    if category:
        rows = rows.filter(problem__category__key=category)
    return rows.select_related("unit", "problem__category").order_by("deadline", "id")


def problem_list(
    *,
    actor: Any,
    root: Unit,
    campaign: Campaign,
    category: str = "",
    status: str = "",
) -> QuerySet[Problem]:
    rows = Problem.objects.filter(campaign=campaign, unit__in=Unit.objects.subtree_of(root))
    if not policy.allows(actor, "unit.view_internal", root):
        rows = rows.filter(visibility=Visibility.PUBLIC)
    if category:
        rows = rows.filter(category__key=category)
    if status:
        rows = rows.filter(status=status)
    return rows.select_related("unit", "category").order_by("unit__path", "id")

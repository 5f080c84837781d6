"""A subtree's dashboard, read from the maintained rollups only: a bounded number of small queries
whatever the size of the subtree (the ledger rows themselves are never scanned here)."""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Q, Sum
from django.utils import timezone

from dalun.campaigns.models import Campaign
from dalun.ledger.choices import KeyLinkStatus, ProblemStatus
from dalun.ledger.models import Counter, DayCounter
from dalun.org.models import Unit


@dataclass
class MatrixCell:
    done: int = 0
    in_progress: int = 0
    total: int = 0
    overdue: bool = False

    @property
    def percent(self) -> int:
        return round(100 * self.done / self.total) if self.total else 0

    @property
    def level(self) -> str:
        """A colour class for the matrix: none (no obligation), zero, started, most, all."""
        if not self.total:
            return "none"
        if self.done == self.total:
            return "all"
        if self.done * 2 >= self.total:
            return "most"
        return "started" if self.done or self.in_progress else "zero"


@dataclass
class ChildRow:
    unit: Unit
    cells: list[MatrixCell]
    overdue: int
    open_measures: int

    @property
    def completion(self) -> int:
        total = sum(cell.total for cell in self.cells)
        return round(100 * sum(cell.done for cell in self.cells) / total) if total else 0


@dataclass
class Dashboard:
    unit: Unit
    campaign: Campaign
    today: datetime.date
    categories: list[tuple[str, dict[str, str], dict[str, int]]]  # (key, name, {status: count})
    measures: dict[str, int]
    links: list[tuple[str, dict[str, str]]]
    link_cells: list[MatrixCell]
    children: list[ChildRow]
    most_behind: list[ChildRow]
    timeline: dict[str, list] = field(default_factory=dict)

    @property
    def problem_total(self) -> int:
        return sum(sum(counts.values()) for _key, _name, counts in self.categories)

    @property
    def measure_total(self) -> int:
        return sum(self.measures.values())


def dashboard(*, unit: Unit, campaign: Campaign, today: datetime.date | None = None) -> Dashboard:
    today = today or timezone.localdate()
    categories = list(campaign.categories.order_by("position").values_list("key", "name"))
    links = list(campaign.key_links.order_by("position").values_list("key", "name", "ends_on"))
    children = list(Unit.objects.filter(parent=unit).order_by("path"))
    unit_ids = [unit.pk, *(child.pk for child in children)]

    counters: dict[int, dict[tuple[str, str], int]] = defaultdict(dict)
    rows = Counter.objects.filter(campaign=campaign, unit_id__in=unit_ids)
    for unit_id, metric, key, value in rows.values_list("unit_id", "metric", "key", "value"):
        counters[unit_id][(metric, key)] = value
    due: dict[tuple[int, str], tuple[int, int]] = {}  # (unit, metric) -> (past deadline, all)
    for row in (
        DayCounter.objects.filter(
            campaign=campaign, metric__in=["open_due", "closing_due"], unit_id__in=unit_ids
        )
        .values("unit_id", "metric")
        .annotate(late=Sum("value", filter=Q(day__lt=today)), total=Sum("value"))
        .order_by()
    ):
        due[(row["unit_id"], row["metric"])] = (row["late"] or 0, row["total"] or 0)

    def overdue_of(unit_id: int) -> int:
        return due.get((unit_id, "open_due"), (0, 0))[0] + due.get((unit_id, "closing_due"), (0, 0))[0]

    own = counters[unit.pk]
    open_late, open_all = due.get((unit.pk, "open_due"), (0, 0))
    closing_late, closing_all = due.get((unit.pk, "closing_due"), (0, 0))
    # Every measure not closed after its deadline is overdue, whether or not it awaits verification.
    measures = {
        "overdue": open_late + closing_late,
        "on_time": open_all - open_late,
        "closing": closing_all - closing_late,
        "closed_on_time": own.get(("measures", "closed_on_time"), 0),
        "closed_late": own.get(("measures", "closed_late"), 0),
    }
    by_category = [
        (key, name, {status: own.get(("problems", f"{key}|{status}"), 0) for status in ProblemStatus.values})
        for key, name in categories
    ]

    def cells(unit_counters: dict[tuple[str, str], int]) -> list[MatrixCell]:
        row = []
        for key, _name, ends_on in links:
            done = unit_counters.get(("keylink", f"{key}|{KeyLinkStatus.DONE}"), 0)
            started = unit_counters.get(("keylink", f"{key}|{KeyLinkStatus.IN_PROGRESS}"), 0)
            total = done + started + unit_counters.get(("keylink", f"{key}|{KeyLinkStatus.NOT_STARTED}"), 0)
            row.append(MatrixCell(done, started, total, overdue=done < total and ends_on < today))
        return row

    child_rows = [
        ChildRow(
            child,
            cells(counters[child.pk]),
            overdue_of(child.pk),
            due.get((child.pk, "open_due"), (0, 0))[1] + due.get((child.pk, "closing_due"), (0, 0))[1],
        )
        for child in children
    ]
    behind = sorted(
        (row for row in child_rows if row.overdue or row.completion < 100),
        key=lambda row: (-row.overdue, row.completion),
    )[:10]
    return Dashboard(
        unit=unit,
        campaign=campaign,
        today=today,
        categories=by_category,
        measures=measures,
        links=[(key, name) for key, name, _ends in links],
        link_cells=cells(own),
        children=child_rows,
        most_behind=behind,
        timeline=_timeline(unit=unit, campaign=campaign, today=today),
    )


def _timeline(*, unit: Unit, campaign: Campaign, today: datetime.date) -> dict[str, list]:
    """Measures recorded and closed, cumulated week by week from the campaign's start."""
    start = campaign.starts_on - datetime.timedelta(days=campaign.starts_on.weekday())
    weeks = max((min(today, campaign.ends_on) - start).days // 7 + 1, 1)
    series: dict[str, list[int]] = {"created": [0] * weeks, "closed": [0] * weeks}
    rows = DayCounter.objects.filter(campaign=campaign, unit=unit, metric__in=list(series))
    for metric, day, value in rows.values_list("metric", "day", "value"):
        week = min(max((day - start).days // 7, 0), weeks - 1)
        series[metric][week] += value
    for values in series.values():
        for index in range(1, weeks):
            values[index] += values[index - 1]
    labels = [(start + datetime.timedelta(weeks=index)).isoformat() for index in range(weeks)]
    return {"labels": labels, **series}

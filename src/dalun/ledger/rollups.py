"""Maintained aggregates over subtrees, so dashboards never scan the ledger.

Every row that counts (a problem, a measure, a key-link obligation) *contributes* a few counts. A service
that changes such a row computes the row's contribution before and after, and adds the difference to the
counters of the row's unit and of every ancestor, in the same transaction. ``recompute`` derives every
counter from the rows again, which is how ``dalun rollups verify`` proves them exact and how ``rebuild``
restores them.

Metrics (``Counter``): ``problems`` keyed ``<category>|<status>``; ``measures`` keyed ``open``, ``closing``,
``closed_on_time``, ``closed_late``; ``keylink`` keyed ``<link>|<status>``.
Metrics (``DayCounter``): ``open_due`` and ``closing_due`` (measures in progress and awaiting verification, by
deadline: those before today are overdue),
``closed`` (measures by the day they closed), ``created`` (measures by the day they were recorded).
"""

from __future__ import annotations

import datetime
from collections import Counter as Tally
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db import connection
from django.db.models import Case, Count, F, Q, Value, When
from django.db.models.functions import TruncDate
from django.utils import timezone

from dalun.campaigns.models import KeyLinkObligation
from dalun.ledger.choices import KeyLinkStatus, MeasureStatus
from dalun.ledger.models import Counter, DayCounter, Measure, Problem
from dalun.org import paths
from dalun.org.models import Unit

# Measures not closed, by deadline: in progress, and awaiting verification.
DUE_METRIC: dict[str, str] = {MeasureStatus.OPEN: "open_due", MeasureStatus.CLOSING: "closing_due"}
CounterKey = tuple[str, str]  # (metric, key)
DayKey = tuple[str, datetime.date]  # (metric, day)


@dataclass
class Contribution:
    counters: Tally[CounterKey] = field(default_factory=Tally)
    days: Tally[DayKey] = field(default_factory=Tally)

    def __sub__(self, other: Contribution) -> Contribution:
        counters, days = Tally(self.counters), Tally(self.days)
        counters.subtract(other.counters)
        days.subtract(other.days)
        return Contribution(
            Tally({k: v for k, v in counters.items() if v}), Tally({k: v for k, v in days.items() if v})
        )

    def __bool__(self) -> bool:
        return bool(self.counters or self.days)


NOTHING = Contribution()


def problem_contribution(*, category_key: str, status: str) -> Contribution:
    return Contribution(counters=Tally({("problems", f"{category_key}|{status}"): 1}))


def measure_state(status: str, deadline: datetime.date, closed_on: datetime.date | None) -> str:
    if status != MeasureStatus.CLOSED:
        return status
    return "closed_late" if closed_on and closed_on > deadline else "closed_on_time"


def measure_contribution(measure: Measure) -> Contribution:
    contribution = Contribution()
    contribution.counters[
        ("measures", measure_state(measure.status, measure.deadline, measure.closed_on))
    ] += 1
    if measure.status == MeasureStatus.CLOSED and measure.closed_on:
        contribution.days[("closed", measure.closed_on)] += 1
    else:
        contribution.days[(DUE_METRIC[measure.status], measure.deadline)] += 1
    contribution.days[("created", timezone.localdate(measure.created_at))] += 1
    return contribution


def keylink_contribution(*, link_key: str, status: str) -> Contribution:
    return Contribution(counters=Tally({("keylink", f"{link_key}|{status}"): 1}))


def unit_and_ancestor_ids(unit: Unit) -> list[int]:
    return list(
        Unit.objects.filter(path__in=[*paths.ancestor_paths(unit.path), unit.path]).values_list(
            "pk", flat=True
        )
    )


def apply(*, unit: Unit, campaign_id: int, delta: Contribution) -> None:
    """Add ``delta`` to the counters of ``unit`` and of all its ancestors, inside the write's transaction."""
    if not delta:
        return
    unit_ids = unit_and_ancestor_ids(unit)
    add_counters(
        [
            (unit_id, campaign_id, metric, key, value)
            for unit_id in unit_ids
            for (metric, key), value in delta.counters.items()
        ]
    )
    add_days(
        [
            (unit_id, campaign_id, metric, day, value)
            for unit_id in unit_ids
            for (metric, day), value in delta.days.items()
        ]
    )


def add_new_obligations(
    *, campaign_id: int, id_of_path: dict[str, int], new: dict[tuple[str, str], int]
) -> None:
    """Count newly deployed key-link obligations (not started) in every ancestor's counters.

    ``new`` maps (unit path, link key) to a count; ``id_of_path`` holds the ids of those units and of all
    their ancestors, so no query per unit is needed.
    """
    totals: Tally[tuple[int, str]] = Tally()
    for (path, link_key), count in new.items():
        for prefix in [*paths.ancestor_paths(path), path]:
            totals[(id_of_path[prefix], f"{link_key}|{KeyLinkStatus.NOT_STARTED}")] += count
    add_counters((unit_id, campaign_id, "keylink", key, value) for (unit_id, key), value in totals.items())


def _upsert_sql(table: str, key_column: str) -> str:
    # INSERT ... ON CONFLICT DO UPDATE adds atomically on SQLite (3.24+) and PostgreSQL alike.
    return (
        f"INSERT INTO {table} (unit_id, campaign_id, metric, {key_column}, value) "
        "VALUES (%s, %s, %s, %s, %s) "
        f"ON CONFLICT (unit_id, campaign_id, metric, {key_column}) "
        f"DO UPDATE SET value = {table}.value + excluded.value"
    )


def add_counters(rows: Iterable[tuple[int, int, str, str, int]]) -> None:
    rows = list(rows)
    if rows:
        with connection.cursor() as cursor:
            cursor.executemany(_upsert_sql(Counter._meta.db_table, "key"), rows)


def add_days(rows: Iterable[tuple[int, int, str, datetime.date, int]]) -> None:
    rows = list(rows)
    if rows:
        with connection.cursor() as cursor:
            cursor.executemany(_upsert_sql(DayCounter._meta.db_table, "day"), rows)


# Recomputing from the rows -------------------------------------------------------------------------------


@dataclass
class Totals:
    counters: dict[tuple[int, int, str, str], int] = field(default_factory=lambda: defaultdict(int))
    days: dict[tuple[int, int, str, datetime.date], int] = field(default_factory=lambda: defaultdict(int))


def recompute(*, campaign_id: int | None = None) -> Totals:
    """Every counter as the rows say it should be, rolled up to every ancestor."""
    ancestors = _ancestor_ids_by_unit()
    totals = Totals()
    campaign_filter = Q(campaign_id=campaign_id) if campaign_id else Q()

    def add_counter(unit_id: int, campaign: int, metric: str, key: str, value: int) -> None:
        for target in ancestors[unit_id]:
            totals.counters[(target, campaign, metric, key)] += value

    def add_day(unit_id: int, campaign: int, metric: str, day: datetime.date, value: int) -> None:
        for target in ancestors[unit_id]:
            totals.days[(target, campaign, metric, day)] += value

    for row1 in (
        Problem.objects.filter(campaign_filter)
        .values("unit_id", "campaign_id", "category__key", "status")
        .annotate(n=Count("id"))
        .order_by()
    ):
        add_counter(
            row1["unit_id"],
            row1["campaign_id"],
            "problems",
            f"{row1['category__key']}|{row1['status']}",
            row1["n"],
        )
    measures = Measure.objects.filter(campaign_filter)
    late = Case(
        When(status=MeasureStatus.CLOSED, closed_on__gt=F("deadline"), then=Value(True)), default=Value(False)
    )
    for row2 in (
        measures.values("unit_id", "campaign_id", "status").annotate(late=late, n=Count("id")).order_by()
    ):
        state = (
            ("closed_late" if row2["late"] else "closed_on_time")
            if row2["status"] == MeasureStatus.CLOSED
            else row2["status"]
        )
        add_counter(row2["unit_id"], row2["campaign_id"], "measures", state, row2["n"])
    for row3 in (
        measures.exclude(status=MeasureStatus.CLOSED)
        .values("unit_id", "campaign_id", "status", "deadline")
        .annotate(n=Count("id"))
        .order_by()
    ):
        add_day(row3["unit_id"], row3["campaign_id"], DUE_METRIC[row3["status"]], row3["deadline"], row3["n"])
    for row4 in (
        measures.filter(status=MeasureStatus.CLOSED)
        .values("unit_id", "campaign_id", "closed_on")
        .annotate(n=Count("id"))
        .order_by()
    ):
        if row4["closed_on"] is not None:
            add_day(row4["unit_id"], row4["campaign_id"], "closed", row4["closed_on"], row4["n"])
    for row5 in (
        measures.annotate(day=TruncDate("created_at"))
        .values("unit_id", "campaign_id", "day")
        .annotate(n=Count("id"))
        .order_by()
    ):
        add_day(row5["unit_id"], row5["campaign_id"], "created", row5["day"], row5["n"])
    for row6 in (
        KeyLinkObligation.objects.filter(campaign_filter)
        .values("unit_id", "campaign_id", "key_link__key", "progress__status")
        .annotate(n=Count("id"))
        .order_by()
    ):
        status = row6["progress__status"] or KeyLinkStatus.NOT_STARTED
        add_counter(
            row6["unit_id"], row6["campaign_id"], "keylink", f"{row6['key_link__key']}|{status}", row6["n"]
        )
    return totals


def _ancestor_ids_by_unit() -> dict[int, list[int]]:
    id_of_path = dict(Unit.objects.values_list("path", "pk"))
    return {
        unit_id: [id_of_path[prefix] for prefix in [*paths.ancestor_paths(path), path]]
        for path, unit_id in id_of_path.items()
    }


def stored(*, campaign_id: int | None = None) -> Totals:
    totals = Totals()
    campaign_filter = Q(campaign_id=campaign_id) if campaign_id else Q()
    for unit_id, campaign, metric, key, value in (
        Counter.objects.filter(campaign_filter)
        .exclude(value=0)
        .values_list("unit_id", "campaign_id", "metric", "key", "value")
        .iterator(chunk_size=20_000)
    ):
        totals.counters[(unit_id, campaign, metric, key)] = value
    for unit_id, campaign, metric, day, value in (
        DayCounter.objects.filter(campaign_filter)
        .exclude(value=0)
        .values_list("unit_id", "campaign_id", "metric", "day", "value")
        .iterator(chunk_size=20_000)
    ):
        totals.days[(unit_id, campaign, metric, day)] = value
    return totals


def differences(*, campaign_id: int | None = None, limit: int = 50) -> list[str]:
    """Human-readable differences between stored counters and the rows; empty when they are exact."""
    expected, actual = recompute(campaign_id=campaign_id), stored(campaign_id=campaign_id)
    found = _compare("counter", expected.counters, actual.counters, limit)
    return found + _compare("day", expected.days, actual.days, limit - len(found))


def _compare(kind: str, want: Mapping[Any, int], have: Mapping[Any, int], limit: int) -> list[str]:
    found: list[str] = []
    for key in sorted(set(want) | set(have), key=str):
        if len(found) >= limit:
            break
        if want.get(key, 0) != have.get(key, 0):
            found.append(f"{kind} {key}: rows say {want.get(key, 0)}, stored {have.get(key, 0)}")
    return found


def rebuild(*, campaign_id: int | None = None) -> None:
    """Replace the stored counters by the recomputed ones (after a bulk load, or to repair).

    Rows are inserted with plain ``executemany`` in chunks: building a model object per counter row cost
    most of the time and memory at a million measures.
    """
    from django.db import transaction

    totals = recompute(campaign_id=campaign_id)
    campaign_filter = Q(campaign_id=campaign_id) if campaign_id else Q()
    counter_sql = (
        f"INSERT INTO {Counter._meta.db_table} (unit_id, campaign_id, metric, key, value) "
        "VALUES (%s, %s, %s, %s, %s)"
    )
    day_sql = (
        f"INSERT INTO {DayCounter._meta.db_table} (unit_id, campaign_id, metric, day, value) "
        "VALUES (%s, %s, %s, %s, %s)"
    )
    with transaction.atomic():
        Counter.objects.filter(campaign_filter).delete()
        DayCounter.objects.filter(campaign_filter).delete()
        with connection.cursor() as cursor:
            for sql, rows in ((counter_sql, totals.counters), (day_sql, totals.days)):
                chunk: list[tuple[Any, ...]] = []
                for key, value in rows.items():
                    if value:
                        chunk.append((*key, value))
                    if len(chunk) >= 10_000:
                        cursor.executemany(sql, chunk)
                        chunk = []
                if chunk:
                    cursor.executemany(sql, chunk)

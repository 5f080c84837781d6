"""The rules over the state of records: motions without action and neglect.

Each reads its rows in a few bulk queries and groups them by unit; the records behind an alert carry a
fingerprint of the state that made it fire (status, dates, evidence count), so a dismissed alert opens again
only when that state changes.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from django.db.models import Count

from dalun.campaigns.models import Campaign, KeyLinkObligation
from dalun.formalism.candidates import Candidate, fingerprint
from dalun.formalism.choices import AlertRule
from dalun.ledger.choices import KeyLinkStatus, LedgerStatus, MeasureStatus
from dalun.ledger.models import KeyLinkProgress, Ledger, Measure
from dalun.org.choices import UnitKind

GRASSROOTS = {
    UnitKind.RESIDENTS_COMMITTEE,
    UnitKind.VILLAGERS_COMMITTEE,
    UnitKind.RESIDENTS_COMMITTEE_LIKE,
    UnitKind.VILLAGERS_COMMITTEE_LIKE,
}


def state_candidates(campaign: Campaign, conf: dict[str, Any], today: datetime.date) -> list[Candidate]:
    return [
        *_few_problems(campaign, conf),
        *_measure_closing(campaign, conf),
        *_keylinks_without_evidence(campaign),
        *_neglect(campaign, conf, today),
    ]


def _few_problems(campaign: Campaign, conf: dict[str, Any]) -> list[Candidate]:
    """A ledger signed off upward with no or trivially few problems of the unit's own."""
    rows = (
        Ledger.objects.filter(campaign=campaign, status__in=[LedgerStatus.SUBMITTED, LedgerStatus.ACCEPTED])
        .annotate(count=Count("problems"))
        .values_list("pk", "unit_id", "unit__kind", "status", "count")
    )
    found = []
    for pk, unit_id, kind, status, count in rows:
        minimum = conf["min_problems_grassroots"] if kind in GRASSROOTS else conf["min_problems"]
        if count >= minimum:
            continue
        found.append(
            Candidate(
                rule=AlertRule.FEW_PROBLEMS,
                unit_id=unit_id,
                key=f"ledger.ledger:{pk}",
                records=[{"ref": f"ledger.ledger:{pk}", "fp": fingerprint(status, count), "unit": unit_id}],
                explanation={"problems": count, "minimum": minimum, "ledger_status": status},
                score=float(minimum - count),
            )
        )
    return found


def _measure_closing(campaign: Campaign, conf: dict[str, Any]) -> list[Candidate]:
    """Closed without evidence; many closed on their deadline day; closures in a burst, above all just
    before an inspection."""
    rows = (
        Measure.objects.filter(campaign=campaign, status__in=[MeasureStatus.CLOSED, MeasureStatus.CLOSING])
        .annotate(evidence_count=Count("evidence"))
        .values_list("pk", "unit_id", "status", "deadline", "closed_on", "evidence_count", "action")
        .order_by("unit_id", "closed_on", "pk")
    )
    by_unit: dict[int, list[tuple[Any, ...]]] = defaultdict(list)
    for row in rows:
        by_unit[row[1]].append(row)
    inspections = _inspection_days(campaign, by_unit)
    found: list[Candidate] = []
    for unit_id, measures in by_unit.items():
        bare = [row for row in measures if row[5] == 0]
        if bare:
            found.append(
                Candidate(
                    rule=AlertRule.CLOSED_WITHOUT_EVIDENCE,
                    unit_id=unit_id,
                    key=f"unit:{unit_id}",
                    records=[_measure_record(row) for row in bare],
                    explanation={"measures": [_measure_line(row) for row in bare], "count": len(bare)},
                    score=float(len(bare)),
                )
            )
        closed = [row for row in measures if row[2] == MeasureStatus.CLOSED and row[4] is not None]
        on_day = [row for row in closed if row[4] == row[3]]
        if (
            closed
            and len(on_day) >= conf["deadline_day_min"]
            and len(on_day) / len(closed) >= conf["deadline_day_share"]
        ):
            found.append(
                Candidate(
                    rule=AlertRule.CLOSED_ON_DEADLINE,
                    unit_id=unit_id,
                    key=f"unit:{unit_id}",
                    records=[_measure_record(row) for row in on_day],
                    explanation={
                        "on_deadline": len(on_day),
                        "closed": len(closed),
                        "share": round(len(on_day) / len(closed), 4),
                        "minimum": conf["deadline_day_min"],
                        "share_threshold": conf["deadline_day_share"],
                        "measures": [_measure_line(row) for row in on_day],
                    },
                    score=round(len(on_day) / len(closed), 4),
                )
            )
        burst, inspection = _burst_before_inspection(closed, inspections.get(unit_id, []), conf)
        if not burst:
            burst = _densest_window(closed, conf["burst_days"])
            if not closed or len(burst) < conf["burst_min"] or len(burst) / len(closed) < conf["burst_share"]:
                continue
        explanation = {
            "in_window": len(burst),
            "closed": len(closed),
            "window_days": conf["burst_days"],
            "from": burst[0][4].isoformat(),
            "to": burst[-1][4].isoformat(),
            "minimum": conf["burst_min"],
            "share_threshold": conf["burst_share"],
            "measures": [_measure_line(row) for row in burst],
        }
        if inspection is not None:
            explanation["inspection_on"] = inspection.isoformat()
            explanation["window_days"] = conf["burst_before_inspection_days"]
            explanation["minimum"] = conf["burst_min_before_inspection"]
        found.append(
            Candidate(
                rule=AlertRule.CLOSING_BURST,
                unit_id=unit_id,
                key=f"unit:{unit_id}",
                records=[_measure_record(row) for row in burst],
                explanation=explanation,
                score=round(len(burst) / len(closed), 4),
            )
        )
    return found


def _inspection_days(campaign: Campaign, unit_ids: Iterable[int]) -> dict[int, list[datetime.date]]:
    """The day of each inspection of these units (recorded, or else planned), by unit."""
    from dalun.supervision.models import Inspection  # supervision confirms alerts: imported where used

    days: dict[int, list[datetime.date]] = defaultdict(list)
    rows = Inspection.objects.filter(campaign=campaign, unit_id__in=list(unit_ids)).values_list(
        "unit_id", "inspected_on", "planned_on"
    )
    for unit_id, inspected_on, planned_on in rows:
        days[unit_id].append(inspected_on or planned_on)
    return days


def _burst_before_inspection(
    closed: list[tuple[Any, ...]], inspections: list[datetime.date], conf: dict[str, Any]
) -> tuple[list[tuple[Any, ...]], datetime.date | None]:
    """The most closures in the days just before one of the unit's inspections, if enough to fire."""
    best: list[tuple[Any, ...]] = []
    best_day = None
    window = datetime.timedelta(days=conf["burst_before_inspection_days"])
    for day in sorted(inspections):
        rush = [row for row in closed if day - window <= row[4] <= day]
        if len(rush) > len(best):
            best, best_day = rush, day
    if len(best) < conf["burst_min_before_inspection"]:
        return [], None
    return best, best_day


def _densest_window(closed: list[tuple[Any, ...]], days: int) -> list[tuple[Any, ...]]:
    """The most closures within any ``days`` consecutive days (rows sorted by closing day)."""
    best: list[tuple[Any, ...]] = []
    start = 0
    for end in range(len(closed)):
        while (closed[end][4] - closed[start][4]).days >= days:
            start += 1
        if end - start + 1 > len(best):
            best = closed[start : end + 1]
    return best


def _measure_record(row: tuple[Any, ...]) -> dict[str, Any]:
    pk, unit_id, status, deadline, closed_on, evidence = row[:6]
    return {
        "ref": f"ledger.measure:{pk}",
        "fp": fingerprint(status, deadline, closed_on, evidence),
        "unit": unit_id,
    }


def _measure_line(row: tuple[Any, ...]) -> dict[str, Any]:
    pk, _unit, status, deadline, closed_on, evidence, action = row
    return {
        "ref": f"ledger.measure:{pk}",
        "text": action[:120],
        "status": status,
        "deadline": deadline.isoformat(),
        "closed_on": closed_on.isoformat() if closed_on else None,
        "evidence": evidence,
    }


def _keylinks_without_evidence(campaign: Campaign) -> list[Candidate]:
    rows = (
        KeyLinkProgress.objects.filter(
            campaign=campaign, status=KeyLinkStatus.DONE, obligation__key_link__evidence_required=True
        )
        .annotate(evidence_count=Count("evidence"))
        .filter(evidence_count=0)
        .values_list("pk", "unit_id", "reported_on", "obligation__key_link__name")
        .order_by("unit_id", "pk")
    )
    by_unit: dict[int, list[tuple[Any, ...]]] = defaultdict(list)
    for row in rows:
        by_unit[row[1]].append(row)
    return [
        Candidate(
            rule=AlertRule.KEYLINK_WITHOUT_EVIDENCE,
            unit_id=unit_id,
            key=f"unit:{unit_id}",
            records=[
                {
                    "ref": f"ledger.keylinkprogress:{pk}",
                    "fp": fingerprint("done", reported, 0),
                    "unit": unit_id,
                }
                for pk, _u, reported, _n in links
            ],
            explanation={
                "key_links": [
                    {"ref": f"ledger.keylinkprogress:{pk}", "name": name, "reported_on": reported.isoformat()}
                    for pk, _u, reported, name in links
                ],
                "count": len(links),
            },
            score=float(len(links)),
        )
        for unit_id, links in by_unit.items()
    ]


def _neglect(campaign: Campaign, conf: dict[str, Any], today: datetime.date) -> list[Candidate]:
    """Overdue measures, key links past their window and unanswered suggestions, escalated: one alert per
    rule and parent unit, listing the units below it that let their items lapse (a unit with no parent,
    the province, answers for itself)."""
    cutoff = today - datetime.timedelta(days=conf["overdue_grace_days"])
    groups: dict[tuple[str, int], list[dict[str, Any]]] = defaultdict(list)

    def add(rule: str, unit_id: int, parent_id: int | None, name: str, item: dict[str, Any]) -> None:
        groups[(rule, parent_id or unit_id)].append({**item, "unit": unit_id, "unit_name": name})

    measures = (
        Measure.objects.filter(campaign=campaign, deadline__lt=cutoff)
        .exclude(status=MeasureStatus.CLOSED)
        .values_list("pk", "unit_id", "unit__parent_id", "unit__name", "deadline", "status", "action")
    )
    for pk, unit_id, parent_id, name, deadline, status, action in measures.iterator(chunk_size=5000):
        add(
            AlertRule.OVERDUE_MEASURES,
            unit_id,
            parent_id,
            name,
            {
                "ref": f"ledger.measure:{pk}",
                "fp": fingerprint(deadline, status),
                "text": action[:120],
                "due": deadline.isoformat(),
                "days_overdue": (today - deadline).days,
            },
        )
    obligations = (
        KeyLinkObligation.objects.filter(campaign=campaign, key_link__ends_on__lt=cutoff)
        .exclude(progress__status=KeyLinkStatus.DONE)
        .values_list(
            "pk",
            "unit_id",
            "unit__parent_id",
            "unit__name",
            "key_link__ends_on",
            "key_link__name",
            "progress__status",
        )
    )
    for pk, unit_id, parent_id, name, ends_on, link_name, status in obligations.iterator(chunk_size=5000):
        add(
            AlertRule.OVERDUE_KEYLINKS,
            unit_id,
            parent_id,
            name,
            {
                "ref": f"campaigns.keylinkobligation:{pk}",
                "fp": fingerprint(ends_on, status or KeyLinkStatus.NOT_STARTED),
                "name": link_name,
                "due": ends_on.isoformat(),
                "days_overdue": (today - ends_on).days,
            },
        )
    from dalun.voices.choices import Handling
    from dalun.voices.models import Suggestion

    suggestions = Suggestion.objects.filter(
        campaign=campaign, handling=Handling.ROUTED, due_on__lt=cutoff, routed_unit__isnull=False
    ).values_list("pk", "routed_unit_id", "routed_unit__parent_id", "routed_unit__name", "due_on", "title")
    for pk, unit_id, parent_id, name, due_on, title in suggestions.iterator(chunk_size=5000):
        if due_on is None or unit_id is None:
            continue
        add(
            AlertRule.UNANSWERED_SUGGESTIONS,
            unit_id,
            parent_id,
            name,
            {
                "ref": f"voices.suggestion:{pk}",
                "fp": fingerprint(due_on, Handling.ROUTED),
                "text": title,
                "due": due_on.isoformat(),
                "days_overdue": (today - due_on).days,
            },
        )
    found = []
    for (rule, parent_id), items in groups.items():
        items.sort(key=lambda item: (-item["days_overdue"], item["ref"]))
        per_unit: dict[int, dict[str, Any]] = {}
        for item in items:
            entry = per_unit.setdefault(
                item["unit"], {"unit": item["unit"], "name": item["unit_name"], "count": 0}
            )
            entry["count"] += 1
        units = sorted(per_unit.values(), key=lambda entry: (-entry["count"], entry["name"]))
        found.append(
            Candidate(
                rule=rule,
                unit_id=parent_id,
                key=f"unit:{parent_id}",
                records=[{"ref": item["ref"], "fp": item["fp"], "unit": item["unit"]} for item in items],
                explanation={
                    "count": len(items),
                    "grace_days": conf["overdue_grace_days"],
                    "oldest_days_overdue": items[0]["days_overdue"],
                    "units": units[:50],
                    "unit_count": len(units),
                    "overdue": [
                        {k: v for k, v in item.items() if k not in {"fp", "unit"}} for item in items[:50]
                    ],
                },
                score=float(len(items)),
                escalated_to_id=parent_id,
            )
        )
    return found

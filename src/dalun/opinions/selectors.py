"""Reads of opinion maps: the public's lists and voting order, the map as the pages show it, the
moderators' maps and queues. Each read fetches what its page touches in a bounded number of queries."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from django.db.models import Count, Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from dalun.engines.opinion_map import statement_priorities
from dalun.opinions.analysis import latest_snapshot
from dalun.opinions.choices import MapStatus, StatementStatus
from dalun.opinions.models import OpinionMap, Participant, Snapshot, Statement, Vote
from dalun.org import policy
from dalun.voices.choices import Moderation
from dalun.voices.models import Suggestion

PUBLIC = (MapStatus.OPEN, MapStatus.CLOSED)
OWN_VOTES_SHOWN = 200  # the participant's latest votes listed for changing


def public_maps() -> QuerySet[OpinionMap]:
    return (
        OpinionMap.objects.filter(status__in=PUBLIC)
        .select_related("campaign", "unit")
        .annotate(
            statement_total=Count("statements", filter=Q(statements__status=StatementStatus.ACCEPTED)),
        )
        .order_by("status", "-created_at")
    )


def public_get(*, map_id: int) -> OpinionMap:
    opinion_map = (
        OpinionMap.objects.select_related("campaign__owner_unit", "unit", "breakthrough")
        .filter(pk=map_id, status__in=PUBLIC)
        .first()
    )
    if opinion_map is None:
        raise Http404("no such opinion map")
    return opinion_map


def moderated_maps(*, actor: Any) -> list[OpinionMap]:
    """The maps the actor may moderate, with their pending statements counted."""
    rows = (
        OpinionMap.objects.select_related("campaign__owner_unit", "unit")
        .annotate(
            pending=Count("statements", filter=Q(statements__status=StatementStatus.PENDING)),
            accepted=Count("statements", filter=Q(statements__status=StatementStatus.ACCEPTED)),
        )
        .order_by("-created_at")
    )
    return [m for m in rows if policy.allows(actor, "opinion.moderate", m.scope_unit)]


def moderated_get(*, actor: Any, map_id: int) -> OpinionMap:
    """The map, for one who may moderate it; "not found" alike for a missing map and another's map."""
    opinion_map = (
        OpinionMap.objects.select_related("campaign__owner_unit", "unit", "breakthrough")
        .filter(pk=map_id)
        .first()
    )
    if opinion_map is None or not policy.allows(actor, "opinion.moderate", opinion_map.scope_unit):
        raise Http404("no such opinion map")
    return opinion_map


def statements_of(*, opinion_map: OpinionMap) -> QuerySet[Statement]:
    return Statement.objects.filter(opinion_map=opinion_map).select_related("suggestion").order_by("column")


def promotable_suggestions(*, opinion_map: OpinionMap, limit: int = 50) -> QuerySet[Suggestion]:
    """Published suggestions of the map's campaign not yet made statements of this map, newest first."""
    return (
        Suggestion.objects.filter(campaign_id=opinion_map.campaign_id, moderation=Moderation.PUBLISHED)
        .exclude(statements__opinion_map=opinion_map)
        .order_by("-support_count", "-submitted_at")[:limit]
    )


# The voting order -------------------------------------------------------------------------------------


def participant_of(*, opinion_map: OpinionMap, key: str) -> Participant | None:
    return Participant.objects.filter(opinion_map=opinion_map, key=key).first()


def statement_weights(statements: list[Statement]) -> np.ndarray:
    """The engine's priority of each statement, from the counts kept with every vote (fresher than the last
    computation: a statement nobody has seen yet weighs most) and the extremity of the last computation."""
    if not statements:
        return np.zeros(0)
    return statement_priorities(
        [s.agree_count for s in statements],
        [s.pass_count for s in statements],
        [s.seen_count for s in statements],
        [s.extremity for s in statements],
        meta=[s.is_meta for s in statements],
    )


@dataclass
class Ballot:
    """What the voting page shows: the next statement (None when all are voted), and the progress."""

    statement: Statement | None
    voted: int
    total: int
    own_votes: list[Vote] = field(default_factory=list)


def ballot(*, opinion_map: OpinionMap, key: str, rng: random.Random | None = None) -> Ballot:
    """The participant's next statement, drawn among those they have not voted on with the engine's weights
    (new, divisive and under-voted first), and their earlier votes, which they may change."""
    accepted = Statement.objects.filter(opinion_map=opinion_map, status=StatementStatus.ACCEPTED)
    mine = Vote.objects.filter(participant__opinion_map=opinion_map, participant__key=key)
    candidates = list(
        accepted.exclude(pk__in=mine.values("statement_id")).only(
            "pk", "text", "column", "is_meta", "agree_count", "disagree_count", "pass_count", "extremity"
        )
    )
    voted_accepted = mine.filter(statement__status=StatementStatus.ACCEPTED)
    own = list(voted_accepted.select_related("statement").order_by("-cast_at")[:OWN_VOTES_SHOWN])
    voted = len(own) if len(own) < OWN_VOTES_SHOWN else voted_accepted.count()
    total = len(candidates) + voted
    if not candidates:
        return Ballot(None, voted, total, own)
    weights = statement_weights(candidates)
    chosen = (rng or random.Random()).choices(candidates, weights=weights.tolist())[0]
    return Ballot(chosen, voted, total, own)


# The map as shown -------------------------------------------------------------------------------------


@dataclass
class ShownStatement:
    column: int
    text: str
    direction: str = ""
    share: float = 0.0
    n_success: int = 0
    n_trials: int = 0
    score: float = 0.0

    @property
    def percent(self) -> int:
        return round(100 * (self.score or self.share))


@dataclass
class ShownGroup:
    id: int
    label: str
    size: int
    share: int
    representative: list[ShownStatement]


@dataclass
class MapView:
    snapshot: Snapshot | None
    groups: list[ShownGroup]
    consensus_agree: list[ShownStatement]
    consensus_disagree: list[ShownStatement]
    informed: list[ShownStatement]
    chart: dict[str, Any]
    voters: int
    statements: int

    @property
    def computed(self) -> bool:
        return self.snapshot is not None


def map_view(*, opinion_map: OpinionMap) -> MapView:
    """The last snapshot with its statements' texts (two queries whatever the map's size). Statements
    rejected since the snapshot are left out."""
    snapshot = latest_snapshot(opinion_map)
    statements = Statement.objects.filter(opinion_map=opinion_map)
    accepted = statements.filter(status=StatementStatus.ACCEPTED).count() if snapshot is None else 0
    if snapshot is None:
        return MapView(None, [], [], [], [], {"points": [], "groups": []}, 0, accepted)
    display = snapshot.display
    wanted = {row["column"] for group in display["groups"] for row in group["representative"]}
    wanted |= {row["column"] for row in display["consensus"]} | {
        row["column"] for row in display["informed_consensus"]
    }
    texts = dict(
        statements.filter(column__in=wanted)
        .exclude(status=StatementStatus.REJECTED)
        .exclude(is_meta=True)
        .values_list("column", "text")
    )

    def shown(rows: list[dict[str, Any]]) -> list[ShownStatement]:
        return [
            ShownStatement(
                column=row["column"],
                text=texts[row["column"]],
                direction=row.get("direction", ""),
                share=row.get("share", 0.0),
                n_success=row.get("n_success", 0),
                n_trials=row.get("n_trials", 0),
                score=row.get("score", 0.0),
            )
            for row in rows
            if row["column"] in texts
        ]

    clustered = sum(group["size"] for group in display["groups"]) or 1
    groups = [
        ShownGroup(
            id=group["id"],
            label=group["label"],
            size=group["size"],
            share=round(100 * group["size"] / clustered),
            representative=shown(group["representative"]),
        )
        for group in display["groups"]
    ]
    consensus = shown(display["consensus"])
    chart = {
        "points": display["points"],
        "groups": [{"id": g["id"], "label": g["label"], "size": g["size"]} for g in display["groups"]],
        "labels": {"group": _("Group %s"), "unclustered": _("Not yet in a group")},
    }
    return MapView(
        snapshot=snapshot,
        groups=groups,
        consensus_agree=[c for c in consensus if c.direction == "agree"],
        consensus_disagree=[c for c in consensus if c.direction == "disagree"],
        informed=shown(display["informed_consensus"]),
        chart=chart,
        voters=display["voters"],
        statements=snapshot.n_statements,
    )

"""Reads of public participation: the moderators' queue with its proposals, units' inboxes, public lists."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.core.cache import cache
from django.db.models import Count, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from dalun.campaigns.models import Campaign
from dalun.engines.similarity import Index
from dalun.engines.text import normalise
from dalun.org import policy
from dalun.org.models import Unit
from dalun.voices.choices import Handling, Moderation, Rating
from dalun.voices.models import Response, Satisfaction, Suggestion, Transfer

PROPOSALS = 5
ROUTING_UNIT_DEPTH = 3  # routing chooses among the province, cities, counties and the bodies beside them
NEIGHBOUR_POOL = 2000


def public_suggestions(*, campaign: Campaign | None = None, query: str = "") -> QuerySet[Suggestion]:
    rows = Suggestion.objects.filter(moderation=Moderation.PUBLISHED).select_related(
        "routed_unit", "response"
    )
    if campaign is not None:
        rows = rows.filter(campaign=campaign)
    folded = normalise(query)
    if folded:
        rows = rows.filter(search_text__contains=folded)
    return rows.order_by("-submitted_at")


def by_receipt(*, code: str) -> Suggestion:
    suggestion = (
        Suggestion.objects.select_related("campaign", "routed_unit", "merged_into", "response")
        .filter(receipt_code=code.strip().upper())
        .first()
    )
    if suggestion is None:
        raise Http404("no such receipt")
    return suggestion


def public_get(*, suggestion_id: int) -> Suggestion:
    suggestion = (
        Suggestion.objects.select_related("campaign", "routed_unit")
        .filter(pk=suggestion_id, moderation=Moderation.PUBLISHED)
        .first()
    )
    if suggestion is None:
        raise Http404("no such suggestion")
    return suggestion


@dataclass
class QueueItem:
    suggestion: Suggestion
    similar: list[tuple[Suggestion, float]]
    proposals: list[tuple[Unit, float]]


def moderation_queue(*, actor: Any, limit: int = 50) -> list[QueueItem]:
    """New suggestions, then published ones not yet routed, each with its nearest published neighbours and
    the units most likely to be responsible."""
    campaigns = [
        c
        for c in Campaign.objects.select_related("owner_unit")
        if policy.allows(actor, "suggestion.moderate", c.owner_unit)
    ]
    rows = list(
        Suggestion.objects.filter(campaign__in=campaigns)
        .filter(
            Q(moderation=Moderation.PENDING) | Q(moderation=Moderation.PUBLISHED, handling=Handling.UNROUTED)
        )
        .select_related("concerns_unit", "category")
        .order_by("submitted_at")[:limit]
    )
    items = []
    for campaign in campaigns:
        mine = [row for row in rows if row.campaign_id == campaign.pk]
        if not mine:
            continue
        neighbours = list(
            Suggestion.objects.filter(campaign=campaign, moderation=Moderation.PUBLISHED)
            .order_by("-submitted_at")
            .only("pk", "title", "text", "receipt_code")[:NEIGHBOUR_POOL]
        )
        by_pk = {s.pk: s for s in neighbours}
        similar_index = Index((s.pk, f"{s.title} {s.text}") for s in neighbours)
        router = routing_index(campaign)
        units = {
            u.pk: u
            for u in Unit.objects.filter(
                pk__in={
                    m.key for row in mine for m in router.nearest(f"{row.title} {row.text}", limit=PROPOSALS)
                }
            )
        }
        for row in mine:
            text = f"{row.title} {row.text}"
            similar = [
                (by_pk[m.key], m.score)
                for m in similar_index.nearest(text, limit=3, minimum=0.2)
                if m.key != row.pk and m.key in by_pk
            ]
            proposals = [
                (units[m.key], m.score) for m in router.nearest(text, limit=PROPOSALS) if m.key in units
            ]
            if row.concerns_unit and all(unit.pk != row.concerns_unit_id for unit, _score in proposals):
                proposals.insert(0, (row.concerns_unit, 1.0))
            items.append(QueueItem(row, similar, proposals))
    return items


def routing_index(campaign: Campaign) -> Index:
    """Units described by their names, kinds and duties, and by every suggestion routed to them before.

    Cached per campaign; every routing decision bumps the version, so the index learns from it.
    """
    version = cache.get(f"routing-version:{campaign.pk}", 0)
    key = f"routing-index:{campaign.pk}:{version}"
    index = cache.get(key)
    if index is None:
        owner = campaign.owner_unit
        units = Unit.objects.subtree_of(owner).filter(
            Q(depth__lte=owner.depth + 2) | ~Q(kind__in=_DIVISION_KINDS)
        )
        documents: list[tuple[object, str]] = [
            (unit.pk, f"{unit.name} {unit.name_en} {unit.get_kind_display()} {unit.duties}") for unit in units
        ]
        documents += [
            (unit_id, f"{title} {text}")
            for unit_id, title, text in Transfer.objects.filter(suggestion__campaign=campaign).values_list(
                "to_unit_id", "suggestion__title", "suggestion__text"
            )[:20000]
        ]
        index = Index(documents)
        cache.set(key, index, 3600)
    return index


def routing_learned(campaign: Campaign) -> None:
    try:
        cache.incr(f"routing-version:{campaign.pk}")
    except ValueError:
        cache.set(f"routing-version:{campaign.pk}", 1, None)


_DIVISION_KINDS = [
    "township",
    "town",
    "subdistrict",
    "township_like",
    "residents_committee",
    "villagers_committee",
    "residents_committee_like",
    "villagers_committee_like",
]


def inbox(*, actor: Any) -> QuerySet[Suggestion]:
    """Suggestions routed to, or escalated to, a unit the actor answers for; the most urgent first."""
    scope = policy.scope(actor, "suggestion.answer", path_field="routed_unit__path") | policy.scope(
        actor, "suggestion.answer", path_field="escalated_to__path"
    )
    return (
        Suggestion.objects.filter(handling=Handling.ROUTED)
        .filter(scope)
        .select_related("routed_unit", "escalated_to", "campaign")
        .order_by("due_on", "id")
    )


def staff_get(*, actor: Any, suggestion_id: int) -> Suggestion:
    suggestion = (
        Suggestion.objects.select_related("campaign__owner_unit", "routed_unit", "category")
        .filter(pk=suggestion_id)
        .first()
    )
    if suggestion is None:
        raise Http404("no such suggestion")
    moderates = policy.allows(actor, "suggestion.moderate", suggestion.campaign.owner_unit)
    answers = suggestion.routed_unit is not None and policy.allows(
        actor, "suggestion.answer", suggestion.routed_unit
    )
    if not (moderates or answers):
        raise Http404("no such suggestion")
    return suggestion


@dataclass
class ResponseRecord:
    received: int
    answered: int
    answered_on_time: int
    overdue: int
    ratings: dict[str, int]

    @property
    def response_rate(self) -> int:
        return round(100 * self.answered / self.received) if self.received else 0

    @property
    def satisfaction_rate(self) -> int:
        rated = sum(self.ratings.values())
        return round(100 * self.ratings.get(Rating.SATISFIED, 0) / rated) if rated else 0


def response_record(*, unit: Unit, today: datetime.date | None = None) -> ResponseRecord:
    """How the unit handles what the public sends it: answered, on time, overdue, and how people rated it."""
    today = today or timezone.localdate()
    routed = Suggestion.objects.filter(routed_unit=unit, moderation=Moderation.PUBLISHED)
    counts = routed.aggregate(
        received=Count("id"),
        answered=Count("id", filter=Q(handling=Handling.ANSWERED)),
        overdue=Count("id", filter=Q(handling=Handling.ROUTED, due_on__lt=today)),
    )
    on_time = Response.objects.filter(suggestion__in=routed, on_time=True).count()
    ratings = dict(
        Satisfaction.objects.filter(suggestion__in=routed).values_list("rating").annotate(n=Count("id"))
    )
    return ResponseRecord(counts["received"], counts["answered"], on_time, counts["overdue"], ratings)


@dataclass
class SuggestionFigures:
    awaiting: int  # routed into the subtree, not yet answered
    overdue: int  # of those, past their deadline
    escalated_here: int  # overdue ones escalated to this very unit
    answered: int


def suggestion_figures(
    *, unit: Unit, campaign: Campaign, today: datetime.date | None = None
) -> SuggestionFigures:
    """The public's suggestions in a subtree, for its dashboard: one aggregate query."""
    today = today or timezone.localdate()
    routed = Suggestion.objects.filter(campaign=campaign, routed_unit__in=Unit.objects.subtree_of(unit))
    counts = routed.aggregate(
        awaiting=Count("id", filter=Q(handling=Handling.ROUTED)),
        overdue=Count("id", filter=Q(handling=Handling.ROUTED, due_on__lt=today)),
        escalated_here=Count("id", filter=Q(handling=Handling.ROUTED, escalated_to=unit)),
        answered=Count("id", filter=Q(handling=Handling.ANSWERED)),
    )
    return SuggestionFigures(**counts)

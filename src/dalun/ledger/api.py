"""REST endpoints of ledgers.

Public: a unit's ledger exactly as the public disclosure page shows it (public problems only, their
measures, deadlines, progress and evidence), and the public problems and measures of a subtree, paginated.
Staff (bearer token or session): record problems, commit to measures and report progress, through the
same services, permission checks and audit trail as the pages.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema
from ninja.pagination import paginate
from ninja.responses import Status

from dalun.apikeys.auth import staff_auth
from dalun.apikeys.fields import CategoryRef, Page, UnitRef, ValidText, errors, printable, read_limit
from dalun.campaigns.models import Campaign, ProblemCategory
from dalun.campaigns.selectors import campaign_by_key
from dalun.ledger import selectors, services
from dalun.ledger.choices import ProblemSource, Visibility
from dalun.ledger.models import Evidence, Measure, Problem
from dalun.org import policy
from dalun.org.selectors import unit_get

router = Router(tags=["ledgers"])
STAFF = ["staff: ledgers"]
KEY_MAX = 100


def _campaign(key: str) -> Campaign:
    """The campaign named by ``key``, or the current one (the latest to start) when none is named."""
    key = printable(key, maximum=KEY_MAX)
    if key:
        return campaign_by_key(key=key)
    campaign = Campaign.objects.order_by("-starts_on").first()
    if campaign is None:
        raise Http404("no campaign")
    return campaign


# --- public ----------------------------------------------------------------------------------------------


class EvidenceOut(Schema):
    id: int
    name: str
    mime: str
    size: int
    url: str


class PublicMeasureOut(Schema):
    id: int
    action: str
    indicator: str
    baseline: Decimal | None
    target: Decimal
    target_unit: str
    deadline: datetime.date
    deadline_estimated: bool
    overdue: bool
    progress: int = Field(..., description="percent")
    status: str
    closed_on: datetime.date | None
    evidence: list[EvidenceOut]


class PublicProblemOut(Schema):
    id: int
    category: CategoryRef
    manifestation: str
    source: str
    status: str
    created_at: datetime.datetime
    measures: list[PublicMeasureOut]


class KeyLinkOut(Schema):
    key: str
    name: dict[str, str]
    starts_on: datetime.date
    ends_on: datetime.date
    status: str
    reported_on: datetime.date | None
    overdue: bool


class LedgerOut(Schema):
    unit: UnitRef
    campaign: str
    status: str | None = Field(..., description="draft, submitted, accepted or returned; null: no ledger yet")
    problems: list[PublicProblemOut]
    key_links: list[KeyLinkOut]


MEASURE_PUBLIC_FIELDS = (
    "id",
    "action",
    "indicator",
    "baseline",
    "target",
    "target_unit",
    "deadline",
    "deadline_estimated",
    "progress",
    "status",
    "closed_on",
)


def _evidence(request: HttpRequest, evidence: Evidence) -> dict[str, Any]:
    return {
        "id": evidence.pk,
        "name": evidence.original_name,
        "mime": evidence.mime,
        "size": evidence.size,
        "url": request.build_absolute_uri(evidence.get_absolute_url()),
    }


@router.get("/units/{unit_id}/ledger", response={200: LedgerOut, **errors(404, 429)})
def public_ledger(request: HttpRequest, unit_id: int, campaign: str = "") -> dict[str, Any]:
    """What the unit committed to and did, as the public sees it: never its internal problems."""
    read_limit(request)
    unit = unit_get(unit_id=unit_id)
    page = selectors.ledger_page(actor=AnonymousUser(), unit=unit, campaign=_campaign(campaign))
    return {
        "unit": unit,
        "campaign": page.campaign.key,
        "status": page.ledger.status if page.ledger else None,
        "problems": [
            {
                "id": problem.pk,
                "category": problem.category,
                "manifestation": problem.manifestation,
                "source": problem.source,
                "status": problem.status,
                "created_at": problem.created_at,
                "measures": [
                    {
                        **{name: getattr(measure, name) for name in MEASURE_PUBLIC_FIELDS},
                        "overdue": selectors.is_overdue(measure.deadline, measure.status, page.today),
                        "evidence": [_evidence(request, file) for file in measure.evidence.all()],
                    }
                    for measure in problem.measures.all()
                ],
            }
            for problem in page.problems
            if problem.visibility == Visibility.PUBLIC  # ledger_page already says so; never rely on one check
        ],
        "key_links": [
            {
                "key": row.obligation.key_link.key,
                "name": row.obligation.key_link.name,
                "starts_on": row.obligation.key_link.starts_on,
                "ends_on": row.obligation.key_link.ends_on,
                "status": row.progress.status if row.progress else "not_started",
                "reported_on": row.progress.reported_on if row.progress else None,
                "overdue": row.overdue,
            }
            for row in page.key_links
        ],
    }


class ProblemRowOut(Schema):
    id: int
    unit: UnitRef
    category: CategoryRef
    manifestation: str
    source: str
    status: str
    created_at: datetime.datetime


class MeasureRowOut(Schema):
    id: int
    problem_id: int
    unit: UnitRef
    category: str
    action: str
    indicator: str
    target: Decimal
    target_unit: str
    deadline: datetime.date
    overdue: bool
    progress: int
    status: str

    @staticmethod
    def resolve_category(obj: Measure) -> str:
        return obj.problem.category.key

    @staticmethod
    def resolve_overdue(obj: Measure) -> bool:
        return selectors.is_overdue(obj.deadline, obj.status)


@router.get("/units/{unit_id}/problems", response={200: list[ProblemRowOut], **errors(404, 429)})
@paginate(Page)
def public_problems(
    request: HttpRequest, unit_id: int, campaign: str = "", category: str = "", status: str = ""
) -> QuerySet[Problem]:
    """The public problems of the unit and every unit below it, by unit; filter by category key or status
    (open, rectified)."""
    read_limit(request)
    return selectors.problem_list(
        actor=AnonymousUser(),
        root=unit_get(unit_id=unit_id),
        campaign=_campaign(campaign),
        category=printable(category, maximum=KEY_MAX),
        status=printable(status, maximum=KEY_MAX),
    )


@router.get("/units/{unit_id}/measures", response={200: list[MeasureRowOut], **errors(404, 429)})
@paginate(Page)
def public_measures(
    request: HttpRequest, unit_id: int, campaign: str = "", state: str = "", category: str = ""
) -> QuerySet[Measure]:
    """The measures of the subtree's public problems, by deadline; ``state`` as the dashboards count:
    open, overdue, on_time, closing, closed, closed_on_time, closed_late."""
    read_limit(request)
    return selectors.measure_list(
        actor=AnonymousUser(),
        root=unit_get(unit_id=unit_id),
        campaign=_campaign(campaign),
        state=printable(state, maximum=KEY_MAX),
        category=printable(category, maximum=KEY_MAX),
    )


# --- staff -----------------------------------------------------------------------------------------------


class ProblemIn(Schema):
    category: ValidText = Field(..., max_length=KEY_MAX, description="a category key of the campaign")
    manifestation: ValidText = Field(..., max_length=4000)
    source: ProblemSource = ProblemSource.SELF
    visibility: Visibility = Visibility.PUBLIC


class ProblemOut(Schema):
    id: int
    unit_id: int
    campaign: str
    category: CategoryRef
    manifestation: str
    source: str
    visibility: str
    status: str
    created_at: datetime.datetime
    version: int

    @staticmethod
    def resolve_campaign(obj: Problem) -> str:
        return obj.campaign.key


class MeasureIn(Schema):
    action: ValidText = Field(..., max_length=4000)
    indicator: ValidText = Field(..., max_length=200)
    target: Decimal = Field(..., max_digits=14, decimal_places=2)
    baseline: Decimal | None = Field(None, max_digits=14, decimal_places=2)
    target_unit: ValidText = Field("", max_length=20)
    owner: ValidText = Field(..., max_length=100, description="the responsible person")
    deadline: datetime.date | None = Field(None, description="a date, or leave it out and give working_days")
    working_days: int | None = Field(
        None, ge=1, le=1000, description="working days from today (the campaign's default when neither)"
    )


class MeasureOut(Schema):
    id: int
    problem_id: int
    action: str
    indicator: str
    baseline: Decimal | None
    target: Decimal
    target_unit: str
    owner: str
    deadline: datetime.date
    deadline_estimated: bool
    progress: int
    status: str
    version: int


class ProgressIn(Schema):
    percent: int = Field(..., ge=0, le=100)
    text: ValidText = Field(..., max_length=4000, description="what was done")


class ProgressOut(Schema):
    id: int
    measure_id: int
    percent: int
    text: str
    at: datetime.datetime


@router.post(
    "/staff/ledgers/{unit_id}/{campaign_key}/problems",
    response={201: ProblemOut, **errors(401, 403, 404, 422)},
    auth=staff_auth,
    tags=STAFF,
)
def create_problem(request: HttpRequest, unit_id: int, campaign_key: str, payload: ProblemIn) -> Status:
    """Record a problem in the unit's ledger (opened on first use); clerks, first responsible persons
    and field cadres of the subtree."""
    unit, campaign = unit_get(unit_id=unit_id), campaign_by_key(key=printable(campaign_key, maximum=KEY_MAX))
    category = _category(campaign, payload.category, field="category")
    with transaction.atomic():  # a refused problem leaves no freshly opened, empty ledger behind
        ledger = services.ledger_open(actor=request.user, unit=unit, campaign=campaign)
        problem = services.problem_create(
            actor=request.user,
            ledger=ledger,
            category=category,
            manifestation=payload.manifestation,
            source=payload.source,
            visibility=payload.visibility,
        )
    return Status(201, problem)


def _category(campaign: Campaign, key: str, *, field: str) -> ProblemCategory:
    category = campaign.categories.filter(key=key).first()
    if category is None:
        raise ValidationError({field: _("The campaign has no category with this key.")})
    return category


def _problem(actor: Any, problem_id: int) -> Problem:
    """The problem, if the actor may see it: an internal one is "not found" outside its subtree's staff."""
    problem = (
        Problem.objects.select_related("unit", "campaign", "category", "ledger").filter(pk=problem_id).first()
    )
    if problem is None or (
        problem.visibility != Visibility.PUBLIC
        and not policy.allows(actor, "unit.view_internal", problem.unit)
    ):
        raise Http404("no such problem")
    return problem


@router.post(
    "/staff/problems/{problem_id}/measures",
    response={201: MeasureOut, **errors(401, 403, 404, 422)},
    auth=staff_auth,
    tags=STAFF,
)
def create_measure(request: HttpRequest, problem_id: int, payload: MeasureIn) -> Status:
    """Commit to a measure against a problem, with an objective and a deadline."""
    problem = _problem(request.user, problem_id)
    measure = services.measure_create(
        actor=request.user,
        problem=problem,
        action=payload.action,
        indicator=payload.indicator,
        target=payload.target,
        owner=payload.owner,
        deadline=payload.deadline,
        working_days=payload.working_days,
        baseline=payload.baseline,
        target_unit=payload.target_unit.strip(),
    )
    return Status(201, measure)


@router.post(
    "/staff/measures/{measure_id}/progress",
    response={201: ProgressOut, **errors(401, 403, 404, 422)},
    auth=staff_auth,
    tags=STAFF,
)
def report_progress(request: HttpRequest, measure_id: int, payload: ProgressIn) -> Status:
    """Post a progress update (percent and what was done) to the measure's timeline."""
    measure = selectors.measure_get(actor=request.user, measure_id=measure_id)
    event = services.measure_progress(
        actor=request.user, measure=measure, percent=payload.percent, text=payload.text
    )
    return Status(201, event)

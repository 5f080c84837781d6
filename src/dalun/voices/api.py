"""REST endpoints of public suggestions.

The public reads published suggestions, submits new ones (rate limited per network, idempotent with an
``Idempotency-Key`` header) and follows its own by receipt code. Staff (bearer token or session) moderate
the queue, and answer what was routed to their units. Every write goes through ``voices.services``.
"""

from __future__ import annotations

import datetime
import re
import time
from typing import Any

from django.core.exceptions import ValidationError
from django.core.signals import setting_changed
from django.db.models import Q, QuerySet
from django.dispatch import receiver
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema
from ninja.errors import HttpError
from ninja.pagination import paginate
from pydantic import BaseModel
from pydantic_core import to_json

from dalun.apikeys.auth import staff_auth
from dalun.apikeys.fields import (
    CategoryRef,
    Page,
    UnitRef,
    ValidText,
    errors,
    printable,
    read_limit,
)
from dalun.apikeys.idempotency import HEADER, Claim, Earlier, clean_key, idempotent_write
from dalun.campaigns.models import Campaign, ProblemCategory
from dalun.org import policy
from dalun.org.models import Unit
from dalun.voices import selectors, services
from dalun.voices.choices import Adoption, Handling, Moderation
from dalun.voices.models import Suggestion
from dalun.web.ratelimit import RateLimited, client_network

router = Router(tags=["suggestions"])
STAFF = ["staff: suggestions"]
RECEIPT_PATTERN = re.compile(r"[A-Za-z0-9-]{1,20}")
QUERY_MAX = 100
KEY_META = "HTTP_" + HEADER.upper().replace("-", "_")  # read from META: request.headers copies them all


# --- schemas ---------------------------------------------------------------------------------------------


class AnswerOut(Schema):
    adoption: str
    text: str
    reason: str
    answered_at: datetime.datetime
    on_time: bool
    problem_id: int | None


def _response_of(suggestion: Suggestion) -> Any:
    return getattr(suggestion, "response", None)  # a missing reverse one-to-one raises AttributeError


class SuggestionOut(Schema):
    """A published suggestion as everyone may see it (never the submitter's contact or receipt code)."""

    id: int
    title: str
    text: str
    category: CategoryRef | None
    routed_unit: UnitRef | None
    handling: str
    support_count: int
    submitted_at: datetime.datetime
    due_on: datetime.date | None
    response: AnswerOut | None = None

    @staticmethod
    def resolve_response(obj: Suggestion) -> Any:
        return _response_of(obj)


# A plain pydantic model, not a ninja Schema: a Schema's validator, there to read ORM objects, cost the
# public write path more than the validation itself.
class SuggestionIn(BaseModel):
    """A suggestion as the public sends it."""

    title: ValidText = Field(..., max_length=services.TITLE_MAX)
    text: ValidText = Field(..., max_length=services.TEXT_MAX)
    category: ValidText | None = Field(None, max_length=100, description="a category key of the campaign")
    unit_code: ValidText | None = Field(
        None, max_length=32, description="official code of the unit concerned"
    )
    contact: ValidText | None = Field(
        None,
        max_length=services.CONTACT_MAX,
        description="e-mail or phone; seen only by the moderators and the unit that answers",
    )
    campaign: ValidText | None = Field(
        None, max_length=100, description="campaign key (default: the current)"
    )


class SubmittedOut(Schema):
    id: int
    receipt_code: str
    moderation: str
    receipt_url: str


class ReceiptOut(Schema):
    """What the holder of a receipt code may know about their suggestion (no contact details)."""

    receipt_code: str
    title: str
    text: str
    status: str = Field(..., description="the moderation state until published, then the handling state")
    moderation: str
    handling: str
    reject_reason: str
    merged_into_id: int | None
    routed_unit: UnitRef | None
    due_on: datetime.date | None
    submitted_at: datetime.datetime
    response: AnswerOut | None = None
    rating: str | None = None

    @staticmethod
    def resolve_status(obj: Suggestion) -> str:
        return obj.handling if obj.moderation == Moderation.PUBLISHED else obj.moderation

    @staticmethod
    def resolve_response(obj: Suggestion) -> Any:
        return _response_of(obj)

    @staticmethod
    def resolve_rating(obj: Suggestion) -> str | None:
        satisfaction = getattr(obj, "satisfaction", None)
        return satisfaction.rating if satisfaction is not None else None


class StaffSuggestionOut(Schema):
    id: int
    title: str
    text: str
    category: CategoryRef | None
    concerns_unit: UnitRef | None
    routed_unit: UnitRef | None
    escalated_to: UnitRef | None
    moderation: str
    handling: str
    reject_reason: str
    support_count: int
    submitted_at: datetime.datetime
    due_on: datetime.date | None
    version: int


class StaffSuggestionDetailOut(StaffSuggestionOut):
    contact: str = Field("", description="only for the moderators and the staff of the responsible unit")

    @staticmethod
    def resolve_contact(obj: Suggestion, context: dict[str, Any]) -> str:
        actor = context["request"].user
        return (
            services.contact_of(actor=actor, suggestion=obj) if services.may_see_contact(actor, obj) else ""
        )


class SimilarOut(Schema):
    id: int
    title: str
    score: float


class ProposalOut(Schema):
    unit: UnitRef
    score: float


class QueueItemOut(Schema):
    suggestion: StaffSuggestionOut
    similar: list[SimilarOut]
    proposals: list[ProposalOut]


class RejectIn(Schema):
    reason: ValidText = Field("", max_length=500, description="shown to the submitter; not needed for spam")
    spam: bool = False


class RouteIn(Schema):
    unit_id: int | None = Field(None, ge=1)
    unit_code: ValidText | None = Field(None, max_length=32)


class AnswerIn(Schema):
    text: ValidText = Field(..., max_length=services.TEXT_MAX)
    adoption: Adoption
    reason: ValidText = Field("", max_length=2000, description="needed unless adopted")
    to_ledger: ValidText | None = Field(
        None, max_length=100, description="category key: the adopted suggestion becomes a problem there"
    )


# --- public ----------------------------------------------------------------------------------------------


@router.get("/suggestions", response=list[SuggestionOut])
@paginate(Page)
def list_suggestions(request: HttpRequest, q: str = "") -> QuerySet[Suggestion]:
    """Published suggestions, newest first; ``q`` searches title and text (Chinese as typed)."""
    read_limit(request)
    query = printable(q, maximum=QUERY_MAX)
    return selectors.public_suggestions(query=query).select_related("category")


@router.get("/suggestions/{suggestion_id}", response={200: SuggestionOut, **errors(404, 429)})
def get_suggestion(request: HttpRequest, suggestion_id: int) -> Suggestion:
    read_limit(request)
    suggestion = selectors.public_suggestions().select_related("category").filter(pk=suggestion_id).first()
    if suggestion is None:
        raise Http404("no such suggestion")
    return suggestion


# The campaign, its phases and categories, read once per process and kept CAMPAIGN_TTL seconds: every
# submission needs them, and they change only when the office edits a campaign (a submission accepted a
# few seconds after a phase closed is harmless). Dropped when settings change, so each test reads afresh.
CAMPAIGN_TTL = 10.0
_campaigns: dict[str | None, tuple[float, Campaign]] = {}


@receiver(setting_changed)
def _forget_campaigns(**kwargs: Any) -> None:
    _campaigns.clear()


def _campaign(key: str | None) -> Campaign:
    now = time.monotonic()
    cached = _campaigns.get(key)
    if cached is not None and now - cached[0] < CAMPAIGN_TTL:
        return cached[1]
    rows = (
        Campaign.objects.select_related("owner_unit")
        .defer("template_source", "description")
        .prefetch_related("phases", "categories")
    )
    campaign = rows.filter(key=key).first() if key else rows.order_by("-starts_on").first()
    if campaign is None:
        raise ValidationError({"campaign": _("No campaign has this key.") if key else _("No campaign yet.")})
    _campaigns[key] = (now, campaign)
    return campaign


def _submit(payload: SuggestionIn, claim: Claim | None, *, network: str) -> Suggestion:
    campaign = _campaign(payload.campaign)
    category: ProblemCategory | None = None
    if payload.category:
        category = next((c for c in campaign.categories.all() if c.key == payload.category), None)
        if category is None:
            raise ValidationError({"category": _("The campaign has no category with this key.")})
    unit: Unit | None = None
    if payload.unit_code and payload.unit_code.strip():
        unit = Unit.objects.filter(code=payload.unit_code.strip()).first()
        if unit is None:
            raise ValidationError({"unit_code": _("No unit has this code.")})
    return services.suggestion_submit(
        campaign=campaign,
        title=payload.title,
        text=payload.text,
        category=category,
        concerns_unit=unit,
        contact=payload.contact or "",
        claim=claim,
        network=network,
    )


def _submitted(suggestion: Suggestion) -> dict[str, Any]:
    return {
        "id": suggestion.pk,
        "receipt_code": suggestion.receipt_code,
        "moderation": suggestion.moderation,
        "receipt_url": f"/api/receipts/{suggestion.receipt_code}",
    }


class SubmittedSuggestions:
    """Where submissions keep their Idempotency-Key: on the suggestion itself. A retry is answered what the
    first request was (the moderation as it was then: "pending")."""

    def recall(self, key: str) -> Earlier | None:
        suggestion = (
            Suggestion.objects.filter(idempotency_key=key)
            .only("receipt_code", "request_hash", "submitted_at")
            .first()
        )
        if suggestion is None:
            return None
        suggestion.moderation = Moderation.PENDING
        return Earlier(suggestion.request_hash, _submitted(suggestion), suggestion.submitted_at)

    def forget(self, key: str) -> None:
        Suggestion.objects.filter(idempotency_key=key).update(idempotency_key=None)


@router.post(
    "/suggestions",
    response={201: SubmittedOut, **errors(400, 415, 422, 429)},
    openapi_extra={
        "parameters": [
            {
                "in": "header",
                "name": HEADER,
                "required": False,
                "schema": {"type": "string", "maxLength": 255},
                "description": "a fresh UUID per suggestion: retrying with it never creates a second one",
            }
        ]
    },
)
def submit_suggestion(request: HttpRequest, payload: SuggestionIn) -> HttpResponse:
    """Send a suggestion (no account needed); the answer carries the receipt code to follow it.

    Retrying with the same ``Idempotency-Key`` and the same body answers the first response again and
    creates nothing; the same key with another body is refused (422 ``idempotency_mismatch``).
    Too many submissions from one network are answered 429 with ``Retry-After``.
    """
    content_type = request.content_type or ""
    if content_type != "application/json" and not content_type.endswith("+json"):
        raise HttpError(415, "Send the suggestion as application/json.")
    key = clean_key(request.META.get(KEY_META))  # documented in openapi_extra above

    def write(claim: Claim | None) -> dict[str, Any]:
        return _submitted(_submit(payload, claim, network=client_network(request)))

    outcome = idempotent_write(
        key=key,
        payload=payload,
        status=201,
        write=write,
        records=SubmittedSuggestions(),
        refusals=(ValidationError, RateLimited),
    )
    # Answered as is: the body is made of the suggestion's own fields (SubmittedOut documents it), so it
    # is not validated again on the public write path, and pydantic's serialiser writes it.
    answer = HttpResponse(to_json(outcome.body), content_type="application/json", status=outcome.status)
    answer["Location"] = outcome.body["receipt_url"]
    if outcome.replayed:
        answer["Idempotent-Replayed"] = "true"
    return answer


@router.get("/receipts/{code}", response={200: ReceiptOut, **errors(404, 429)})
def get_receipt(request: HttpRequest, code: str) -> Suggestion:
    """Where one's own suggestion stands, by its receipt code."""
    read_limit(request)
    if not RECEIPT_PATTERN.fullmatch(code):
        raise Http404("no such receipt")
    return selectors.by_receipt(code=code)


# --- staff -----------------------------------------------------------------------------------------------


class _Queue:
    """The moderation queue, computed only for the page asked for (its proposals are not free)."""

    def __init__(self, actor: Any):
        self.actor = actor

    def all(self) -> _Queue:
        return self

    def count(self) -> int:
        # The rows moderation_queue() lists, counted in the database.
        campaigns = [
            c
            for c in Campaign.objects.select_related("owner_unit")
            if policy.allows(self.actor, "suggestion.moderate", c.owner_unit)
        ]
        return (
            Suggestion.objects.filter(campaign__in=campaigns)
            .filter(
                Q(moderation=Moderation.PENDING)
                | Q(moderation=Moderation.PUBLISHED, handling=Handling.UNROUTED)
            )
            .count()
        )

    def __getitem__(self, window: slice) -> list[dict[str, Any]]:
        start, stop = window.start or 0, window.stop or 0
        items = selectors.moderation_queue(actor=self.actor, limit=stop)[start:stop]
        return [
            {
                "suggestion": item.suggestion,
                "similar": [{"id": s.pk, "title": s.title, "score": score} for s, score in item.similar],
                "proposals": [{"unit": unit, "score": score} for unit, score in item.proposals],
            }
            for item in items
        ]


@router.get(
    "/staff/suggestions/queue",
    response={200: list[QueueItemOut], **errors(401, 403)},
    auth=staff_auth,
    tags=STAFF,
)
@paginate(Page)
def moderation_queue(request: HttpRequest) -> Any:
    """Suggestions awaiting moderation, then published ones awaiting routing, oldest first, each with its
    near-duplicates and the units most likely to be responsible (moderators)."""
    if not policy.allows_anywhere(request.user, "suggestion.moderate"):
        raise policy.PermissionDenied("suggestion.moderate")
    return _Queue(request.user)


@router.get(
    "/staff/suggestions/inbox",
    response={200: list[StaffSuggestionOut], **errors(401, 403)},
    auth=staff_auth,
    tags=STAFF,
)
@paginate(Page)
def inbox(request: HttpRequest) -> QuerySet[Suggestion]:
    """Suggestions routed (or escalated) to the units one answers for, the most urgent first."""
    if not policy.allows_anywhere(request.user, "suggestion.answer"):
        raise policy.PermissionDenied("suggestion.answer")
    return selectors.inbox(actor=request.user).select_related("category", "concerns_unit")


@router.get(
    "/staff/suggestions/{suggestion_id}",
    response={200: StaffSuggestionDetailOut, **errors(401, 404)},
    auth=staff_auth,
    tags=STAFF,
)
def staff_suggestion(request: HttpRequest, suggestion_id: int) -> Suggestion:
    """One suggestion as its moderators and its responsible unit see it, contact included."""
    return selectors.staff_get(actor=request.user, suggestion_id=suggestion_id)


STAFF_WRITE = {200: StaffSuggestionDetailOut, **errors(401, 403, 404, 422)}


@router.post("/staff/suggestions/{suggestion_id}/publish", response=STAFF_WRITE, auth=staff_auth, tags=STAFF)
def publish(request: HttpRequest, suggestion_id: int) -> Suggestion:
    suggestion = selectors.staff_get(actor=request.user, suggestion_id=suggestion_id)
    return services.suggestion_publish(actor=request.user, suggestion=suggestion)


@router.post("/staff/suggestions/{suggestion_id}/reject", response=STAFF_WRITE, auth=staff_auth, tags=STAFF)
def reject(request: HttpRequest, suggestion_id: int, payload: RejectIn) -> Suggestion:
    """Refuse publication with a reason the submitter sees, or mark it spam."""
    suggestion = selectors.staff_get(actor=request.user, suggestion_id=suggestion_id)
    return services.suggestion_reject(
        actor=request.user, suggestion=suggestion, reason=payload.reason, spam=payload.spam
    )


@router.post("/staff/suggestions/{suggestion_id}/route", response=STAFF_WRITE, auth=staff_auth, tags=STAFF)
def route(request: HttpRequest, suggestion_id: int, payload: RouteIn) -> Suggestion:
    """Send a published suggestion to the unit that must answer it (by ``unit_id`` or ``unit_code``)."""
    suggestion = selectors.staff_get(actor=request.user, suggestion_id=suggestion_id)
    unit = None
    if payload.unit_id is not None:
        unit = Unit.objects.filter(pk=payload.unit_id).first()
    elif payload.unit_code:
        unit = Unit.objects.filter(code=payload.unit_code.strip()).first()
    if unit is None:
        raise ValidationError({"unit": _("No unit has this code.")})
    return services.suggestion_route(actor=request.user, suggestion=suggestion, unit=unit)


@router.post(
    "/staff/suggestions/{suggestion_id}/answer",
    response={200: AnswerOut, **errors(401, 403, 404, 422)},
    auth=staff_auth,
    tags=STAFF,
)
def answer(request: HttpRequest, suggestion_id: int, payload: AnswerIn) -> Any:
    """The responsible unit answers; an adopted suggestion may become a problem in its ledger."""
    suggestion = selectors.staff_get(actor=request.user, suggestion_id=suggestion_id)
    category = None
    if payload.to_ledger:
        category = suggestion.campaign.categories.filter(key=payload.to_ledger).first()
        if category is None:
            raise ValidationError({"to_ledger": _("The campaign has no category with this key.")})
    return services.suggestion_answer(
        actor=request.user,
        suggestion=suggestion,
        text=payload.text,
        adoption=payload.adoption,
        reason=payload.reason,
        to_ledger=category,
    )

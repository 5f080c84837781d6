"""The building blocks of the authorization matrix's coverage table: cases, rules, URL parameters, bodies.

The expected answer is never written down: each rule asks ``dalun.org.policy`` (``allows``,
``allows_anywhere``, ``is_system``) about the actor and the object the case names, so a change in the policy
changes the expectation and a view that disagrees with the policy fails.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from dalun.campaigns.models import Campaign
from dalun.org import policy
from dalun.org.models import Unit
from dalun.supervision.models import GroupMember, SupervisionGroup
from dalun.voices.models import Attachment, Suggestion

from .world import PLACES, SCOPES, XIAODIAN, World

NOWHERE = "-"  # the single case of a route that takes no object
PENDING = "pending"  # the suggestion awaiting moderation (a pseudo-place of suggestion routes)
SUGGESTION_PLACES = (*PLACES, PENDING)
SUBTREES = (*PLACES, *SCOPES)  # routes over a unit's whole subtree are also asked at Taiyuan and the province
VISIBILITIES = ("public", "internal")

Kwargs = Callable[[World, str, str], dict[str, Any]]


@dataclass(frozen=True)
class Rule:
    """Who may use a route on the object of a case, asked of the policy."""

    label: str
    decide: Callable[[World, Any, str, str], bool]

    def __call__(self, world: World, actor: Any, place: str, variant: str) -> bool:
        return self.decide(world, actor, place, variant)


@dataclass(frozen=True)
class Entry:
    """One route and method of the matrix.

    ``route`` is a page's URL name or an API operation's ``METHOD /api/path``; ``places`` and ``variants``
    give its cases (a place's object, in each variant such as the public and the internal problem);
    ``kwargs`` builds the URL's parameters of a case; ``body`` builds a JSON body (API) or form data (page);
    ``query`` is added to the URL.
    """

    route: str
    method: str
    rule: Rule
    kwargs: Kwargs = lambda world, place, variant: {}
    places: tuple[str, ...] = (NOWHERE,)
    variants: tuple[str, ...] = ("",)
    body: Callable[[World, str, str], dict[str, Any]] | None = None
    query: dict[str, str] | None = None
    success: tuple[int, ...] = (200,)  # what an entitled GET answers
    holder: bool = False  # the URL presents the case's receipt code: the submitter sees their own suggestion

    @property
    def is_api(self) -> bool:
        return self.route.split(" ", 1)[0] in {"GET", "POST", "PUT", "PATCH", "DELETE"}

    def cases(self) -> list[tuple[str, str]]:
        return [(place, variant) for place in self.places for variant in self.variants]


# --- rules -----------------------------------------------------------------------------------------------

PUBLIC = Rule("public", lambda world, actor, place, variant: True)
SIGNED_IN = Rule("signed in", lambda world, actor, place, variant: bool(actor.is_authenticated))


def on_unit(action: str) -> Rule:
    """``action`` on the place's unit."""
    return Rule(
        f"{action} on the unit",
        lambda world, actor, place, variant: _allows(actor, action, world.unit(place)),
    )


def anywhere(action: str) -> Rule:
    """``action`` held over at least one subtree (lists and forms that are not about one object)."""
    return Rule(
        f"{action} anywhere", lambda world, actor, place, variant: policy.allows_anywhere(actor, action)
    )


def _allows(actor: Any, action: str, unit: Unit) -> bool:
    return policy.allows(actor, action, unit)


def _problem_visible(world: World, actor: Any, place: str, variant: str) -> bool:
    """A public problem (its measures, its evidence) is everyone's; anything else the subtree staff's."""
    return variant == "public" or _allows(actor, "unit.view_internal", world.unit(place))


VISIBLE_PROBLEM = Rule("public, or else unit.view_internal", _problem_visible)


def suggestion_of(world: World, place: str) -> Suggestion:
    return world.pending if place == PENDING else world[place].suggestion


def _handles(world: World, actor: Any, place: str, variant: str) -> bool:
    """The moderators of the campaign, and the staff who answer for the unit it was routed to."""
    suggestion = suggestion_of(world, place)
    if _allows(actor, "suggestion.moderate", suggestion.campaign.owner_unit):
        return True
    routed = suggestion.routed_unit
    return routed is not None and _allows(actor, "suggestion.answer", routed)


HANDLES_SUGGESTION = Rule("suggestion.moderate on the campaign or suggestion.answer on its unit", _handles)
MODERATES_SUGGESTION = Rule(
    "suggestion.moderate on the campaign's unit",
    lambda world, actor, place, variant: _allows(
        actor, "suggestion.moderate", suggestion_of(world, place).campaign.owner_unit
    ),
)


def _answers(world: World, actor: Any, place: str, variant: str) -> bool:
    routed = suggestion_of(world, place).routed_unit
    return routed is not None and _allows(actor, "suggestion.answer", routed)


ANSWERS_SUGGESTION = Rule("suggestion.answer on the unit it was routed to", _answers)
MODERATES_MAP = Rule(
    "opinion.moderate on the map's unit",
    lambda world, actor, place, variant: _allows(
        actor, "opinion.moderate", world[place].opinion_map.scope_unit
    ),
)
DEPLOYS_CAMPAIGN = Rule(
    "campaign.deploy on the campaign's leading unit",
    lambda world, actor, place, variant: _allows(actor, "campaign.deploy", world[place].campaign.owner_unit),
)
SIGNS_OFF = Rule(
    "ledger.submit or ledger.review on the unit",
    lambda world, actor, place, variant: (
        _allows(actor, "ledger.submit", world.unit(place))
        or _allows(actor, "ledger.review", world.unit(place))
    ),
)
EXPORTS_LEDGER = Rule(
    "dashboard.view or unit.view_internal on the unit",
    lambda world, actor, place, variant: (
        _allows(actor, "dashboard.view", world.unit(place))
        or _allows(actor, "unit.view_internal", world.unit(place))
    ),
)
REPORTS_KEY_LINK = Rule(
    "keylink.report on the obligation's unit",
    lambda world, actor, place, variant: _allows(actor, "keylink.report", world[place].obligation.unit),
)
IMPORTED_IT = Rule(
    "the person who uploaded the import (or the system)",
    lambda world, actor, place, variant: (
        policy.is_system(actor) or world[place].import_job.created_by_id == getattr(actor, "pk", None)
    ),
)
EDITS_CALENDAR = Rule(
    "campaign.manage at a root unit (the national calendar)",
    lambda world, actor, place, variant: (
        policy.is_system(actor)
        or any(_allows(actor, "campaign.manage", root) for root in Unit.objects.filter(parent=None))
    ),
)


# supervision, formalism alerts and history


def _member(actor: Any, group: SupervisionGroup) -> bool:
    return bool(actor.pk) and GroupMember.objects.filter(group=group, person_id=actor.pk).exists()


def _sees_group(world: World, actor: Any, place: str, variant: str) -> bool:
    """The office that leads the group, and its members."""
    group = world.oversight[place].group
    return _allows(actor, "supervision.manage", group.leading_unit) or _member(actor, group)


def _sees_inspection(world: World, actor: Any, place: str, variant: str) -> bool:
    """The group's office and members, and (once recorded, as it is here) the staff over the unit."""
    inspection = world.oversight[place].inspection
    return _sees_group(world, actor, place, variant) or _allows(actor, "supervision.view", inspection.unit)


def _inspects(world: World, actor: Any, place: str, variant: str) -> bool:
    """A member of the group holding supervision.inspect over the inspected unit."""
    inspection = world.oversight[place].inspection
    return _allows(actor, "supervision.inspect", inspection.unit) and (
        policy.is_system(actor) or _member(actor, inspection.group)
    )


SUPERVISION_HOME = Rule(
    "supervision.manage or supervision.view anywhere",
    lambda world, actor, place, variant: (
        policy.allows_anywhere(actor, "supervision.manage")
        or policy.allows_anywhere(actor, "supervision.view")
    ),
)
SEES_GROUP = Rule("supervision.manage on the group's leading unit, or a member", _sees_group)
MANAGES_GROUP = Rule(
    "supervision.manage on the group's leading unit",
    lambda world, actor, place, variant: _allows(
        actor, "supervision.manage", world.oversight[place].group.leading_unit
    ),
)
SEES_INSPECTION = Rule("the group's office or members, or supervision.view on the unit", _sees_inspection)
INSPECTS = Rule("supervision.inspect on the unit, as a member of the group", _inspects)
SEES_FINDING = Rule(
    "supervision.view on the finding's unit",
    lambda world, actor, place, variant: _allows(
        actor, "supervision.view", world.oversight[place].finding.unit
    ),
)
SEES_ALERT = Rule(
    "alert.view on the alert's unit",
    lambda world, actor, place, variant: _allows(actor, "alert.view", world.oversight[place].alert.unit),
)
REVIEWS_ALERT = Rule(
    "alert.review on the alert's unit",
    lambda world, actor, place, variant: _allows(actor, "alert.review", world.oversight[place].alert.unit),
)
SCANS = Rule(
    "alert.review on the leading unit of some campaign",
    lambda world, actor, place, variant: any(
        _allows(actor, "alert.review", campaign.owner_unit)
        for campaign in Campaign.objects.select_related("owner_unit")
    ),
)
SEES_HISTORY = Rule(
    "audit.view or unit.view_internal on the object's unit",
    lambda world, actor, place, variant: (
        _allows(actor, "audit.view", world.unit(place))
        or _allows(actor, "unit.view_internal", world.unit(place))
    ),
)


# --- kwargs ------------------------------------------------------------------------------------------------


def unit_id(world: World, place: str, variant: str) -> dict[str, Any]:
    return {"unit_id": world.unit(place).pk}


def ledger_kw(world: World, place: str, variant: str) -> dict[str, Any]:
    return {"unit_id": world.unit(place).pk, "campaign_key": world.campaign.key}


def problem_id(world: World, place: str, variant: str) -> dict[str, Any]:
    return {"problem_id": world[place].problem[variant].pk}


def measure_id(world: World, place: str, variant: str) -> dict[str, Any]:
    return {"measure_id": world[place].measure[variant].pk}


def suggestion_id(world: World, place: str, variant: str) -> dict[str, Any]:
    return {"suggestion_id": suggestion_of(world, place).pk}


def attachment_id(world: World, place: str, variant: str) -> dict[str, Any]:
    attachment = Attachment.objects.filter(suggestion=suggestion_of(world, place)).order_by("pk").first()
    assert attachment is not None
    return {"attachment_id": attachment.pk}


def receipt_code(world: World, place: str, variant: str) -> dict[str, Any]:
    return {"code": suggestion_of(world, place).receipt_code}


def map_id(world: World, place: str, variant: str) -> dict[str, Any]:
    return {"map_id": world[place].opinion_map.pk}


def campaign_key(world: World, place: str, variant: str) -> dict[str, Any]:
    return {"key": world[place].campaign.key}


def led_campaign_key(world: World, place: str, variant: str) -> dict[str, Any]:
    return {"campaign_key": world[place].campaign.key}


def group_id(world: World, place: str, variant: str) -> dict[str, Any]:
    return {"group_id": world.oversight[place].group.pk}


def inspection_id(world: World, place: str, variant: str) -> dict[str, Any]:
    return {"inspection_id": world.oversight[place].inspection.pk}


def finding_id(world: World, place: str, variant: str) -> dict[str, Any]:
    return {"finding_id": world.oversight[place].finding.pk}


def alert_id(world: World, place: str, variant: str) -> dict[str, Any]:
    return {"alert_id": world.oversight[place].alert.pk}


# --- bodies of the API's writes (valid, so that only the permission can refuse them) ------------------


def unit_patch_body(world: World, place: str, variant: str) -> dict[str, Any]:
    unit = world.unit(place)
    return {"version": unit.version, "name_en": unit.name_en}


def suggestion_body(world: World, place: str, variant: str) -> dict[str, Any]:
    return {
        "title": "建议公开政务服务办理时限",
        "text": "希望在网站上公布每个事项的办理时限。",
        "unit_code": world.unit(place).code,
    }


def route_body(world: World, place: str, variant: str) -> dict[str, Any]:
    target = world[place if place in PLACES else XIAODIAN].unit
    return {"unit_id": target.pk}


def answer_body(world: World, place: str, variant: str) -> dict[str, Any]:
    return {"text": "已研究，纳入明年计划。", "adoption": "partly", "reason": "需要预算支持"}


def problem_body(world: World, place: str, variant: str) -> dict[str, Any]:
    category = world.campaign.categories.order_by("position").first()
    assert category is not None
    return {"category": category.key, "manifestation": "窗口排队时间长", "visibility": "public"}


def measure_body(world: World, place: str, variant: str) -> dict[str, Any]:
    return {
        "action": "增设窗口",
        "indicator": "排队时间",
        "target": "10",
        "owner": "办公室",
        "working_days": 10,
    }


def progress_body(world: World, place: str, variant: str) -> dict[str, Any]:
    return {"percent": 30, "text": "已增设两个窗口"}

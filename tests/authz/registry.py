"""The coverage table of the authorization matrix: for every route, how to reach an object of each place and
which policy rule decides who may use it.

The expected answer is never written here: each rule asks ``dalun.org.policy`` (``allows``,
``allows_anywhere``, ``is_system``) about the actor and the object the case names, so a change in the policy
changes the expectation and a view that disagrees with the policy fails. How to register a new route is
explained in docs/authorization.md.
"""

from __future__ import annotations

from typing import Any

from .rules import (
    ANSWERS_SUGGESTION,
    DEPLOYS_CAMPAIGN,
    EDITS_CALENDAR,
    EXPORTS_LEDGER,
    HANDLES_SUGGESTION,
    IMPORTED_IT,
    INSPECTS,
    MANAGES_GROUP,
    MODERATES_MAP,
    MODERATES_SUGGESTION,
    PLACES,
    PUBLIC,
    REPORTS_KEY_LINK,
    REVIEWS_ALERT,
    SCANS,
    SEES_ALERT,
    SEES_FINDING,
    SEES_GROUP,
    SEES_HISTORY,
    SEES_INSPECTION,
    SIGNED_IN,
    SIGNS_OFF,
    SUBTREES,
    SUGGESTION_PLACES,
    SUPERVISION_HOME,
    VISIBILITIES,
    VISIBLE_PROBLEM,
    Entry,
    alert_id,
    answer_body,
    anywhere,
    attachment_id,
    campaign_key,
    finding_id,
    group_id,
    inspection_id,
    led_campaign_key,
    ledger_kw,
    map_id,
    measure_body,
    measure_id,
    on_unit,
    problem_body,
    problem_id,
    progress_body,
    receipt_code,
    route_body,
    suggestion_body,
    suggestion_id,
    unit_id,
    unit_patch_body,
)

# --- the table ---------------------------------------------------------------------------------------------

UNIT_PLACES: dict[str, Any] = {"places": PLACES, "kwargs": unit_id}
LEDGER_PLACES: dict[str, Any] = {"places": PLACES, "kwargs": ledger_kw}
SUBTREE_UNITS: dict[str, Any] = {"places": SUBTREES, "kwargs": unit_id}
SUBTREE_LEDGERS: dict[str, Any] = {"places": SUBTREES, "kwargs": ledger_kw}
MEASURES: dict[str, Any] = {"places": PLACES, "variants": VISIBILITIES, "kwargs": measure_id}
SUGGESTIONS: dict[str, Any] = {"places": SUGGESTION_PLACES, "kwargs": suggestion_id}
PUBLISHED: dict[str, Any] = {"places": PLACES, "kwargs": suggestion_id}
RECEIPTS: dict[str, Any] = {"places": SUGGESTION_PLACES, "kwargs": receipt_code, "holder": True}
MAPS: dict[str, Any] = {"places": PLACES, "kwargs": map_id}
CAMPAIGNS: dict[str, Any] = {"places": PLACES, "kwargs": led_campaign_key}

PAGES: list[Entry] = [
    # the site and accounts
    Entry("home", "GET", PUBLIC),
    Entry("login", "GET", PUBLIC),
    Entry("logout", "POST", PUBLIC),
    Entry("set_language", "GET", PUBLIC, success=(302,)),  # redirects back, changing nothing
    Entry("set_language", "POST", PUBLIC, body=lambda world, place, variant: {"language": "en"}),
    Entry("api:openapi-json", "GET", PUBLIC),
    Entry("api:openapi-view", "GET", PUBLIC),
    Entry("api:api-root", "GET", PUBLIC, success=(404,)),  # django-ninja's root: "not found" to everyone
    # the organisation
    Entry("unit-tree", "GET", PUBLIC),
    Entry("unit-search", "GET", PUBLIC, query={"q": "区"}),
    Entry("unit-detail", "GET", PUBLIC, **SUBTREE_UNITS),
    Entry("unit-tree-children", "GET", PUBLIC, **UNIT_PLACES),
    Entry("unit-edit", "GET", on_unit("unit.change"), **UNIT_PLACES),
    Entry("unit-edit", "POST", on_unit("unit.change"), **UNIT_PLACES),
    Entry("unit-import", "GET", anywhere("unit.import")),
    Entry("unit-import", "POST", anywhere("unit.import")),
    Entry(
        "unit-import-detail",
        "GET",
        IMPORTED_IT,
        places=PLACES,
        kwargs=lambda world, place, variant: {"job_id": world[place].import_job.pk},
    ),
    # campaigns
    Entry("campaign-list", "GET", PUBLIC),
    Entry("campaign-create", "GET", anywhere("campaign.manage")),
    Entry("campaign-create", "POST", anywhere("campaign.manage")),
    Entry("campaign-detail", "GET", PUBLIC, places=PLACES, kwargs=campaign_key),
    Entry("campaign-deploy", "GET", DEPLOYS_CAMPAIGN, places=PLACES, kwargs=campaign_key),
    Entry("campaign-deploy", "POST", DEPLOYS_CAMPAIGN, places=PLACES, kwargs=campaign_key),
    # ledgers
    Entry("ledger-detail", "GET", PUBLIC, **LEDGER_PLACES),
    Entry("problem-create", "POST", on_unit("ledger.edit"), **LEDGER_PLACES),
    Entry("ledger-signoff", "POST", SIGNS_OFF, **LEDGER_PLACES),
    Entry("measure-list", "GET", PUBLIC, **SUBTREE_LEDGERS),
    Entry("problem-list", "GET", PUBLIC, **SUBTREE_LEDGERS),
    Entry(
        "ledger-export", "GET", EXPORTS_LEDGER, query={"format": "csv", "list": "problems"}, **SUBTREE_LEDGERS
    ),
    Entry("ledger-import", "GET", on_unit("ledger.edit"), **LEDGER_PLACES),
    Entry("ledger-import", "POST", on_unit("ledger.edit"), **LEDGER_PLACES),
    Entry(
        "measure-create",
        "POST",
        on_unit("ledger.edit"),
        places=PLACES,
        variants=VISIBILITIES,
        kwargs=problem_id,
    ),
    Entry("measure-detail", "GET", VISIBLE_PROBLEM, **MEASURES),
    Entry("measure-detail", "POST", on_unit("ledger.edit"), **MEASURES),
    Entry("measure-progress", "POST", on_unit("ledger.edit"), **MEASURES),
    Entry("evidence-upload", "POST", on_unit("ledger.edit"), **MEASURES),
    Entry("measure-request-close", "POST", on_unit("ledger.edit"), **MEASURES),
    Entry("measure-verify", "POST", on_unit("measure.verify"), **MEASURES),
    Entry(
        "keylink-report",
        "POST",
        REPORTS_KEY_LINK,
        places=PLACES,
        kwargs=lambda world, place, variant: {"obligation_id": world[place].obligation.pk},
    ),
    Entry(
        "evidence-download",
        "GET",
        VISIBLE_PROBLEM,  # a key link's evidence belongs to no problem: the unit's staff only
        places=PLACES,
        variants=(*VISIBILITIES, "keylink"),
        kwargs=lambda world, place, variant: {"evidence_id": world[place].evidence[variant].pk},
    ),
    Entry("dashboard", "GET", on_unit("dashboard.view"), **SUBTREE_LEDGERS),
    # the working-day calendar
    Entry("workcalendar-year", "GET", PUBLIC),
    Entry("workcalendar-day-set", "POST", EDITS_CALENDAR),
    Entry("workcalendar-day-remove", "POST", EDITS_CALENDAR),
    Entry("workcalendar-import", "POST", EDITS_CALENDAR),
    # suggestions, staff side
    Entry("voices-queue", "GET", anywhere("suggestion.moderate")),
    Entry("voices-inbox", "GET", anywhere("suggestion.answer")),
    Entry("voices-notifications", "GET", SIGNED_IN),
    Entry("voices-suggestion", "GET", HANDLES_SUGGESTION, **SUGGESTIONS),
    Entry("voices-act", "POST", HANDLES_SUGGESTION, **SUGGESTIONS),
    Entry("voices-attachment", "GET", HANDLES_SUGGESTION, places=SUGGESTION_PLACES, kwargs=attachment_id),
    # the portal
    Entry("portal-home", "GET", PUBLIC),
    Entry("portal-suggestions", "GET", PUBLIC),
    Entry("portal-suggestion", "GET", PUBLIC, **PUBLISHED),
    Entry("portal-support", "POST", PUBLIC, **PUBLISHED),
    Entry("portal-suggest", "GET", PUBLIC),
    Entry("portal-suggest", "POST", PUBLIC),
    Entry("portal-receipt-lookup", "GET", PUBLIC),
    Entry("portal-receipt", "GET", PUBLIC, **RECEIPTS),
    Entry("portal-receipt", "POST", PUBLIC, **RECEIPTS),
    Entry("portal-unit", "GET", PUBLIC, **SUBTREE_UNITS),
    # opinion maps
    Entry("opinion-public-list", "GET", PUBLIC),
    Entry("opinion-vote", "GET", PUBLIC, **MAPS),
    Entry("opinion-vote-cast", "POST", PUBLIC, **MAPS),
    Entry("opinion-submit", "POST", PUBLIC, **MAPS),
    Entry("opinion-results", "GET", PUBLIC, **MAPS),
    Entry("opinion-maps", "GET", anywhere("opinion.moderate")),
    Entry("opinion-create", "GET", anywhere("opinion.moderate")),
    Entry("opinion-create", "POST", anywhere("opinion.moderate")),
    Entry("opinion-import", "GET", anywhere("opinion.moderate")),
    Entry("opinion-import", "POST", anywhere("opinion.moderate")),
    Entry("opinion-manage", "GET", MODERATES_MAP, **MAPS),
    Entry("opinion-act", "POST", MODERATES_MAP, **MAPS),
    Entry("opinion-export", "GET", MODERATES_MAP, **MAPS),
    # supervision
    Entry("supervision-home", "GET", SUPERVISION_HOME),
    Entry("supervision-group-create", "POST", anywhere("supervision.manage"), **CAMPAIGNS),
    Entry("supervision-my-units", "GET", anywhere("supervision.inspect"), **CAMPAIGNS),
    Entry("supervision-group", "GET", SEES_GROUP, places=PLACES, kwargs=group_id),
    Entry(
        "supervision-group-act",
        "POST",
        MANAGES_GROUP,
        places=PLACES,
        kwargs=group_id,
        body=lambda world, place, variant: {"action": "rename", "name": "", "version": "0"},
    ),
    Entry("supervision-inspection", "GET", SEES_INSPECTION, places=PLACES, kwargs=inspection_id),
    Entry(
        "supervision-inspection-act",
        "POST",
        INSPECTS,
        places=PLACES,
        kwargs=inspection_id,
        body=lambda world, place, variant: {"action": "notice", "text": ""},
    ),
    Entry("supervision-finding", "GET", SEES_FINDING, places=PLACES, kwargs=finding_id),
    # redirects to the finding's page those who may see it
    Entry(
        "supervision-problem-finding",
        "GET",
        SEES_FINDING,
        places=PLACES,
        success=(302,),
        kwargs=lambda world, place, variant: {"problem_id": world.oversight[place].finding.problem_id},
    ),
    Entry("supervision-findings", "GET", on_unit("supervision.view"), **SUBTREE_LEDGERS),
    Entry("supervision-dashboard", "GET", on_unit("supervision.view"), **SUBTREE_LEDGERS),
    Entry(
        "supervision-evidence",
        "GET",
        SEES_FINDING,
        places=PLACES,
        kwargs=lambda world, place, variant: {"evidence_id": world.oversight[place].finding_evidence.pk},
    ),
    # formalism alerts
    Entry("formalism-alerts", "GET", anywhere("alert.view")),
    Entry("formalism-scan", "POST", SCANS),
    Entry("formalism-alert", "GET", SEES_ALERT, places=PLACES, kwargs=alert_id),
    Entry("formalism-alert-confirm", "POST", REVIEWS_ALERT, places=PLACES, kwargs=alert_id),
    Entry("formalism-alert-dismiss", "POST", REVIEWS_ALERT, places=PLACES, kwargs=alert_id),
    # audit history (of the internal problem)
    Entry(
        "object-history",
        "GET",
        SEES_HISTORY,
        places=PLACES,
        kwargs=lambda world, place, variant: {
            "object_type": "ledger.problem",
            "object_id": str(world[place].problem["internal"].pk),
        },
    ),
]

API: list[Entry] = [
    Entry("GET /api/units", "GET", PUBLIC),
    Entry("GET /api/units/{unit_id}", "GET", PUBLIC, **UNIT_PLACES),
    Entry("PATCH /api/units/{unit_id}", "PATCH", on_unit("unit.change"), body=unit_patch_body, **UNIT_PLACES),
    Entry("GET /api/units/{unit_id}/people", "GET", on_unit("unit.view_internal"), **SUBTREE_UNITS),
    Entry("GET /api/campaigns", "GET", PUBLIC),
    Entry("GET /api/campaigns/{key}", "GET", PUBLIC, places=PLACES, kwargs=campaign_key),
    Entry("GET /api/suggestions", "GET", PUBLIC),
    Entry("POST /api/suggestions", "POST", PUBLIC, places=PLACES, body=suggestion_body),
    Entry("GET /api/suggestions/{suggestion_id}", "GET", PUBLIC, **PUBLISHED),
    Entry("GET /api/receipts/{code}", "GET", PUBLIC, **RECEIPTS),
    Entry("GET /api/staff/suggestions/queue", "GET", anywhere("suggestion.moderate")),
    Entry("GET /api/staff/suggestions/inbox", "GET", anywhere("suggestion.answer")),
    Entry("GET /api/staff/suggestions/{suggestion_id}", "GET", HANDLES_SUGGESTION, **SUGGESTIONS),
    Entry("POST /api/staff/suggestions/{suggestion_id}/publish", "POST", MODERATES_SUGGESTION, **SUGGESTIONS),
    Entry(
        "POST /api/staff/suggestions/{suggestion_id}/reject",
        "POST",
        MODERATES_SUGGESTION,
        body=lambda world, place, variant: {"reason": "重复建议"},
        **SUGGESTIONS,
    ),
    Entry(
        "POST /api/staff/suggestions/{suggestion_id}/route",
        "POST",
        MODERATES_SUGGESTION,
        body=route_body,
        **SUGGESTIONS,
    ),
    Entry(
        "POST /api/staff/suggestions/{suggestion_id}/answer",
        "POST",
        ANSWERS_SUGGESTION,
        body=answer_body,
        **PUBLISHED,  # a pending suggestion is answered by nobody (refused on its state, 422)
    ),
    Entry("GET /api/units/{unit_id}/ledger", "GET", PUBLIC, **UNIT_PLACES),
    Entry("GET /api/units/{unit_id}/problems", "GET", PUBLIC, **SUBTREE_UNITS),
    Entry("GET /api/units/{unit_id}/measures", "GET", PUBLIC, **SUBTREE_UNITS),
    Entry(
        "POST /api/staff/ledgers/{unit_id}/{campaign_key}/problems",
        "POST",
        on_unit("ledger.edit"),
        body=problem_body,
        **LEDGER_PLACES,
    ),
    Entry(
        "POST /api/staff/problems/{problem_id}/measures",
        "POST",
        on_unit("ledger.edit"),
        places=PLACES,
        variants=VISIBILITIES,
        kwargs=problem_id,
        body=measure_body,
    ),
    Entry(
        "POST /api/staff/measures/{measure_id}/progress",
        "POST",
        on_unit("ledger.edit"),
        body=progress_body,
        **MEASURES,
    ),
]

ENTRIES: list[Entry] = PAGES + API

"""The authorization matrix (DESIGN.md §4): every page and API route x every role x an object inside and
outside the actor's subtree, answered as ``dalun.org.policy`` says, and never carrying another unit's
internal record or a submitter's contact details to someone not entitled to them.

The routes come from the URL configuration and the OpenAPI schema (``routes.py``); how to reach each one and
which rule guards it is in the coverage table (``registry.py``); a route missing from the table fails
``test_every_route_is_in_the_matrix``. See docs/authorization.md.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import pytest
from django.conf import settings
from django.shortcuts import resolve_url
from django.test import Client
from django.urls import reverse

from dalun.org import policy
from dalun.voices import services as voice_services

from .registry import ENTRIES, PAGES
from .routes import api_operations, page_routes
from .rules import HANDLES_SUGGESTION, NOWHERE, PENDING, SUGGESTION_PLACES, Entry, suggestion_of
from .world import (
    ACTORS,
    ANONYMOUS,
    CHANGZHI,
    CONTACT_MARK,
    INTERNAL_MARK,
    PERSON_MARK,
    PLACES,
    ROOT,
    UNPUBLISHED_MARK,
    XIAODIAN,
    World,
)

if TYPE_CHECKING:
    from django.test.client import _MonkeyPatchedWSGIResponse as Response  # the test client's answer

DENIED = {403, 404}


def _case_id(entry: Entry, actor: str, place: str, variant: str) -> str:
    where = place if not variant else f"{place}/{variant}"
    route = entry.route if entry.is_api else f"{entry.method} {entry.route}"
    return f"{route} | {actor} | {where}"


CASES = [
    pytest.param(entry, actor, place, variant, id=_case_id(entry, actor, place, variant))
    for entry in ENTRIES
    for actor in ACTORS
    for place, variant in entry.cases()
]


def client_for(sessions: dict[str, str], actor: str) -> Client:
    client = Client()
    if actor != ANONYMOUS:
        client.cookies[settings.SESSION_COOKIE_NAME] = sessions[actor]
    return client


def send(client: Client, world: World, entry: Entry, place: str, variant: str) -> Response:
    kwargs = entry.kwargs(world, place, variant)
    body = entry.body(world, place, variant) if entry.body else None
    if entry.is_api:
        url = entry.route.split(" ", 1)[1].format(**kwargs)
        if body is None:
            return client.generic(entry.method, url)
        return client.generic(entry.method, url, json.dumps(body), content_type="application/json")
    url = reverse(entry.route, kwargs=kwargs)
    if entry.method == "GET":
        return client.get(url, entry.query or {})
    return client.post(url, body or {})


def content_of(response: Response) -> str:
    # Reading a streamed answer to its end closes it (the test client wraps it); closing it again here would
    # fire request_finished, whose handler closes the database connection of the module's transaction.
    raw = b"".join(response.streaming_content) if response.streaming else response.content  # type: ignore[attr-defined]
    return raw.decode("utf-8", errors="replace")


def to_login(response: Response) -> bool:
    return response.status_code == 302 and response["Location"].startswith(resolve_url(settings.LOGIN_URL))


def secrets_for(world: World, actor: Any, entry: Entry | None = None, case: str = "") -> dict[str, bool]:
    """Each planted marker, and whether the actor is entitled to see it in this case's answer.

    A suggestion's receipt code is for the holder of the code alone (a receipt route asked with that very
    code): it lets its holder rate the answer, which the unit that answered must not do for the public. The
    text of a suggestion not yet published is for the holder and for its handlers.
    """
    marks: dict[str, bool] = {}
    for place in PLACES:
        internal = policy.allows(actor, "unit.view_internal", world.unit(place))
        marks[INTERNAL_MARK[place]] = internal
        marks[PERSON_MARK[place]] = internal
    for place in SUGGESTION_PLACES:
        suggestion = suggestion_of(world, place)
        holds = entry is not None and entry.holder and case == place
        marks[CONTACT_MARK[place]] = voice_services.may_see_contact(actor, suggestion)
        marks[suggestion.receipt_code] = holds
        if place == PENDING:
            marks[UNPUBLISHED_MARK] = holds or HANDLES_SUGGESTION(world, actor, place, "")
    return marks


_OPERATIONS = {op.key: op for op in api_operations()}


def judge(world: World, entry: Entry, actor_name: str, place: str, variant: str, response: Response) -> None:
    """The answer agrees with the policy, and carries no marker the actor is not entitled to."""
    actor = world.actor(actor_name)
    entitled = entry.rule(world, actor, place, variant)
    status, body = response.status_code, content_of(response)
    story = (
        f"{_case_id(entry, actor_name, place, variant)}: guarded by {entry.rule.label!r}, the policy says "
        f"{'allowed' if entitled else 'denied'}, the route answered {status}"
    )
    assert status < 500, story
    if entitled and entry.method == "GET":
        assert status in entry.success, story
    elif entitled:
        assert status not in {401, 403, 404, 405} and not to_login(response), story
    elif actor_name == ANONYMOUS:
        assert status in DENIED | {401} or to_login(response), story
        operation = _OPERATIONS.get(entry.route)
        if operation is not None and operation.secured:
            assert status == 401, f"{story} (the schema says it needs authentication)"
    else:
        assert status in DENIED, story
    secrets = secrets_for(world, actor, entry, place)
    leaked = [mark for mark, allowed in secrets.items() if not allowed and mark in body]
    assert not leaked, f"{story}, and its answer carries what the actor may not see: {leaked}"


@pytest.mark.parametrize("entry, actor_name, place, variant", CASES)
def test_route_answers_as_the_policy_says(
    world: World, sessions: dict[str, str], db: None, entry: Entry, actor_name: str, place: str, variant: str
) -> None:
    response = send(client_for(sessions, actor_name), world, entry, place, variant)
    judge(world, entry, actor_name, place, variant, response)


SECURED = [entry for entry in ENTRIES if entry.is_api and _OPERATIONS[entry.route].secured]
BEARER = [entry for entry in SECURED if _OPERATIONS[entry.route].bearer]


@pytest.mark.parametrize(
    "entry, actor_name, place, variant",
    [
        pytest.param(entry, actor, place, variant, id=_case_id(entry, actor, place, variant))
        for entry in BEARER
        for actor in ACTORS
        if actor != ANONYMOUS
        for place, variant in entry.cases()
    ],
)
def test_api_with_a_bearer_token_answers_as_with_a_session(
    world: World, tokens: dict[str, str], db: None, entry: Entry, actor_name: str, place: str, variant: str
) -> None:
    """Tokens are the other way into the staff API: the same person gets the same answers."""
    client = Client(headers={"Authorization": f"Bearer {tokens[actor_name]}"})
    judge(world, entry, actor_name, place, variant, send(client, world, entry, place, variant))


@pytest.mark.parametrize("entry", [pytest.param(entry, id=entry.route) for entry in BEARER])
def test_api_refuses_an_unknown_token(world: World, sessions: dict[str, str], db: None, entry: Entry) -> None:
    """A wrong token is refused at once (401), even beside the session of someone entitled."""
    client = client_for(sessions, ROOT)
    client.defaults["HTTP_AUTHORIZATION"] = "Bearer not-a-token"
    place, variant = entry.cases()[0]
    assert send(client, world, entry, place, variant).status_code == 401


@pytest.mark.parametrize(
    "entry", [pytest.param(entry, id=entry.route) for entry in SECURED if entry not in BEARER]
)
def test_api_without_a_token_scheme_refuses_tokens(
    world: World, tokens: dict[str, str], db: None, entry: Entry
) -> None:
    """An operation whose schema offers only the session does not take a token, even the system's."""
    client = Client(headers={"Authorization": f"Bearer {tokens[ROOT]}"})
    place, variant = entry.cases()[0]
    assert send(client, world, entry, place, variant).status_code == 401


def test_every_route_is_in_the_matrix() -> None:
    """A route without a row in the coverage table fails here, named, with how to register it."""
    registered = {entry.route for entry in ENTRIES}
    pages = {route.name: route for route in page_routes()}
    missing = [
        f"page {name!r} ({route.template}, from {route.module})"
        for name, route in pages.items()
        if name not in registered
    ]
    missing += [f"API operation {key!r}" for key in _OPERATIONS if key not in registered]
    assert not missing, (
        "These routes are not in the authorization matrix: "
        + "; ".join(missing)
        + ". Add an Entry for each to tests/authz/registry.py (PAGES or API): the method, the policy rule "
        "that guards it and how to build its URL parameters for an object of each place "
        "(docs/authorization.md)."
    )
    stale = sorted(registered - set(pages) - set(_OPERATIONS))
    assert not stale, f"The matrix lists routes that no longer exist: {stale}; remove them from registry.py."


def test_each_entry_builds_exactly_the_parameters_of_its_route(world: World, db: None) -> None:
    params = {route.name: set(route.params) for route in page_routes()}
    params |= {key: set(op.params) for key, op in _OPERATIONS.items()}
    wrong = []
    for entry in ENTRIES:
        needed = params.get(entry.route, set())
        for place, variant in entry.cases():
            built = set(entry.kwargs(world, place, variant))
            if built != needed:
                wrong.append(
                    f"{entry.route} [{place}/{variant}]: builds {sorted(built)}, needs {sorted(needed)}"
                )
        if needed and entry.places == (NOWHERE,):
            wrong.append(f"{entry.route}: takes an object, so it needs places inside and outside a subtree")
    assert not wrong, wrong


@pytest.mark.parametrize(
    "name",
    sorted({e.route for e in PAGES if e.method == "POST"} - {e.route for e in PAGES if e.method == "GET"}),
)
def test_routes_registered_as_post_only_refuse_get(
    world: World, sessions: dict[str, str], db: None, name: str
) -> None:
    """The table's methods are what the views accept: a POST-only page answers GET with 405."""
    entry = next(e for e in PAGES if e.route == name)
    place, variant = entry.cases()[0]
    response = client_for(sessions, ROOT).get(reverse(name, kwargs=entry.kwargs(world, place, variant)))
    assert response.status_code == 405, (
        f"{name} answers GET with {response.status_code}: register its GET too"
    )


SHOWN = [
    # (what, route, actor, place, variant, marker): the markers are really rendered to those entitled, so
    # their absence from everyone else's answers means something.
    ("internal problem", "ledger-detail", "xiaodian_clerk", XIAODIAN, "", INTERNAL_MARK[XIAODIAN]),
    ("internal problem", "ledger-detail", "changzhi_head", CHANGZHI, "", INTERNAL_MARK[CHANGZHI]),
    ("internal measure", "measure-detail", "xiaodian_head", XIAODIAN, "internal", INTERNAL_MARK[XIAODIAN]),
    (
        "internal evidence",
        "evidence-download",
        "taiyuan_supervisor",
        XIAODIAN,
        "internal",
        INTERNAL_MARK[XIAODIAN],
    ),
    (
        "key-link evidence",
        "evidence-download",
        "xiaodian_clerk",
        XIAODIAN,
        "keylink",
        INTERNAL_MARK[XIAODIAN],
    ),
    ("internal problems, CSV", "ledger-export", "office", CHANGZHI, "", INTERNAL_MARK[CHANGZHI]),
    ("people", "unit-detail", "xiaodian_clerk", XIAODIAN, "", PERSON_MARK[XIAODIAN]),
    ("people, API", "GET /api/units/{unit_id}/people", "changzhi_head", CHANGZHI, "", PERSON_MARK[CHANGZHI]),
    ("contact", "voices-suggestion", "xiaodian_clerk", XIAODIAN, "", CONTACT_MARK[XIAODIAN]),
    ("contact", "voices-suggestion", "moderator", PENDING, "", CONTACT_MARK[PENDING]),
    (
        "contact, API",
        "GET /api/staff/suggestions/{suggestion_id}",
        "changzhi_head",
        CHANGZHI,
        "",
        CONTACT_MARK[CHANGZHI],
    ),
    ("finding", "supervision-finding", "changzhi_supervisor", CHANGZHI, "", INTERNAL_MARK[CHANGZHI]),
    ("unpublished suggestion", "voices-suggestion", "moderator", PENDING, "", UNPUBLISHED_MARK),
    ("unpublished suggestion, receipt", "portal-receipt", ANONYMOUS, PENDING, "", UNPUBLISHED_MARK),
]


@pytest.mark.parametrize(
    "what, route, actor_name, place, variant, marker", SHOWN, ids=[f"{row[0]}: {row[1]}" for row in SHOWN]
)
def test_markers_reach_those_entitled(
    world: World,
    sessions: dict[str, str],
    db: None,
    what: str,
    route: str,
    actor_name: str,
    place: str,
    variant: str,
    marker: str,
) -> None:
    entry = next(e for e in ENTRIES if e.route == route and e.method == "GET")
    entitled = secrets_for(world, world.actor(actor_name), entry, place)[marker]
    assert entitled, f"{actor_name} is not entitled to {marker}"
    response = send(client_for(sessions, actor_name), world, entry, place, variant)
    assert response.status_code == 200
    assert marker in content_of(response), f"{what} of {place} is not shown to {actor_name} on {route}"


# Form fields of the platform's POSTs, each given a value of the wrong kind.
JUNK = {
    "version": "not-a-number",
    "decision": "submit",
    "action": "rename",
    "percent": "lots",
    "deadline": "someday",
    "planned_on": "soon",
    "reported_on": "yesterday",
    "inspected_on": "today",
    "unit": "x",
    "unit_code": "no-such-code",
    "into": "x",
    "statement": "x",
    "suggestion": "x",
    "value": "x",
    "year": "x",
    "date": "x",
    "status": "x",
    "kind": "x",
    "target": "x",
    "working_days": "x",
    "category": "x",
    "rating": "x",
    "text": "x",
    "name": "x",
    "reason": "x",
}
ROUGH = ("authz_root", "yingze_clerk")  # entitled everywhere, and entitled almost nowhere


@pytest.mark.parametrize(
    "entry, actor_name",
    [
        pytest.param(entry, actor, id=f"{entry.route} | {actor}")
        for entry in PAGES
        if entry.method == "POST"
        for actor in ROUGH
    ],
)
def test_posts_of_the_wrong_kind_are_refused_not_crashed(
    world: World, sessions: dict[str, str], db: None, entry: Entry, actor_name: str
) -> None:
    """Every form field of the wrong kind: a refusal or a message naming the field, never a 500."""
    place, variant = entry.cases()[0]
    url = reverse(entry.route, kwargs=entry.kwargs(world, place, variant))
    response = client_for(sessions, actor_name).post(url, JUNK)
    assert response.status_code < 500, f"POST {entry.route} as {actor_name} with junk: {response.status_code}"
    if not entry.rule(world, world.actor(actor_name), place, variant):
        assert response.status_code in DENIED, f"POST {entry.route} as {actor_name}: {response.status_code}"

"""Property-based fuzzing of every operation of the REST API (schemathesis over the in-process WSGI app).

Each operation is fuzzed with data that fits its schema, data that does not, and path parameters that name
real rows (units, a campaign, suggestions, a problem, a measure, a receipt), as the public, as staff with
bearer tokens of three roles and with a signed-in session. Every answer must not be a server error, must
have a documented status code and content type, and must match its documented schema (every 4xx in the one
error shape ``{"error": {"code", "message", "fields"}}``). Each example runs in a savepoint that is rolled
back, as a request in autocommit mode would leave the database unharmed by a refused write.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass, field
from typing import Any

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, transaction
from django.test import Client
from hypothesis import given
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from tests.fuzz.conftest import FUZZ

from dalun.api.router import api
from dalun.apikeys.services import token_create
from dalun.demo.personas import DEMO_PASSWORD
from dalun.org.policy import SYSTEM
from dalun.voices import services as voice_services

pytestmark = pytest.mark.django_db

SCHEMA = schemathesis.openapi.from_dict(api.get_openapi_schema())
OPERATIONS = [result.ok() for result in SCHEMA.get_all_operations()]
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
CSRF = "fuzzfuzzfuzzfuzzfuzzfuzzfuzzfuzz"  # any 32 characters: the cookie and the header must agree


@dataclass
class World:
    """Real rows for path parameters, and the ways of calling the API (anonymous, tokens, a session)."""

    path_values: dict[str, list[Any]] = field(default_factory=dict)
    callers: dict[str, dict[str, str]] = field(default_factory=dict)


@pytest.fixture
def world(settings, campaign, submit, unit, persona, ledger, make_problem, make_measure) -> World:
    settings.DALUN_API_READ_LIMIT = 10**9
    settings.DALUN_SUGGESTION_LIMIT = 10**9
    office = persona("office")
    xiaodian = unit("140105")
    pending, published = (
        submit(),
        submit(title="建议公交增开夜班线路", text="晚上十点后没有公交，建议增开夜班线路。"),
    )
    voice_services.suggestion_publish(actor=persona("moderator"), suggestion=published)
    voice_services.suggestion_route(actor=persona("moderator"), suggestion=published, unit=xiaodian)
    measure = make_measure(make_problem(ledger), action="推行一窗受理")
    problem = measure.problem
    ids = [xiaodian.pk, unit("140106").pk, unit("1401").pk, unit("14").pk]
    world = World(
        path_values={
            "unit_id": ids,
            "key": [campaign.key],
            "campaign_key": [campaign.key],
            "suggestion_id": [pending.pk, published.pk],
            "code": [pending.receipt_code, published.receipt_code],
            "problem_id": [problem.pk],
            "measure_id": [measure.pk],
        }
    )
    world.callers["public"] = {}
    for username in ("office", "moderator", "xiaodian_clerk"):
        _token, secret = token_create(actor=SYSTEM, person=persona(username), name="fuzz")
        world.callers[username] = {"Authorization": f"Bearer {secret}"}
    browser = Client()
    assert browser.login(username=office.username, password=DEMO_PASSWORD)
    session = browser.cookies["sessionid"].value
    world.callers["office session"] = {
        "Cookie": f"sessionid={session}; csrftoken={CSRF}",
        "X-CSRFToken": CSRF,
    }
    return world


def cases(operation: Any, world: World) -> st.SearchStrategy:
    """Valid and invalid requests, and valid requests about rows that exist."""
    # Path parameters this module knows rows for; those of an operation added since are generated freely.
    names = [p.name for p in operation.path_parameters if p.name in world.path_values]
    real = st.fixed_dictionaries({name: st.sampled_from(world.path_values[name]) for name in names})
    strategies = [
        operation.as_strategy(GenerationMode.POSITIVE),
        operation.as_strategy(GenerationMode.NEGATIVE),
    ]
    if names:
        strategies.append(real.flatmap(lambda values: operation.as_strategy(path_parameters=values)))
    return st.one_of(strategies)


@pytest.fixture
def wsgi_app():
    """The WSGI app, its requests kept inside the test's transaction: as Django's own test client does,
    the app must not close the database connection when a request ends (it would, in a transaction)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield WSGIHandler()
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.mark.parametrize("operation", OPERATIONS, ids=lambda operation: operation.label)
def test_operation_never_fails_and_answers_as_documented(operation, world, wsgi_app):
    app = wsgi_app
    seen: dict[int, int] = {}

    @FUZZ
    @given(case=cases(operation, world), caller=st.sampled_from(sorted(world.callers)))
    def run(case, caller):
        headers = world.callers[caller]
        with transaction.atomic():
            response = case.call(app=app, headers=headers)
            transaction.set_rollback(True)
        seen[response.status_code] = seen.get(response.status_code, 0) + 1
        case.validate_response(response, checks=CHECKS, headers=headers)

    started, failure = time.perf_counter(), None
    try:
        run()
    except BaseException as error:
        failure = f"{type(error).__name__}: {error}"[:2000]
        raise
    finally:
        report(operation.label, seen, time.perf_counter() - started, failure)
    assert seen, "no request was made"


def report(operation: str, statuses: dict[int, int], seconds: float, failure: str | None) -> None:
    """With ``DALUN_FUZZ_REPORT=<file>``, add a JSON line per operation (bench/fuzz_api.py sums them)."""
    path = os.environ.get("DALUN_FUZZ_REPORT")
    if path:
        line = {"operation": operation, "statuses": statuses, "seconds": seconds, "failure": failure}
        with open(path, "a", encoding="utf-8") as file:
            file.write(json.dumps(line) + "\n")

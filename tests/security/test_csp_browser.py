"""The strict Content-Security-Policy in a real browser: the pages that run scripts (htmx, Chart.js, the
opinion map, the API documentation) work and Chromium reports no violation on any of them.

A missing browser is a failure, not a skip (as in tests/e2e).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.utils import timezone

from dalun.campaigns.models import Campaign
from dalun.campaigns.services import campaign_create, campaign_deploy, shipped_templates
from dalun.demo.campaign import demo_campaign_start
from dalun.demo.personas import DEMO_PASSWORD
from dalun.opinions import analysis, services
from dalun.opinions.choices import MapStatus
from dalun.opinions.models import OpinionMap
from dalun.org.models import Person, Unit
from dalun.org.policy import SYSTEM

from ..opinions.conftest import STATEMENTS, planted_votes

pytestmark = pytest.mark.e2e

SCREENSHOTS = Path(os.environ.get("DALUN_TEST_OUTPUT", Path(__file__).parents[2] / "test-output")) / "e2e"


@pytest.fixture
def watched(browser, live_server, seeded_transactional_db) -> Iterator[tuple[object, list[str]]]:
    """A page, and every CSP violation or script error Chromium reports on it."""
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.base_url = live_server.url
    problems: list[str] = []

    def on_console(message) -> None:  # type: ignore[no-untyped-def]
        failed_load = message.text.startswith("Failed to load resource")  # listed by address below
        if "Content Security Policy" in message.text or (message.type == "error" and not failed_load):
            problems.append(message.text)

    def on_response(response) -> None:  # type: ignore[no-untyped-def]
        if response.status >= 400 and not response.url.endswith("/favicon.ico"):  # the browser's own ask
            problems.append(f"{response.status} {response.url}")

    page.on("console", on_console)
    page.on("response", on_response)
    page.on("pageerror", lambda error: problems.append(f"script error: {error}"))
    yield page, problems
    context.close()


@pytest.fixture
def opinion_map(seeded_transactional_db) -> OpinionMap:
    text = shipped_templates()["big-discussion"].read_text(encoding="utf-8")
    campaign: Campaign = campaign_create(
        actor=SYSTEM,
        template_text=text,
        source="big-discussion.yaml",
        starts_on=demo_campaign_start(timezone.localdate()),
        owner_unit=Unit.objects.get(code="14"),
    )
    campaign_deploy(actor=SYSTEM, campaign=campaign, root=Unit.objects.get(code="1401"))
    moderator = Person.objects.get(username="moderator")
    made = services.opinion_map_create(
        actor=moderator,
        campaign=campaign,
        question="如何优化营商环境？",
        description="",
        statements=STATEMENTS,
    )
    made = services.opinion_map_update(actor=moderator, opinion_map=made, status=MapStatus.OPEN)
    services.votes_load(actor=SYSTEM, opinion_map=made, votes=planted_votes()[0])
    analysis.recompute(opinion_map_id=made.pk)
    return made


def shoot(page, name: str) -> None:  # type: ignore[no-untyped-def]
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"csp-{name}.png"), full_page=True)


def test_scripted_pages_work_under_the_strict_policy_without_violations(watched, opinion_map):
    page, problems = watched
    base = page.base_url
    policy = page.goto(base + "/accounts/login/").headers["content-security-policy"]
    assert "script-src 'self'" in policy and "style-src 'self'" in policy
    page.fill("input[name=username]", "office")
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_selector(".who")

    # htmx: the tree loads a unit's children when it is opened.
    page.goto(base + "/units/")
    page.locator("details[data-unit='14'] > summary").first.click()
    page.wait_for_selector("details[data-unit='1401']")
    shoot(page, "1-tree")

    # Chart.js on the dashboard.
    taiyuan = Unit.objects.get(code="1401")
    page.goto(f"{base}/dashboard/{taiyuan.pk}/{opinion_map.campaign.key}/")
    page.wait_for_function("() => [...document.querySelectorAll('canvas')].some(c => c.width > 0)")
    shoot(page, "2-dashboard")

    # The opinion map: votes through htmx, the map drawn by opinion_map.js, styles from a static file.
    page.goto(f"{base}/portal/maps/{opinion_map.pk}/")
    first = page.locator("#ballot .statement-text").get_attribute("data-statement")
    page.click("#ballot form.vote-buttons button.agree")
    page.wait_for_function(
        "previous => document.querySelector('#ballot .statement-text')?.dataset.statement !== previous",
        arg=first,
    )
    agree = page.locator("#ballot form.vote-buttons button.agree")
    assert agree.evaluate("b => getComputedStyle(b).backgroundColor") == "rgb(26, 127, 55)"
    shoot(page, "3-vote")
    page.goto(f"{base}/portal/maps/{opinion_map.pk}/map/")
    page.wait_for_selector("#opinion-map-chart[data-drawn=yes]")
    shoot(page, "4-map")

    # The working-day calendar's warning, styled by a class instead of an inline style.
    page.goto(base + "/calendar/?year=2031")
    warning = page.locator("#uncovered-warning")
    assert warning.evaluate("e => getComputedStyle(e).backgroundColor") == "rgb(255, 244, 224)"

    # The API documentation (Swagger UI, served locally).
    page.goto(base + "/api/docs")
    page.wait_for_selector(".swagger-ui .info")
    shoot(page, "5-api-docs")

    assert problems == []


def test_a_locked_out_sign_in_shows_when_to_try_again(watched, settings):
    page, problems = watched
    settings.AXES_FAILURE_LIMIT = 3
    page.goto(page.base_url + "/accounts/login/")
    for attempt in range(3):
        page.fill("input[name=username]", "xiaodian_clerk")
        page.fill("input[name=password]", f"guess-{attempt}")
        with page.expect_response(lambda response: response.request.method == "POST") as answer:
            page.click("main button[type=submit]")
    assert answer.value.status == 429 and answer.value.headers["retry-after"] == "900"
    page.wait_for_selector("#locked-out")
    assert "15" in page.locator("#locked-out").inner_text()
    shoot(page, "6-locked-out")
    assert problems == ["429 " + page.base_url + "/accounts/login/"]  # the lockout itself, nothing else

"""Shared fixtures: a slice of the real demo province and the named personas of DESIGN.md §10.

The slice (the province, its cities, the counties of Taiyuan and Changzhi, and every township and village
of Xiaodian and Yingze districts, plus the provincial bodies) is loaded once per test session through the
same import path as the demo; each test then runs inside a transaction that is rolled back. Tests that need
real commits use ``seeded_transactional_db`` instead.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from django.test import Client

from dalun.demo.personas import DEMO_PASSWORD, ensure_personas
from dalun.demo.province import load_province
from dalun.ledger import services as ledger_services
from dalun.org.models import Person, Unit

SLICE_COUNTIES = ("1401", "1404")
SUGGESTION_TITLE = "建议延长政务服务中心周末开放时间"
SUGGESTION_TEXT = "上班族工作日没时间办事，建议周六上午开放综合窗口。"
SLICE_DISTRICTS = ("140105", "140106")


def in_slice(row: dict[str, str]) -> bool:
    code = row["code"]
    if len(code) <= 4:
        return True
    if len(code) == 6:
        return code[:4] in SLICE_COUNTIES
    return code[:6] in SLICE_DISTRICTS


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    from django.conf import settings

    # Argon2 is deliberately slow; the tests sign in hundreds of times.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    with django_db_blocker.unblock():
        load_province(keep=in_slice)
        ensure_personas()


@pytest.fixture
def seeded_transactional_db(transactional_db):
    """A committed database holding the slice, for tests that need real commits (browser, demo).

    Such tests flush the database when they end, so each one loads the slice again (about a second).
    """
    if not Unit.objects.exists():
        load_province(keep=in_slice)
        ensure_personas()


@pytest.fixture(autouse=True)
def _immediate_tasks(settings):
    """Tasks run inline in tests, so a test sees their effect when the request returns."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture(autouse=True)
def _english_outside_requests():  # type: ignore[no-untyped-def]
    """Code called directly by a test speaks English; pages still follow the request's language."""
    from django.utils import translation

    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def _isolated_cache(settings):  # type: ignore[no-untyped-def]
    """Each test gets its own empty cache, never the file cache a local server uses."""
    from django.core.cache import caches

    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "dalun-tests"}
    }
    caches["default"].clear()


@pytest.fixture(autouse=True)
def _isolated_media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def unit(db):
    """Look a unit of the slice up by its official code."""
    return lambda code: Unit.objects.get(code=code)


@pytest.fixture
def persona(db):
    """A persona's Person by username (office, xiaodian_clerk, yingze_clerk, changzhi_head ...)."""
    return lambda username: Person.objects.get(username=username)


@pytest.fixture
def client_as(db):
    """A test client signed in as a persona (through the real login form's password check)."""

    def make(username: str) -> Client:
        client = Client()
        assert client.login(username=username, password=DEMO_PASSWORD)
        return client

    return make


def pytest_report_header(config):
    return f"dalun database: {os.environ.get('DALUN_DATABASE_URL', 'embedded SQLite')}"


@pytest.fixture
def campaign(unit):  # type: ignore[no-untyped-def]
    """The reference campaign in its rectification phase (ledgers and suggestions open), sent to Taiyuan."""
    from django.utils import timezone

    from dalun.campaigns.services import campaign_create, campaign_deploy, shipped_templates
    from dalun.demo.campaign import demo_campaign_start
    from dalun.org.policy import SYSTEM

    text = shipped_templates()["big-discussion"].read_text(encoding="utf-8")
    campaign = campaign_create(
        actor=SYSTEM,
        template_text=text,
        source="big-discussion.yaml",
        starts_on=demo_campaign_start(timezone.localdate()),
        owner_unit=unit("14"),
    )
    campaign_deploy(actor=SYSTEM, campaign=campaign, root=unit("1401"))
    return campaign


@pytest.fixture
def submit(campaign):  # type: ignore[no-untyped-def]
    """Send a suggestion as the public would (keyword arguments as for ``suggestion_submit``)."""
    from dalun.voices import services

    def make(
        title="建议延长政务服务中心周末开放时间",
        text="上班族工作日没时间办事，建议周六上午开放综合窗口。",
        **extra,
    ):
        return services.suggestion_submit(campaign=campaign, title=title, text=text, **extra)

    return make


# Browser tests (tests/e2e and the browser checks of other areas): Playwright driving Debian's Chromium
# (never a downloaded browser), headless. One browser for the whole session: a second sync_playwright in
# the same thread fails. A missing browser is a failure, not a skip.
CHROMIUM = Path(os.environ.get("DALUN_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = Path(os.environ.get("DALUN_TEST_OUTPUT", Path(__file__).parents[1] / "test-output")) / "e2e"

# Playwright's sync API runs an event loop in this thread; the ORM calls of the live server's test data
# happen in the same thread and are safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} is missing: install Debian's chromium (./run test does) to run browser tests"
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server, seeded_transactional_db):
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.base_url = live_server.url
    yield page
    context.close()


@pytest.fixture
def shot(request):
    """Save a full-page screenshot named after the test and the step."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def take(page, step: str) -> Path:
        path = SCREENSHOTS / f"{request.node.name}-{step}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


# Ledgers: Xiaodian's ledger of the test campaign, and makers of problems and measures in it.


@pytest.fixture
def ledger(campaign, unit, persona):
    clerk = persona("xiaodian_clerk")
    return ledger_services.ledger_open(actor=clerk, unit=unit("140105"), campaign=campaign)


@pytest.fixture
def make_problem(campaign, persona):
    def make(
        ledger,
        category_key: str = "reform_awareness",
        text: str = "审批事项办理时限长，群众反映多次跑腿。",
        visibility: str = "public",
    ):
        return ledger_services.problem_create(
            actor=persona("xiaodian_clerk"),
            ledger=ledger,
            category=campaign.categories.get(key=category_key),
            manifestation=text,
            source="self",
            visibility=visibility,
        )

    return make


@pytest.fixture
def make_measure(persona):
    def make(problem, **overrides):
        values = {
            "action": "推行一窗受理、限时办结",
            "indicator": "平均办理时限",
            "baseline": Decimal("15"),
            "target": Decimal("5"),
            "target_unit": "个工作日",
            "owner": "刘芳",
            "working_days": 20,
        }
        values.update(overrides)
        return ledger_services.measure_create(actor=persona("xiaodian_clerk"), problem=problem, **values)

    return make

"""Browser journey: after the clerk changed who is responsible for a measure, the clerk follows the measure
page's History link and reads the change; the clerk of the sibling district gets no link and no page."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import timezone

from dalun.campaigns.services import campaign_create, campaign_deploy, shipped_templates
from dalun.demo.campaign import demo_campaign_start
from dalun.demo.personas import DEMO_PASSWORD
from dalun.ledger import services as ledger_services
from dalun.org.models import Person, Unit
from dalun.org.policy import SYSTEM

pytestmark = pytest.mark.e2e


@pytest.fixture
def measure(seeded_transactional_db):
    text = shipped_templates()["big-discussion"].read_text(encoding="utf-8")
    campaign = campaign_create(
        actor=SYSTEM,
        template_text=text,
        source="big-discussion.yaml",
        starts_on=demo_campaign_start(timezone.localdate()),
        owner_unit=Unit.objects.get(code="14"),
    )
    campaign_deploy(actor=SYSTEM, campaign=campaign, root=Unit.objects.get(code="1401"))
    clerk = Person.objects.get(username="xiaodian_clerk")
    ledger = ledger_services.ledger_open(actor=clerk, unit=Unit.objects.get(code="140105"), campaign=campaign)
    problem = ledger_services.problem_create(
        actor=clerk,
        ledger=ledger,
        category=campaign.categories.get(key="reform_awareness"),
        manifestation="审批事项办理时限长，群众反映多次跑腿。",
        source="self",
        visibility="public",
    )
    created = ledger_services.measure_create(
        actor=clerk,
        problem=problem,
        action="推行一窗受理、限时办结",
        indicator="平均办理时限",
        baseline=Decimal("15"),
        target=Decimal("5"),
        target_unit="个工作日",
        owner="刘芳",
        working_days=20,
    )
    return ledger_services.measure_update(
        actor=clerk, measure=created, expected_version=created.version, owner="王强"
    )


def sign_in(page, username: str) -> None:  # noqa: F811
    page.goto(page.base_url + "/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_selector(".who")


def test_clerk_sees_the_change_in_the_measure_history(page, shot, measure):  # noqa: F811
    url = f"{page.base_url}/ledger/measures/{measure.pk}/"
    sign_in(page, "xiaodian_clerk")
    page.goto(url)
    page.click(".history-link")
    page.wait_for_selector("#history")
    rows = page.locator("#history tbody tr")
    assert rows.count() == 2
    newest = rows.first.inner_text()
    assert "measure.update" in newest and "刘芳" in newest and "王强" in newest
    assert "刘芳 (小店区)" in newest
    shot(page, "history")

    page.click("header form button.link")  # sign out
    page.wait_for_selector("header a[href^='/accounts/login/']")
    sign_in(page, "yingze_clerk")
    page.goto(url)
    assert page.locator(".history-link").count() == 0
    answer = page.goto(f"{page.base_url}/history/ledger.measure/{measure.pk}/")
    assert answer is not None and answer.status == 404

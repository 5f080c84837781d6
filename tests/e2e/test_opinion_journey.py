"""An opinion map, end to end: a member of the public on a phone finds the map from the portal, votes on
several statements one at a time and writes a statement of their own; the moderator accepts it and sees the
map, with the participants drawn on the scatter and the groups listed with what sets each apart.

The map starts with the planted votes of three groups (loaded through the services), computed once.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from django.utils import timezone

from dalun.campaigns.models import Campaign
from dalun.campaigns.services import campaign_create, campaign_deploy, shipped_templates
from dalun.demo.campaign import demo_campaign_start
from dalun.demo.personas import DEMO_PASSWORD
from dalun.opinions import analysis, services
from dalun.opinions.choices import MapStatus, StatementStatus
from dalun.opinions.models import OpinionMap, Participant, Statement, Vote
from dalun.org.models import Person, Unit
from dalun.org.policy import SYSTEM

from ..opinions.conftest import STATEMENTS, planted_votes

pytestmark = pytest.mark.e2e

QUESTION = "如何优化营商环境？"
OWN = "希望开通企业诉求快速响应热线，做到件件有回音。"


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
        question=QUESTION,
        description="请对每条观点表态：同意、不同意或跳过。",
        statements=STATEMENTS,
    )
    made = services.opinion_map_update(actor=moderator, opinion_map=made, status=MapStatus.OPEN)
    services.votes_load(actor=SYSTEM, opinion_map=made, votes=planted_votes()[0])
    analysis.recompute(opinion_map_id=made.pk)
    return made


@pytest.fixture
def phone(browser, live_server, seeded_transactional_db) -> Iterator[object]:
    """A member of the public on a phone: no account, Chinese, 390×844."""
    context = browser.new_context(
        locale="zh-CN",
        viewport={"width": 390, "height": 844},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.base_url = live_server.url
    yield page
    context.close()


def horizontal_overflow(page) -> int:  # type: ignore[no-untyped-def]
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth")


def test_the_public_votes_on_a_phone_and_the_moderator_accepts_their_statement(
    phone, page, opinion_map, shot
):
    public = phone
    public.goto(public.base_url + "/portal/")
    public.click("main a[href='/portal/maps/']")
    public.wait_for_url("**/portal/maps/")
    shot(public, "1-public-maps")
    public.click(f"main a.primary[href='/portal/maps/{opinion_map.pk}/']")
    public.wait_for_url(f"**/portal/maps/{opinion_map.pk}/")
    assert QUESTION in public.locator("main h1").inner_text()
    shot(public, "2-first-statement")
    assert horizontal_overflow(public) <= 0

    seen = []
    for number, choice in enumerate(("agree", "disagree", "pass", "agree", "agree")):
        card = public.locator("#ballot .statement-text")
        seen.append(int(card.get_attribute("data-statement")))
        assert re.search(rf"\b{number + 1}\b", public.locator("#ballot .statement-card .muted").inner_text())
        public.click(f"#ballot form.vote-buttons button.{choice}")
        public.wait_for_function(
            "previous => document.querySelector('#ballot .statement-text')?.dataset.statement !== previous",
            arg=str(seen[-1]),
        )
    shot(public, "3-after-five-votes")
    assert len(set(seen)) == 5  # a new statement every time
    participant = Participant.objects.get(opinion_map=opinion_map, key__regex=r"^[0-9a-f]{32}$")
    votes = dict(Vote.objects.filter(participant=participant).values_list("statement_id", "value"))
    assert [votes[pk] for pk in seen] == [1, -1, 0, 1, 1]

    public.click("#ballot .own-votes summary")
    shot(public, "4-own-votes")
    public.fill("#own-statement textarea[name=text]", OWN)
    public.click("#own-statement button[type=submit]")
    public.wait_for_selector(".flash.success")
    shot(public, "5-statement-sent")
    assert horizontal_overflow(public) <= 0
    mine = Statement.objects.get(opinion_map=opinion_map, text=OWN)
    assert mine.status == StatementStatus.PENDING and mine.author == participant

    public.click(f"main a[href='/portal/maps/{opinion_map.pk}/map/']")
    public.wait_for_selector("#opinion-map-chart[data-drawn=yes]")
    shot(public, "6-public-map")
    assert horizontal_overflow(public) <= 0

    # The moderator, at a desk.
    page.goto(page.base_url + "/accounts/login/")
    page.fill("input[name=username]", "moderator")
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_selector(".who")
    page.click("nav.mainnav a[href='/opinions/']")
    page.wait_for_url("**/opinions/")
    shot(page, "7-moderator-maps")
    page.click(f"main a[href='/opinions/{opinion_map.pk}/#pending']")
    pending = page.locator(f"#pending li[data-statement='{mine.pk}']")
    assert OWN in pending.inner_text()
    shot(page, "8-pending-statement")
    pending.locator("button[value=accept]").click()
    page.wait_for_selector(".flash.success")
    assert Statement.objects.get(pk=mine.pk).status == StatementStatus.ACCEPTED
    assert page.locator(f"#pending li[data-statement='{mine.pk}']").count() == 0

    page.wait_for_selector("#opinion-map-chart[data-drawn=yes]")
    points = int(page.locator("#opinion-map-chart").get_attribute("data-points"))
    assert points >= 140
    groups = page.locator("#opinion-groups .group")
    assert groups.count() == 3
    assert all(groups.nth(i).locator(".opinion-list li .stance").count() >= 1 for i in range(3))
    assert page.locator("#consensus .stance.agree").count() >= 1
    page.locator("#opinion-map").scroll_into_view_if_needed()
    shot(page, "9-moderator-map")

    # The public sees the accepted statement among those to vote on.
    texts = set()
    for _ in range(12):
        public.goto(public.base_url + f"/portal/maps/{opinion_map.pk}/")
        texts.add(public.locator("#ballot .statement-text").inner_text())
        if OWN in texts:
            break
    assert OWN in texts  # new statements weigh most in the voting order

"""A suggestion from the public, end to end: a person on a phone sends it with a PDF and follows it by its
receipt code; the moderator publishes it next to its nearest existing suggestions and routes it to Xiaodian;
Xiaodian's clerk answers it, adopting it into the ledger; the person rates the answer and the district's
disclosure page shows the public problem (never an internal one), its response rate and satisfaction.

Each journey is its own test; the state it starts from is built through the same services the pages call.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import formats, timezone, translation

from dalun.campaigns.models import Campaign
from dalun.campaigns.services import campaign_create, campaign_deploy, shipped_templates
from dalun.demo.campaign import demo_campaign_start
from dalun.demo.personas import DEMO_PASSWORD
from dalun.ledger import services as ledger_services
from dalun.ledger.choices import ProblemSource, Visibility
from dalun.org.models import Person, Unit
from dalun.org.policy import SYSTEM
from dalun.voices import services
from dalun.voices.choices import Adoption, Handling, Moderation, Rating
from dalun.voices.models import Suggestion

pytestmark = pytest.mark.e2e

PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
RECEIPT = re.compile(r"^[2-9A-HJ-NP-Z]{4}-[2-9A-HJ-NP-Z]{4}-[2-9A-HJ-NP-Z]{4}$")

TITLE = "建议小店区政务服务中心周末开放综合窗口"
TEXT = "上班族工作日没时间办事，建议小店区政务服务中心周六上午开放综合窗口，方便群众办理证照。"
CONTACT = "13800138000"
CATEGORY = "工作作风不实"
SIMILAR = (
    ("建议政务服务中心周末也开放窗口", "工作日上班请不了假，希望政务服务中心周末开放综合窗口办理业务。"),
    ("政务服务中心周六上午能否开放", "建议政务服务中心周六上午开放，方便上班族办事。"),
)
INTERNAL = "内部自查：机关食堂账目不规范，待纪检组核实。"


def zh(text: str) -> str:
    """What the page should say to a Chinese reader (the translation, or the source if there is none)."""
    with translation.override("zh-hans"):
        return str(text)


def zh_date(day) -> str:  # type: ignore[no-untyped-def]
    with translation.override("zh-hans"):
        return formats.date_format(day, "DATE_FORMAT")


@pytest.fixture
def campaign(seeded_transactional_db) -> Campaign:
    text = shipped_templates()["big-discussion"].read_text(encoding="utf-8")
    campaign = campaign_create(
        actor=SYSTEM,
        template_text=text,
        source="big-discussion.yaml",
        starts_on=demo_campaign_start(timezone.localdate()),
        owner_unit=Unit.objects.get(code="14"),
    )
    campaign_deploy(actor=SYSTEM, campaign=campaign, root=Unit.objects.get(code="1401"))
    return campaign


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


def person(username: str) -> Person:
    return Person.objects.get(username=username)


def category(campaign: Campaign, name: str = CATEGORY):  # type: ignore[no-untyped-def]
    return next(c for c in campaign.categories.all() if c.name.get("zh-hans") == name)


def submitted(campaign: Campaign) -> Suggestion:
    """The suggestion of journey 1, as the public sends it (with a contact and a PDF)."""
    return services.suggestion_submit(
        campaign=campaign,
        title=TITLE,
        text=TEXT,
        category=category(campaign),
        contact=CONTACT,
        attachments=[SimpleUploadedFile("窗口排队照片说明.pdf", PDF)],
    )


def seed_similar(campaign: Campaign) -> list[Suggestion]:
    rows = []
    for title, text in SIMILAR:
        row = services.suggestion_submit(campaign=campaign, title=title, text=text)
        rows.append(services.suggestion_publish(actor=person("moderator"), suggestion=row))
    return rows


def routed(campaign: Campaign) -> Suggestion:
    suggestion = submitted(campaign)
    services.suggestion_publish(actor=person("moderator"), suggestion=suggestion)
    services.suggestion_route(
        actor=person("moderator"), suggestion=suggestion, unit=Unit.objects.get(code="140105")
    )
    return Suggestion.objects.get(pk=suggestion.pk)


def sign_in(page, username: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(page.base_url + "/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_selector(".who")


def horizontal_overflow(page) -> int:  # type: ignore[no-untyped-def]
    """How many CSS pixels the page is wider than the phone's screen (0 when nothing sticks out)."""
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth")


def test_1_the_public_sends_a_suggestion_from_a_phone_and_follows_it(phone, campaign, shot, tmp_path):
    page = phone
    attachment = tmp_path / "窗口排队照片说明.pdf"
    attachment.write_bytes(PDF)

    page.goto(page.base_url + "/portal/")
    assert campaign.name["zh-hans"] in page.locator("main h1").inner_text()
    shot(page, "1-portal-home")
    assert horizontal_overflow(page) <= 0

    page.click("main a[href='/portal/suggest/']")
    page.wait_for_url("**/portal/suggest/")
    page.fill("input[name=title]", TITLE)
    page.fill("textarea[name=text]", TEXT)
    page.select_option("select[name=category]", label=CATEGORY)
    page.fill("input[name=contact]", CONTACT)
    page.set_input_files("input[name=attachments]", str(attachment))
    shot(page, "2-suggestion-form")
    assert horizontal_overflow(page) <= 0

    page.click("main form.form button[type=submit]")
    page.wait_for_url(re.compile(r"/portal/receipt/[^/]+/$"))
    code = page.locator(".receipt .code").inner_text().strip()
    assert RECEIPT.match(code), code
    suggestion = Suggestion.objects.get(receipt_code=code)
    assert suggestion.title == TITLE and suggestion.category.name["zh-hans"] == CATEGORY
    assert suggestion.attachments.get().mime == "application/pdf"
    receipt = page.locator("main").inner_text()
    assert TITLE in receipt and CONTACT not in receipt
    assert zh(Moderation.PENDING.label) in page.locator(".receipt dl.facts").inner_text()
    shot(page, "3-receipt")

    page.goto(page.base_url + "/portal/")
    page.click("main a[href='/portal/receipt/']")
    page.wait_for_url("**/portal/receipt/")
    page.fill("main input[name=code]", "abcd-efgh-jkmn")
    with page.expect_navigation() as mistyped:
        page.click("main form button[type=submit]")
    assert mistyped.value.status == 404
    assert "ABCD-EFGH-JKMN".lower() in page.locator(".flash.error").inner_text().lower()
    shot(page, "4-mistyped-code")
    page.goto(page.base_url + "/portal/receipt/")
    page.fill("main input[name=code]", code.lower())
    shot(page, "5-follow-lookup")
    page.click("main form button[type=submit]")
    page.wait_for_url(f"**/portal/receipt/{code}/")
    assert page.locator(".receipt .code").inner_text().strip() == code
    status = page.locator(".receipt dl.facts dd").first.inner_text()
    assert status == zh(Moderation.PENDING.label)
    shot(page, "6-followed-status")


def test_2_the_moderator_publishes_next_to_its_neighbours_and_routes_it(page, campaign, shot):
    neighbours = seed_similar(campaign)
    suggestion = submitted(campaign)
    xiaodian = Unit.objects.get(code="140105")

    sign_in(page, "moderator")
    page.click("nav.mainnav a[href='/voices/queue/']")
    page.wait_for_url("**/voices/queue/")
    card = page.locator(f"#s-{suggestion.pk}")
    assert TITLE in card.locator("h2").inner_text()
    assert zh(Moderation.PENDING.label) in card.locator("h2 .chip").inner_text()
    nearest = card.locator(".similar li").all_inner_texts()
    assert len(nearest) == 2, nearest
    for row in neighbours:
        assert any(row.title in line for line in nearest), (row.title, nearest)
    shot(page, "1-queue-pending-with-nearest")

    card.locator("button[value=publish]").click()
    page.wait_for_selector(".flash")
    page.wait_for_url("**/voices/queue/")  # back in the queue, where the published suggestion awaits routing
    suggestion.refresh_from_db()
    assert suggestion.moderation == Moderation.PUBLISHED
    shot(page, "2-after-publish")

    card = page.locator(f"#s-{suggestion.pk}")
    proposals = card.locator("select[name=unit] option")
    labels = proposals.all_inner_texts()
    assert labels, "no unit proposed"
    shot(page, "3-queue-published-with-proposals")
    if any(xiaodian.name in label for label in labels):
        card.locator("select[name=unit]").select_option(value=str(xiaodian.pk))
    else:
        card.locator("input[name=unit_code]").fill("140105")
    card.locator("button[value=route]").click()
    page.wait_for_selector(".flash")

    suggestion.refresh_from_db()
    assert suggestion.routed_unit == xiaodian and suggestion.handling == Handling.ROUTED
    shot(page, "4-routed")
    assert page.locator(f"#s-{suggestion.pk}").count() == 0  # routed: it has left the queue
    page.goto(page.base_url + f"/voices/{suggestion.pk}/")
    facts = page.locator("dl.facts").inner_text()
    assert xiaodian.name in facts and zh_date(suggestion.due_on) in facts
    shot(page, "5-queue-after-routing")


def test_2b_a_typed_unit_code_wins_over_the_preselected_proposal(page, campaign, shot):
    suggestion = submitted(campaign)
    services.suggestion_publish(actor=person("moderator"), suggestion=suggestion)
    yingze = Unit.objects.get(code="140106")

    sign_in(page, "moderator")
    page.goto(page.base_url + "/voices/queue/")
    card = page.locator(f"#s-{suggestion.pk}")
    assert card.locator("select[name=unit] option").count() >= 1
    card.locator("input[name=unit_code]").fill(yingze.code)
    shot(page, "1-typed-code")
    card.locator("button[value=route]").click()
    page.wait_for_selector(".flash")
    shot(page, "2-routed")
    suggestion.refresh_from_db()
    assert suggestion.routed_unit == yingze


def test_3_xiaodian_clerk_answers_and_adopts_it_into_the_ledger(page, campaign, shot):
    suggestion = routed(campaign)
    xiaodian = Unit.objects.get(code="140105")

    sign_in(page, "xiaodian_clerk")
    page.click("nav.mainnav a[href='/voices/inbox/']")
    page.wait_for_url("**/voices/inbox/")
    row = page.locator("tbody tr", has_text=TITLE)
    assert zh_date(suggestion.due_on) in row.inner_text()
    assert xiaodian.name in row.inner_text()
    shot(page, "1-inbox")

    row.locator("a").click()
    page.wait_for_url(f"**/voices/{suggestion.pk}/")
    card = page.locator("main section.card").first
    assert CONTACT in card.locator("dl.facts").inner_text()
    assert "窗口排队照片说明.pdf" in card.inner_text()
    answer = page.locator("#answer form").first
    answer.locator("textarea[name=text]").fill("感谢您的建议。自下月起，区政务服务中心周六上午开放综合窗口。")
    answer.locator("select[name=adoption]").select_option(Adoption.ADOPTED.value)
    answer.locator("select[name=to_ledger]").select_option(label=CATEGORY)
    shot(page, "2-answer-form")
    answer.locator("button[value=answer]").click()
    page.wait_for_selector(".flash")
    assert page.locator(".flash.error").count() == 0, page.locator(".flash").inner_text()
    assert zh(Adoption.ADOPTED.label) in page.locator("main").inner_text()
    suggestion.refresh_from_db()
    problem = suggestion.response.problem
    assert problem is not None and problem.visibility == Visibility.PUBLIC
    shot(page, "3-answered")

    page.click(f"main a[href$='#problem-{problem.pk}']")
    page.wait_for_url(f"**/ledger/{xiaodian.pk}/{campaign.key}/#problem-{problem.pk}")
    listed = page.locator(f"#problem-{problem.pk}")
    assert TITLE in listed.inner_text() and CATEGORY in listed.inner_text()
    assert zh(ProblemSource.PUBLIC.label) in listed.inner_text()
    shot(page, "4-ledger-lists-the-problem")


def test_4_the_public_rates_the_answer_and_inspects_xiaodian(phone, campaign, shot):
    page = phone
    xiaodian = Unit.objects.get(code="140105")
    suggestion = routed(campaign)
    response_text = "感谢您的建议。自下月起，区政务服务中心周六上午开放综合窗口。"
    services.suggestion_answer(
        actor=person("xiaodian_clerk"),
        suggestion=suggestion,
        text=response_text,
        adoption=Adoption.ADOPTED,
        to_ledger=category(campaign),
    )
    ledger = ledger_services.ledger_open(actor=person("xiaodian_clerk"), unit=xiaodian, campaign=campaign)
    ledger_services.problem_create(
        actor=person("xiaodian_clerk"),
        ledger=ledger,
        category=category(campaign),
        manifestation=INTERNAL,
        source=ProblemSource.SELF,
        visibility=Visibility.INTERNAL,
    )

    page.goto(f"{page.base_url}/portal/receipt/{suggestion.receipt_code}/")
    main = page.locator("main").inner_text()
    assert response_text in main and zh(Adoption.ADOPTED.label) in main
    assert zh(Handling.ANSWERED.label) in page.locator(".receipt dl.facts").inner_text()
    shot(page, "1-receipt-with-answer")
    assert horizontal_overflow(page) <= 0

    page.check(f"input[name=rating][value={Rating.SATISFIED.value}]")
    page.fill("textarea[name=comment]", "答复及时，谢谢！")
    shot(page, "2-rating")
    page.click("main form button[type=submit]")
    page.wait_for_selector(".flash")
    assert zh(Rating.SATISFIED.label) in page.locator("main").inner_text()
    assert page.locator("input[name=rating]").count() == 0
    shot(page, "3-rated")

    page.goto(f"{page.base_url}/portal/suggestions/")
    page.click(f"main a:has-text('{TITLE}')")
    page.wait_for_url(f"**/portal/suggestions/{suggestion.pk}/")
    assert response_text in page.locator("#answer").inner_text()
    shot(page, "4-public-suggestion")
    page.click(f"#answer a[href^='/portal/units/{xiaodian.pk}/']")
    page.wait_for_url(f"**/portal/units/{xiaodian.pk}/**")

    problems = page.locator("#problems").inner_text()
    assert TITLE in problems and CATEGORY in problems
    assert INTERNAL not in page.content()
    figures = [text.split() for text in page.locator("#answers .fig").all_inner_texts()]
    received, rate, _on_time, overdue, satisfied = (parts[0] for parts in figures)
    assert (received, rate, overdue, satisfied) == ("1", "100%", "0", "100%")
    shot(page, "5-xiaodian-disclosure")
    assert horizontal_overflow(page) <= 0

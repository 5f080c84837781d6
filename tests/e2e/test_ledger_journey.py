"""The clerk records a problem and a measure with evidence, the first responsible person approves and
submits, and the city sees it on its dashboard."""

import pytest
from django.utils import timezone

from dalun.campaigns.services import campaign_create, campaign_deploy, shipped_templates
from dalun.demo.campaign import demo_campaign_start
from dalun.demo.personas import DEMO_PASSWORD
from dalun.org.models import Unit
from dalun.org.policy import SYSTEM

pytestmark = pytest.mark.e2e

PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


@pytest.fixture
def deployed(seeded_transactional_db):
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


def sign_in(page, username: str) -> None:
    page.goto(page.base_url + "/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_selector(".who")


def sign_out(page) -> None:
    page.click("header form button.link")
    page.wait_for_selector("header a[href^='/accounts/login/']")


def test_ledger_from_clerk_to_city_dashboard(page, deployed, shot, tmp_path):
    xiaodian, taiyuan = Unit.objects.get(code="140105"), Unit.objects.get(code="1401")
    ledger_url = f"{page.base_url}/ledger/{xiaodian.pk}/{deployed.key}/"
    evidence = tmp_path / "培训签到表.pdf"
    evidence.write_bytes(PDF)

    sign_in(page, "xiaodian_clerk")
    page.goto(ledger_url)
    page.click("#add-problem summary")
    page.select_option("#add-problem select[name=category]", label="工作作风不实")
    problem = "政务服务中心部分窗口办事效率不高，群众排队时间长。"
    page.fill("#add-problem textarea[name=manifestation]", problem)
    page.click("#add-problem button[type=submit]")
    page.wait_for_selector("text=政务服务中心部分窗口办事效率不高")
    page.click(".problem .addform summary")
    form = page.locator(".problem .addform form")
    form.locator("textarea[name=action]").fill("增设综合受理窗口，推行预约办理")
    form.locator("input[name=indicator]").fill("平均排队时间")
    form.locator("input[name=baseline]").fill("40")
    form.locator("input[name=target]").fill("15")
    form.locator("input[name=target_unit]").fill("分钟")
    form.locator("input[name=owner]").fill("刘芳")
    form.locator("input[name=working_days]").fill("20")
    shot(page, "1-measure-form")
    form.locator("button[type=submit]").click()
    page.click("text=增设综合受理窗口，推行预约办理")
    page.set_input_files("#evidence input[type=file]", str(evidence))
    page.click("#evidence button[type=submit]")
    page.wait_for_selector("#evidence a:has-text('培训签到表.pdf')")
    page.fill("#progress input[name=percent]", "50")
    page.fill("#progress textarea[name=text]", "已增设两个综合窗口")
    page.click("#progress form:first-of-type button[type=submit]")
    page.wait_for_selector("text=已增设两个综合窗口")
    shot(page, "2-measure")
    sign_out(page)

    sign_in(page, "xiaodian_head")
    page.goto(ledger_url)
    page.click("button[value=submit]")
    page.wait_for_selector(".status-submitted")
    shot(page, "3-submitted")
    sign_out(page)

    sign_in(page, "office")
    page.goto(f"{page.base_url}/dashboard/{taiyuan.pk}/{deployed.key}/")
    page.wait_for_selector("#key-link-matrix")
    page.wait_for_function("document.querySelector('#chart-measures').width > 0")
    assert "小店区" in page.locator("#key-link-matrix").inner_text()
    on_time = page.locator("#measures .fig").nth(1).inner_text()
    assert on_time.strip().startswith("1")
    shot(page, "4-city-dashboard")
    page.locator("#measures .fig").nth(1).locator("a").click()
    page.wait_for_selector("text=增设综合受理窗口")
    shot(page, "5-rows-behind-the-figure")

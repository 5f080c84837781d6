"""A supervisor opens a copied-work alert, sees the two texts side by side with the shared passages
highlighted, confirms it, and the unit finds the supervision problem in its ledger."""

import pytest
from django.utils import timezone

from dalun.campaigns.services import campaign_create, campaign_deploy, shipped_templates
from dalun.demo.campaign import demo_campaign_start
from dalun.demo.formalism import COPIED_PROBLEM, ensure_formalism_cases
from dalun.demo.personas import DEMO_PASSWORD
from dalun.formalism.models import Alert
from dalun.formalism.services import scan_campaign
from dalun.org.models import Unit
from dalun.org.policy import SYSTEM

pytestmark = pytest.mark.e2e

FINDING = "迎泽区查摆问题照抄杏花岭区台账，未结合本区实际查找问题。"


@pytest.fixture
def scanned(seeded_transactional_db, settings, tmp_path):
    settings.DALUN_FORMALISM = {"index_dir": str(tmp_path / "formalism")}
    text = shipped_templates()["big-discussion"].read_text(encoding="utf-8")
    campaign = campaign_create(
        actor=SYSTEM,
        template_text=text,
        source="big-discussion.yaml",
        starts_on=demo_campaign_start(timezone.localdate()),
        owner_unit=Unit.objects.get(code="14"),
    )
    campaign_deploy(actor=SYSTEM, campaign=campaign, root=Unit.objects.get(code="1401"))
    ensure_formalism_cases(campaign)
    scan_campaign(actor=SYSTEM, campaign=campaign)
    return campaign


def sign_in(page, username: str) -> None:
    page.goto(page.base_url + "/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_selector(".who")


def test_supervisor_confirms_copied_work_and_the_unit_sees_the_finding(page, scanned, shot):
    alert = Alert.objects.get(
        unit__code="140106", rule="copied_pair", records__0__ref__startswith="ledger.problem"
    )
    sign_in(page, "taiyuan_supervisor")
    page.click("header nav a[href='/alerts/']")
    page.select_option("select[name=kind]", "copied")
    page.click(".alert-filters button[type=submit]")
    page.wait_for_selector(f"#alerts a[href='/alerts/{alert.pk}/']")
    shot(page, "1-alert-list")
    page.click(f"#alerts a[href='/alerts/{alert.pk}/']")

    texts = page.locator("#texts article")
    assert texts.count() == 2
    assert "杏花岭区" in texts.nth(0).inner_text() and "迎泽区" in texts.nth(1).inner_text()
    assert texts.nth(0).locator("mark.hl-match").count() >= 1
    assert texts.nth(1).locator("mark.hl-match").count() >= 1
    assert "政务服务中心不动产登记窗口" in texts.nth(1).locator("mark.hl-match").first.inner_text()
    # Side by side: the copy's card sits to the right of the original's, on the same row.
    left, right = texts.nth(0).bounding_box(), texts.nth(1).bounding_box()
    assert right["x"] > left["x"] + left["width"] - 1 and abs(right["y"] - left["y"]) < 2
    shot(page, "2-side-by-side")

    page.fill("#confirm textarea[name=text]", FINDING)
    page.click("#confirm button[type=submit]")
    page.wait_for_selector("p.flash.success")
    assert not page.locator("#confirm").count()
    shot(page, "3-confirmed")
    alert.refresh_from_db()
    assert alert.status == "confirmed" and alert.finding_id

    page.click("header form button.link")
    page.wait_for_selector("header a[href^='/accounts/login/']")
    sign_in(page, "yingze_clerk")
    yingze = Unit.objects.get(code="140106")
    page.goto(f"{page.base_url}/ledger/{yingze.pk}/{scanned.key}/")
    page.wait_for_selector(f"text={FINDING}")
    assert page.locator(f"text={COPIED_PROBLEM[:20]}").count() >= 1
    shot(page, "4-unit-ledger")


def test_supervisor_reads_slogan_and_blame_alerts_with_the_evidence_marked(page, scanned, shot):
    slogan = Alert.objects.get(rule="slogan_ledger")
    blame = Alert.objects.filter(rule="blame_problem", unit__code="140121").first()
    sign_in(page, "taiyuan_supervisor")
    page.goto(f"{page.base_url}/alerts/{slogan.pk}/")
    assert page.locator("#texts mark.hl-stock").count() >= 4
    shot(page, "1-slogans")
    page.goto(f"{page.base_url}/alerts/{blame.pk}/")
    assert page.locator("#texts mark.hl-higher_level, #texts mark.hl-objective").count() >= 1
    shot(page, "2-blame")

"""The Taiyuan supervisor records a planned inspection of Xiaodian with a finding and evidence; Xiaodian's
clerk finds it in the unit's findings queue and, as a supervision problem, in the unit's ledger."""

import pytest
from django.utils import timezone

from dalun.campaigns.services import campaign_create, campaign_deploy, shipped_templates
from dalun.demo.campaign import demo_campaign_start
from dalun.demo.personas import DEMO_PASSWORD
from dalun.org.models import Person, Unit
from dalun.org.policy import SYSTEM
from dalun.supervision import services
from dalun.supervision.models import Finding

pytestmark = pytest.mark.e2e

PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
FINDING = "问题清单以“解放思想不够”等口号代替具体问题，未列明事例。"


@pytest.fixture
def planned(seeded_transactional_db):
    text = shipped_templates()["big-discussion"].read_text(encoding="utf-8")
    campaign = campaign_create(
        actor=SYSTEM,
        template_text=text,
        source="big-discussion.yaml",
        starts_on=demo_campaign_start(timezone.localdate()),
        owner_unit=Unit.objects.get(code="14"),
    )
    campaign_deploy(actor=SYSTEM, campaign=campaign, root=Unit.objects.get(code="1401"))
    office = Person.objects.get(username="office")
    group = services.group_create(
        actor=office, campaign=campaign, name="省第一联络督导组", leading_unit=campaign.owner_unit
    )
    services.member_add(actor=office, group=group, person=Person.objects.get(username="taiyuan_supervisor"))
    services.coverage_add(actor=office, group=group, unit=Unit.objects.get(code="1401"))
    return services.inspection_plan(
        actor=office, group=group, unit=Unit.objects.get(code="140105"), planned_on=timezone.localdate()
    )


def sign_in(page, username: str) -> None:
    page.goto(page.base_url + "/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_selector(".who")


def sign_out(page) -> None:
    page.click("header form button.link")
    page.wait_for_selector("header a[href^='/accounts/login/']")


def test_supervisor_records_a_finding_the_unit_sees_it(page, planned, shot, tmp_path):
    photo = tmp_path / "现场检查记录.pdf"
    photo.write_bytes(PDF)
    campaign = planned.campaign

    sign_in(page, "taiyuan_supervisor")
    page.click("header nav a[href='/supervision/']")
    page.click(f"a[href='/supervision/{campaign.key}/my-units/']")
    page.wait_for_selector("#units")
    shot(page, "1-my-units")
    page.click(f"#inspections a[href='/supervision/inspections/{planned.pk}/']")
    form = page.locator("#record-form")
    form.locator("select[name=method]").select_option("document_review")
    form.locator("textarea[name=checked]").fill("查阅问题清单和整改台账")
    form.locator("select[name=answer_ledger_specific]").select_option("no")
    form.locator("input[name=note_ledger_specific]").fill("口号代替问题")
    shot(page, "2-record-form")
    form.locator("button[type=submit]").click()
    finding_form = page.locator("#finding-form")
    finding_form.locator("textarea[name=text]").fill(FINDING)
    finding_form.locator("textarea[name=evidence_note]").fill("见问题清单第2页")
    finding_form.locator("input[type=file]").set_input_files(str(photo))
    finding_form.locator("button[type=submit]").click()
    page.wait_for_selector(f"#findings a:has-text('{FINDING[:12]}')")
    shot(page, "3-inspection-with-finding")
    sign_out(page)

    finding = Finding.objects.get()
    sign_in(page, "xiaodian_clerk")
    page.goto(f"{page.base_url}/supervision/units/{finding.unit_id}/{campaign.key}/findings/")
    row = page.locator("#findings tbody tr", has_text=FINDING[:12])
    assert row.count() == 1
    assert finding.deadline.isoformat() in row.inner_text()
    shot(page, "4-unit-findings-queue")
    row.locator(f"a[href='{finding.problem.get_absolute_url()}']").click()
    page.wait_for_selector(f"#problem-{finding.problem_id}")
    problem = page.locator(f"#problem-{finding.problem_id}")
    assert FINDING[:12] in problem.inner_text()
    assert "督导发现" in problem.inner_text() or "Supervision finding" in problem.inner_text()
    shot(page, "5-ledger-problem")
    problem.locator(f"a[href='/supervision/problems/{finding.problem_id}/finding/']").click()
    page.wait_for_selector("#rectification")
    assert "现场检查记录.pdf" in page.content()
    shot(page, "6-finding")
    sign_out(page)

    sign_in(page, "office")
    page.goto(f"{page.base_url}/supervision/units/{campaign.owner_unit_id}/{campaign.key}/dashboard/")
    assert "1" in page.locator("#figures .fig").first.inner_text()
    assert page.locator("#by-unit tbody tr", has_text="小店区").count() == 1
    shot(page, "7-office-dashboard")
    page.goto(f"{page.base_url}{planned.group.get_absolute_url()}")
    page.wait_for_selector("#coverage li:has-text('太原市')")
    shot(page, "8-group")

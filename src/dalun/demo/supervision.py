"""Demo supervision: the province's liaison group for Taiyuan, one recorded inspection of Xiaodian with two
findings (one rectified through the ledger, one still open), a rectification notice and a planned spot check
of Yingze. Written through the services, as the office, the supervisor and the clerk would (idempotent).
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone

from dalun.campaigns.models import Campaign
from dalun.campaigns.services import phase_allows
from dalun.ledger import services as ledger_services
from dalun.org.models import Person, Unit
from dalun.supervision import services
from dalun.supervision.models import SupervisionGroup

GROUP_NAME = "省委第一联络督导组（太原）"
DEMO_EVIDENCE = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
FINDINGS = (
    (
        "work_style",
        "区级问题清单中有3条问题以“思想解放不够”“创新意识不强”等口号代替具体表现，未列明事例和数据。",
        "查阅区委问题清单原件第2至4页。",
    ),
    (
        "reform_awareness",
        "群众意见建议办理台账不完整，6条已转办建议未记录答复时间和办理结果。",
        "抽查政务服务中心意见簿和转办登记表。",
    ),
)


def _pdf(name: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, DEMO_EVIDENCE, content_type="application/pdf")


@transaction.atomic
def ensure_supervision(campaign: Campaign, *, today: datetime.date | None = None) -> SupervisionGroup | None:
    """Create the demo's supervision once; returns the group (None when the campaign allows no inspection)."""
    existing = SupervisionGroup.objects.filter(campaign=campaign, name=GROUP_NAME).first()
    if existing is not None:
        return existing
    today = today or timezone.localdate()
    if not phase_allows(campaign, "supervision.inspect", on=today):
        return None
    people = {
        person.username: person
        for person in Person.objects.filter(username__in=["office", "taiyuan_supervisor", "xiaodian_clerk"])
    }
    units = {unit.code: unit for unit in Unit.objects.filter(code__in=["14", "1401", "140105", "140106"])}
    office, supervisor, clerk = people["office"], people["taiyuan_supervisor"], people["xiaodian_clerk"]

    group = services.group_create(actor=office, campaign=campaign, name=GROUP_NAME, leading_unit=units["14"])
    services.member_add(actor=office, group=group, person=supervisor, role="leader")
    services.coverage_add(actor=office, group=group, unit=units["1401"])

    inspection = services.inspection_plan(
        actor=office, group=group, unit=units["140105"], planned_on=today - datetime.timedelta(days=7)
    )
    inspection = services.inspection_record(
        actor=supervisor,
        inspection=inspection,
        inspected_on=today - datetime.timedelta(days=7),
        method="document_review",
        checked="区委问题清单和整改台账、关键环节佐证材料、群众意见建议办理登记；与3名科室负责人个别谈话。",
        answers={
            "leadership": ("yes", ""),
            "ledger_specific": ("no", "部分问题以口号代替具体表现"),
            "measures_measurable": ("partly", "个别措施无量化目标"),
            "key_links_done": ("yes", ""),
            "suggestions_answered": ("no", "答复记录不全"),
            "no_formalism": ("partly", ""),
        },
    )
    categories = {category.key: category for category in campaign.categories.all()}
    findings = [
        services.finding_record(
            actor=supervisor,
            unit=units["140105"],
            campaign=campaign,
            text=text,
            category=categories.get(key),
            inspection=inspection,
            evidence_note=note,
            uploads=[_pdf("督导检查记录.pdf")] if number == 0 else [],
        )
        for number, (key, text, note) in enumerate(FINDINGS)
    ]
    services.notice_issue(
        actor=supervisor,
        inspection=inspection,
        text="请对照督导发现的问题逐条制定整改措施，明确责任人和时限，整改完成后报送佐证材料，督导组将适时回访。",
    )

    # The first finding is rectified the ordinary way: a measure, evidence, closing and verification.
    measure = ledger_services.measure_create(
        actor=clerk,
        problem=findings[0].problem,
        action="逐条重写问题清单，每条问题写明具体事例、数据和责任科室",
        indicator="列明具体事例的问题占比",
        baseline=Decimal("70"),
        target=Decimal("100"),
        target_unit="%",
        owner="刘芳",
        working_days=10,
    )
    ledger_services.evidence_attach(actor=clerk, measure=measure, upload=_pdf("修订后的问题清单.pdf"))
    ledger_services.measure_request_close(actor=clerk, measure=measure, text="问题清单已修订并经区委审定")
    ledger_services.measure_verify(actor=supervisor, measure=measure, approve=True, comment="已核实")
    # The second one is in progress.
    measure = ledger_services.measure_create(
        actor=clerk,
        problem=findings[1].problem,
        action="补全意见建议办理台账，逐条登记答复时间和结果",
        indicator="登记完整的建议占比",
        baseline=Decimal("60"),
        target=Decimal("100"),
        target_unit="%",
        owner="刘芳",
        working_days=15,
    )
    ledger_services.measure_progress(actor=clerk, measure=measure, percent=50, text="已补登3条")

    # A spot check of Yingze next week: not announced to the unit.
    services.inspection_plan(
        actor=office,
        group=group,
        unit=units["140106"],
        planned_on=today + datetime.timedelta(days=5),
        kind="spot",
    )
    return group

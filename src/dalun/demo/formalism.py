"""Demo formalism: planted cases the scan must find, beside the ordinary demo ledgers.

- copied work: Yingze District's ledger copies a problem and a measure of Xinghualing District's, with a word
  or a number changed; Wanbailin District's ledger copies an example problem of the campaign template;
- slogans: the self-examination of a village of Yingze District is made of stock phrases only;
- blame-shifting: Qingxu County's problems blame higher levels, other departments and the public;
- motions without action: Yangqu County closed eight measures on their deadline day, all within a day of
  each other and none with evidence, and marked a key link done without evidence; one village signed off a
  ledger with no problem at all;
- neglect: Loufan County's measures are weeks past their deadlines (escalated to Taiyuan).

The ordinary demo's key links marked done get the shared evidence file the service would have required,
so that only the planted key link lacks it. Rows are written in bulk as the rest of the demo is (the services
would refuse to close a measure without evidence: that is what the planted unit did wrong), with the
subtree rollups adjusted row by row so that they stay exact.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from dalun.campaigns.models import Campaign, KeyLinkObligation
from dalun.ledger import rollups
from dalun.ledger.choices import KeyLinkStatus, LedgerStatus, MeasureStatus
from dalun.ledger.models import Evidence, KeyLinkProgress, Ledger, Measure, Problem
from dalun.org.models import Unit

XIAODIAN, YINGZE, XINGHUALING, WANBAILIN, JINYUAN, QINGXU, YANGQU, LOUFAN = (
    "140105",
    "140106",
    "140107",
    "140109",
    "140110",
    "140121",
    "140122",
    "140123",
)
ORIGINAL_PROBLEM = (
    "杏花岭区政务服务中心不动产登记窗口排队时间长，我区企业开办需分别跑三个窗口，"
    "平均用时5个工作日，2025年收到投诉47件。"
)
COPIED_PROBLEM = (
    "迎泽区政务服务中心不动产登记窗口排队时间长，我区企业开办需分别跑三个窗口，"
    "平均用时6个工作日，2025年收到投诉47件。"
)
ORIGINAL_MEASURE = (
    "在杏花岭区政务服务中心设立企业开办专区，"
    "实行税务、市场监管、社保一窗受理，年底前办理时限压缩至1个工作日。"
)
COPIED_MEASURE = (
    "在迎泽区政务服务中心设立企业开办专区，实行税务、市场监管、社保一窗受理，年底前办理时限压缩至1个工作日。"
)
TEMPLATE_COPY = "本局以文件落实文件、以会议落实会议，工作方式多年不变。"
SLOGANS = (
    "提高政治站位，强化责任担当，确保各项工作落到实处。",
    "坚持问题导向，压实主体责任，以钉钉子精神抓好整改落实，推动各项工作走深走实、落地见效。",
    "强化宗旨意识，践行初心使命，坚持以人民为中心的发展思想，全心全意为人民服务。",
)
BLAME = (
    "上级政策支持不够，资金到位慢，群众配合度不高，客观条件限制较多。",
    "受上级审批权限限制，相关部门配合不够，企业积极性不高，导致项目推进缓慢。",
)
CLOSED_ACTIONS = [f"完成第{number}批老旧小区雨污分流改造项目验收" for number in range(1, 9)]
OVERDUE_ACTIONS = (
    "完成全县农村公路安全隐患排查整治",
    "建成县级政务服务“一网通办”平台",
    "完成娄烦县农贸市场提质改造",
)


def _measure(problem: Problem, action: str, deadline: datetime.date) -> Measure:
    measure = Measure.objects.create(
        problem=problem,
        unit=problem.unit,
        campaign=problem.campaign,
        action=action,
        indicator="完成率",
        target=Decimal("100"),
        target_unit="%",
        owner="王建华",
        deadline=deadline,
    )
    rollups.apply(
        unit=problem.unit, campaign_id=problem.campaign_id, delta=rollups.measure_contribution(measure)
    )
    return measure


def _problem(unit: Unit, campaign: Campaign, text: str, category_key: str = "work_style") -> Problem:
    ledger, _created = Ledger.objects.get_or_create(unit=unit, campaign=campaign)
    category = campaign.categories.get(key=category_key)
    problem = Problem.objects.create(
        ledger=ledger, unit=unit, campaign=campaign, category=category, manifestation=text
    )
    rollups.apply(
        unit=unit,
        campaign_id=campaign.pk,
        delta=rollups.problem_contribution(category_key=category.key, status=problem.status),
    )
    return problem


def _close_without_evidence(measure: Measure, day: datetime.date) -> None:
    old = rollups.measure_contribution(measure)
    measure.status, measure.closed_on, measure.progress, measure.deadline = (
        MeasureStatus.CLOSED,
        day,
        100,
        day,
    )
    Measure.objects.filter(pk=measure.pk).update(
        status=measure.status, closed_on=day, progress=100, deadline=day
    )
    rollups.apply(
        unit=measure.unit, campaign_id=measure.campaign_id, delta=rollups.measure_contribution(measure) - old
    )


@transaction.atomic
def ensure_formalism_cases(campaign: Campaign, *, today: datetime.date | None = None) -> int:
    """Plant the cases (idempotent: nothing happens when they exist); returns how many records were added."""
    if Problem.objects.filter(campaign=campaign, manifestation=COPIED_PROBLEM).exists():
        return 0
    today = today or timezone.localdate()
    units = {
        unit.code: unit
        for unit in Unit.objects.filter(
            code__in=[XIAODIAN, YINGZE, XINGHUALING, WANBAILIN, JINYUAN, QINGXU, YANGQU, LOUFAN]
        )
    }
    added = 0
    later = today + datetime.timedelta(days=60)

    original = _problem(units[XINGHUALING], campaign, ORIGINAL_PROBLEM)
    _measure(original, ORIGINAL_MEASURE, later)
    copied = _problem(units[YINGZE], campaign, COPIED_PROBLEM)
    _measure(copied, COPIED_MEASURE, later)
    added += 4

    _problem(units[WANBAILIN], campaign, TEMPLATE_COPY, "innovation_spirit")
    added += 1

    slogan_unit = _village_without_ledger(units[YINGZE], campaign) or units[JINYUAN]
    for text in SLOGANS:
        problem = _problem(slogan_unit, campaign, text, "work_style")
        added += 1
    _measure(problem, "以高度的政治责任感，推动各项工作落地生根、走深走实，确保取得实效。", later)
    added += 1

    for text in BLAME:
        _problem(units[QINGXU], campaign, text, "reform_awareness")
        added += 1

    burst = _problem(
        units[YANGQU], campaign, "阳曲县老旧小区雨污分流改造进度滞后，8个小区汛期积水严重。", "work_style"
    )
    for number, action in enumerate(CLOSED_ACTIONS):
        measure = _measure(burst, action, later)
        _close_without_evidence(measure, today - datetime.timedelta(days=2 + number % 2))
        added += 1
    obligation = (
        KeyLinkObligation.objects.filter(
            campaign=campaign,
            unit=units[YANGQU],
            key_link__starts_on__lte=today,
            key_link__evidence_required=True,
        )
        .order_by("key_link__position")
        .first()
    )
    if obligation is not None:
        progress, _created = KeyLinkProgress.objects.update_or_create(
            obligation=obligation,
            defaults={
                "unit": units[YANGQU],
                "campaign": campaign,
                "status": KeyLinkStatus.DONE,
                "reported_on": max(obligation.key_link.starts_on, min(obligation.key_link.ends_on, today)),
                "note": "已完成",
            },
        )
        progress.evidence.all().delete()
        added += 1

    neglected = _problem(
        units[LOUFAN],
        campaign,
        "娄烦县农村公路、政务服务平台和农贸市场改造等民生项目推进迟缓，多项承诺未兑现。",
        "work_style",
    )
    for number, action in enumerate(OVERDUE_ACTIONS):
        _measure(neglected, action, today - datetime.timedelta(days=20 + 7 * number))
        added += 1

    village = _village_without_ledger(units[XIAODIAN], campaign)
    if village is not None:
        Ledger.objects.create(unit=village, campaign=campaign, status=LedgerStatus.SUBMITTED)
        added += 1
    _evidence_for_reported_key_links(campaign, skip=units[YANGQU])
    return added


def _village_without_ledger(county: Unit, campaign: Campaign) -> Unit | None:
    return (
        Unit.objects.subtree_of(county, include_self=False)
        .filter(depth=county.depth + 2)
        .exclude(pk__in=Ledger.objects.filter(campaign=campaign).values("unit_id"))
        .order_by("path")
        .first()
    )


def _evidence_for_reported_key_links(campaign: Campaign, *, skip: Unit) -> None:
    """The ordinary demo's done key links get the demo evidence file the service would have required."""
    sample = Evidence.objects.filter(measure__campaign=campaign).exclude(file="").first()
    if sample is None:
        return
    missing = (
        KeyLinkProgress.objects.filter(campaign=campaign, status=KeyLinkStatus.DONE, evidence__isnull=True)
        .exclude(unit=skip)
        .values_list("pk", "unit_id")
    )
    Evidence.objects.bulk_create(
        (
            Evidence(
                key_link_progress_id=pk,
                unit_id=unit_id,
                file=sample.file.name,
                original_name=sample.original_name,
                mime=sample.mime,
                size=sample.size,
            )
            for pk, unit_id in missing.iterator(chunk_size=5000)
        ),
        batch_size=5000,
    )


def ensure_formalism(campaign: Campaign) -> str:
    """Plant the cases and, the first time, run the scan so the alerts are there; returns a summary line."""
    from dalun.formalism.models import ScanRun
    from dalun.formalism.services import scan_campaign
    from dalun.org.policy import SYSTEM

    planted = ensure_formalism_cases(campaign)
    if not planted and ScanRun.objects.filter(campaign=campaign).exists():
        return "Formalism scan: already run (dalun scan runs it again)."
    run = scan_campaign(actor=SYSTEM, campaign=campaign)
    kinds = ", ".join(
        f"{kind} {run.counts.get(kind, 0)}"
        for kind in ("copied", "slogan", "blame_shifting", "motions", "neglect")
    )
    return f"Formalism scan: {planted} planted records; alerts: {kinds}."

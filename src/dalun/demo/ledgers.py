"""Demo ledgers: a realistic, deterministic spread of problems, measures, progress and overdue items.

Every county-level unit and township, a tenth of the villages and the provincial bodies keep a ledger.
Rows are written in bulk (tens of thousands would take minutes through the services one by one) and the
rollups are then rebuilt from them; Xiaodian District's ledger, the one the personas work on, is left to the
services so that the demo shows its timeline and audit trail being made.
"""

from __future__ import annotations

import datetime
import random
from decimal import Decimal

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from dalun.campaigns.models import Campaign, KeyLinkObligation
from dalun.ledger import rollups
from dalun.ledger.choices import KeyLinkStatus, LedgerStatus, MeasureStatus, ProblemStatus, Visibility
from dalun.ledger.models import Evidence, KeyLinkProgress, Ledger, Measure, Problem
from dalun.org.models import Unit

SEED = 2026
SKIPPED_UNIT_CODES = {"140105"}  # Xiaodian: the personas' own ledger, filled through the services

# (category key) -> [(problem, [(measure, indicator, baseline, target, unit of measure)])]
PATTERNS: dict[str, list[tuple[str, list[tuple[str, str, float | None, float, str]]]]] = {
    "reform_awareness": [
        (
            "{unit}“放管服”改革推进缓慢，部分审批事项仍需群众多次跑腿。",
            [
                ("推行“一窗受理、集成服务”，压缩审批环节", "审批事项平均办理时限", 15, 5, "个工作日"),
                ("梳理公布“最多跑一次”事项清单", "“最多跑一次”事项占比", 40, 90, "%"),
            ],
        ),
        (
            "{unit}对上级改革部署照搬照转，结合本地实际的配套措施少。",
            [("制定本单位改革任务清单并逐项明确责任人", "改革任务清单完成率", None, 100, "%")],
        ),
    ],
    "innovation_spirit": [
        (
            "{unit}习惯按老办法办事，新技术新模式在工作中应用不多。",
            [
                ("建设“互联网+政务服务”网上办事平台", "网上可办事项比例", 35, 80, "%"),
                ("每季度开展一次创新案例交流", "创新案例交流次数", 0, 4, "次"),
            ],
        ),
    ],
    "opening_up": [
        (
            "{unit}招商引资方式单一，对外合作项目落地率不高。",
            [
                ("组建专业招商小分队赴长三角、珠三角开展精准招商", "新签约项目数", 3, 10, "个"),
                ("建立签约项目跟踪服务台账", "签约项目开工率", 45, 80, "%"),
            ],
        ),
    ],
    "market_awareness": [
        (
            "{unit}发展过度依赖煤炭等资源型产业，非煤产业占比偏低。",
            [("培育新材料、数字经济等非煤产业项目", "非煤产业投资占比", 30, 45, "%")],
        ),
        (
            "{unit}服务市场主体意识不强，涉企检查多、频次高。",
            [("推行“双随机、一公开”联合检查", "涉企检查次数", 24, 8, "次/年")],
        ),
    ],
    "work_benchmark": [
        (
            "{unit}满足于完成上级下达的指标，与先进地区对标不够。",
            [
                ("选定全国先进地区开展对标学习并形成对标报告", "对标报告完成数", 0, 1, "份"),
                ("主要经济指标对标先进制定赶超目标", "指标赶超计划完成率", None, 100, "%"),
            ],
        ),
    ],
    "work_style": [
        (
            "{unit}部分干部存在“慢作为”问题，群众反映事项办理拖沓。",
            [
                ("建立群众诉求限时办结和督办制度", "诉求按期办结率", 70, 98, "%"),
                ("开展作风建设专项督查", "督查发现问题整改率", None, 100, "%"),
            ],
        ),
        (
            "{unit}会议多、文件多，基层负担较重。",
            [("精简会议文件，严控发文数量", "发文数量同比下降", 0, 30, "%")],
        ),
    ],
}

DEMO_PROGRESS_NOTE = "已制定工作方案并启动实施"
DEMO_EVIDENCE = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


def ensure_xiaodian_ledger(campaign: Campaign, *, today: datetime.date | None = None) -> None:
    """Xiaodian's draft ledger, written through the services as its clerk would (idempotent)."""
    from dalun.ledger import services
    from dalun.org.models import Person

    unit = Unit.objects.get(code="140105")
    if Problem.objects.filter(unit=unit, campaign=campaign).exists():
        return
    today = today or timezone.localdate()
    clerk = Person.objects.get(username="xiaodian_clerk")
    ledger = services.ledger_open(actor=clerk, unit=unit, campaign=campaign)
    categories = {category.key: category for category in campaign.categories.all()}
    for key, (text, specs) in (
        ("reform_awareness", PATTERNS["reform_awareness"][0]),
        ("work_style", PATTERNS["work_style"][0]),
    ):
        problem = services.problem_create(
            actor=clerk,
            ledger=ledger,
            category=categories[key],
            manifestation=text.format(unit=unit.name),
            source="self",
            visibility="public",
        )
        for number, (action, indicator, baseline, target, target_unit) in enumerate(specs):
            deadline = today - datetime.timedelta(days=3) if number else None  # one of them is overdue
            measure = services.measure_create(
                actor=clerk,
                problem=problem,
                action=action,
                indicator=indicator,
                baseline=None if baseline is None else Decimal(str(baseline)),
                target=Decimal(str(target)),
                target_unit=target_unit,
                owner="刘芳",
                deadline=deadline,
                working_days=None if deadline else 20,
            )
            services.measure_progress(actor=clerk, measure=measure, percent=40, text=DEMO_PROGRESS_NOTE)


def _ledger_units() -> list[Unit]:
    units = list(Unit.objects.filter(depth__lte=4).exclude(code__in=SKIPPED_UNIT_CODES).order_by("path"))
    villages = list(Unit.objects.filter(depth=5).order_by("path").values_list("pk", flat=True))
    chosen = set(villages[::10])
    return units + list(Unit.objects.filter(pk__in=chosen).order_by("path"))


@transaction.atomic
def ensure_ledgers(campaign: Campaign, *, today: datetime.date | None = None) -> int:
    """Fill the demo ledgers once (idempotent: does nothing when ledgers exist); returns measures created."""
    if Ledger.objects.filter(campaign=campaign).exclude(unit__code__in=SKIPPED_UNIT_CODES).exists():
        return 0
    today = today or timezone.localdate()
    rng = random.Random(SEED)
    categories = {category.key: category for category in campaign.categories.all()}
    units = _ledger_units()
    statuses = (
        [LedgerStatus.ACCEPTED] * 5
        + [LedgerStatus.SUBMITTED] * 2
        + [LedgerStatus.DRAFT, LedgerStatus.RETURNED]
    )
    ledgers = Ledger.objects.bulk_create(
        Ledger(campaign=campaign, unit=unit, status=rng.choice(statuses)) for unit in units
    )
    problems: list[Problem] = []
    measure_specs: list[tuple[int, tuple[str, str, float | None, float, str]]] = []
    for ledger, unit in zip(ledgers, units, strict=True):
        count = 1 if unit.depth == 5 else rng.randint(2, 5)
        for key in rng.sample(sorted(PATTERNS), count):
            text, specs = rng.choice(PATTERNS[key])
            problems.append(
                Problem(
                    ledger=ledger,
                    unit=unit,
                    campaign=campaign,
                    category=categories[key],
                    manifestation=text.format(unit=unit.name),
                    visibility=Visibility.INTERNAL if rng.random() < 0.15 else Visibility.PUBLIC,
                )
            )
            measure_specs.extend((len(problems) - 1, spec) for spec in specs)
    Problem.objects.bulk_create(problems, batch_size=2000)

    span = max((today - campaign.starts_on).days, 1)
    measures: list[Measure] = []
    for index, (action, indicator, baseline, target, target_unit) in measure_specs:
        problem = problems[index]
        deadline = campaign.starts_on + datetime.timedelta(days=rng.randint(30, span + 90))
        roll = rng.random()
        if deadline < today and roll < 0.55 or roll < 0.25:
            status, closed_on = (
                MeasureStatus.CLOSED,
                min(deadline + datetime.timedelta(days=rng.randint(-20, 6)), today),
            )
        elif roll < 0.35:
            status, closed_on = MeasureStatus.CLOSING, None
        else:
            status, closed_on = MeasureStatus.OPEN, None
        progress = 100 if status == MeasureStatus.CLOSED else rng.choice([10, 30, 50, 60, 80, 90])
        measures.append(
            Measure(
                problem=problem,
                unit=problem.unit,
                campaign=campaign,
                action=action,
                indicator=indicator,
                baseline=None if baseline is None else Decimal(str(baseline)),
                target=Decimal(str(target)),
                target_unit=target_unit,
                owner=rng.choice(["王建华", "李明", "张丽", "赵志强", "刘洋", "陈静"]),
                deadline=deadline,
                progress=progress,
                status=status,
                closed_on=closed_on,
            )
        )
    Measure.objects.bulk_create(measures, batch_size=2000)
    _spread_creation_dates(measures, campaign, today, rng)
    _attach_demo_evidence(measures, rng)
    _mark_rectified(problems)
    _report_key_links(campaign, today, rng)
    rollups.rebuild(campaign_id=campaign.pk)
    return len(measures)


def _spread_creation_dates(
    measures: list[Measure], campaign: Campaign, today: datetime.date, rng: random.Random
) -> None:
    """Measures were recorded over the self-examination phase, not all at the moment the demo loaded."""
    first_weeks = max(min((today - campaign.starts_on).days, 90), 1)
    for measure in measures:
        day = campaign.starts_on + datetime.timedelta(days=rng.randint(0, first_weeks))
        measure.created_at = timezone.make_aware(datetime.datetime.combine(day, datetime.time(10)))
    Measure.objects.bulk_update(measures, ["created_at"], batch_size=2000)


def _attach_demo_evidence(measures: list[Measure], rng: random.Random) -> None:
    """Closed and closing measures carry evidence: one shared demo file, referenced by every row."""
    evidence = Evidence(
        measure=measures[0],
        unit=measures[0].unit,
        original_name="整改佐证材料.pdf",
        mime="application/pdf",
        size=len(DEMO_EVIDENCE),
    )
    evidence.file.save("demo-evidence.pdf", ContentFile(DEMO_EVIDENCE), save=False)
    name = evidence.file.name
    Evidence.objects.bulk_create(
        (
            Evidence(
                measure=m,
                unit=m.unit,
                file=name,
                original_name="整改佐证材料.pdf",
                mime="application/pdf",
                size=len(DEMO_EVIDENCE),
            )
            for m in measures
            if m.status != MeasureStatus.OPEN
        ),
        batch_size=2000,
    )


def _mark_rectified(problems: list[Problem]) -> None:
    open_ids = set(
        Measure.objects.filter(problem__in=problems)
        .exclude(status=MeasureStatus.CLOSED)
        .values_list("problem_id", flat=True)
    )
    Problem.objects.filter(pk__in=[p.pk for p in problems if p.pk not in open_ids]).update(
        status=ProblemStatus.RECTIFIED
    )


def _report_key_links(campaign: Campaign, today: datetime.date, rng: random.Random) -> None:
    """Most units report the key links whose windows have opened; a few lag behind."""
    rows = []
    obligations = (
        KeyLinkObligation.objects.filter(campaign=campaign, key_link__starts_on__lte=today)
        .values_list("pk", "unit_id", "key_link__starts_on", "key_link__ends_on")
        .order_by("pk")
    )
    for obligation_id, unit_id, starts_on, ends_on in obligations.iterator(chunk_size=5000):
        roll = rng.random()
        if roll < 0.12:
            continue
        last = min(ends_on, today)
        reported_on = starts_on + datetime.timedelta(days=rng.randint(0, max((last - starts_on).days, 0)))
        status = (
            KeyLinkStatus.DONE if ends_on < today and roll < 0.85 or roll < 0.4 else KeyLinkStatus.IN_PROGRESS
        )
        rows.append(
            KeyLinkProgress(
                obligation_id=obligation_id,
                unit_id=unit_id,
                campaign=campaign,
                status=status,
                reported_on=reported_on,
                note="已按要求完成" if status == "done" else "正在推进",
            )
        )
    KeyLinkProgress.objects.bulk_create(rows, batch_size=5000)

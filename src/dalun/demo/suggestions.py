"""Demo suggestions from the public, in Chinese, at every stage: awaiting moderation, routed, overdue and
escalated, answered and rated, rejected, merged. Written through the services, as people would."""

from __future__ import annotations

import datetime
import random

from django.db import transaction
from django.utils import timezone

from dalun.campaigns.models import Campaign
from dalun.org.models import Person, Unit
from dalun.voices import services
from dalun.voices.models import Suggestion

SEED = 7

# (title, text, category key, unit code it concerns or "" for "I don't know", the unit that should answer)
SUGGESTIONS = [
    (
        "政务服务中心周末开放",
        "上班族工作日没时间办事，建议小店区政务服务中心周六上午开放综合窗口。",
        "work_style",
        "",
        "140105",
    ),
    (
        "企业开办再提速",
        "新办企业要跑税务、社保多个窗口，建议推行企业开办一网通办、一日办结。",
        "reform_awareness",
        "140105",
        "140105",
    ),
    (
        "老旧小区加装电梯",
        "迎泽区不少老旧小区住着老人，上下楼困难，建议简化加装电梯审批并给予补贴。",
        "work_benchmark",
        "140106",
        "140106",
    ),
    (
        "煤矿转型就业培训",
        "长治市煤矿关停后部分职工再就业难，建议联合职业院校开展免费技能培训。",
        "market_awareness",
        "1404",
        "1404",
    ),
    (
        "园区招商要精准",
        "转型综改示范区招商项目多但落地少，建议对签约项目实行专人跟踪服务。",
        "opening_up",
        "",
        "14B003",
    ),
    (
        "审批材料能否少交",
        "办理施工许可要交十几份材料，很多是政府部门自己能查到的，建议数据共享免提交。",
        "reform_awareness",
        "",
        "14B002",
    ),
    (
        "高校科研成果转化",
        "太原理工大学科研成果多，但在本地转化少，建议建立校地合作转化平台。",
        "innovation_spirit",
        "14B005",
        "14B005",
    ),
    (
        "公交线路优化",
        "小店区新建小区没有公交线路，居民出行不便，建议增开或调整线路。",
        "work_benchmark",
        "140105",
        "140105",
    ),
    (
        "窗口服务态度",
        "部分窗口工作人员回答问题不耐烦，建议加强服务礼仪培训和群众评价。",
        "work_style",
        "",
        "140105",
    ),
    (
        "中小企业融资难",
        "中小企业贷款门槛高、周期长，建议搭建政银企对接平台，推广信用贷款。",
        "market_awareness",
        "",
        "14B002",
    ),
    (
        "农村电商发展",
        "村里的小米、核桃卖不出好价钱，建议发展农村电商，培训村民网上销售。",
        "innovation_spirit",
        "1404",
        "1404",
    ),
    (
        "停车难问题",
        "迎泽区商圈周边停车难，建议利用闲置地块建设立体停车场，推行错时共享停车。",
        "work_benchmark",
        "140106",
        "140106",
    ),
]


@transaction.atomic
def ensure_suggestions(campaign: Campaign, *, today: datetime.date | None = None) -> int:
    """Seed the demo's suggestions once (idempotent); returns how many were created."""
    if Suggestion.objects.filter(campaign=campaign).exists():
        return 0
    today = today or timezone.localdate()
    rng = random.Random(SEED)
    moderator = Person.objects.get(username="moderator")
    units = {
        unit.code: unit
        for unit in Unit.objects.filter(
            code__in={row[4] for row in SUGGESTIONS} | {row[3] for row in SUGGESTIONS if row[3]}
        )
    }
    categories = {category.key: category for category in campaign.categories.all()}
    answerers = {code: _answerer(unit) for code, unit in units.items()}
    created = 0
    for round_number in range(3):
        for index, (title, text, category, concerns, responsible) in enumerate(SUGGESTIONS):
            suffix = "" if round_number == 0 else f"（{round_number + 1}）"
            suggestion = services.suggestion_submit(
                campaign=campaign,
                title=title + suffix,
                text=text,
                category=categories[category],
                concerns_unit=units.get(concerns),
                contact=f"1380000{index:04d}" if rng.random() < 0.5 else "",
            )
            created += 1
            stage = (index + round_number * 5) % 10
            if stage == 0:
                continue  # awaiting moderation
            if stage == 1:
                services.suggestion_reject(
                    actor=moderator, suggestion=suggestion, reason="内容与本次大讨论无关"
                )
                continue
            services.suggestion_publish(actor=moderator, suggestion=suggestion)
            if stage == 2:
                continue  # published, awaiting routing
            routed = services.suggestion_route(
                actor=moderator, suggestion=suggestion, unit=units[responsible]
            )
            if stage == 3:  # an overdue one: routed long ago and still unanswered
                Suggestion.objects.filter(pk=routed.pk).update(
                    due_on=today - datetime.timedelta(days=rng.randint(1, 9))
                )
                continue
            if stage == 4 or answerers[responsible] is None:
                continue  # awaiting the unit's answer, on time
            adoption = ["adopted", "adopted", "partly", "not_adopted"][rng.randrange(4)]
            services.suggestion_answer(
                actor=answerers[responsible],
                suggestion=routed,
                adoption=adoption,
                text="感谢您的建议。我们已研究并制定了具体落实方案，将在本季度内推进实施。",
                reason="" if adoption == "adopted" else "部分事项涉及上级审批权限，已向上级部门反映。",
            )
            rating = ["satisfied", "satisfied", "partly", "not_satisfied"][rng.randrange(4)]
            services.suggestion_rate(suggestion=routed, rating=rating, comment="")
    services.suggestions_escalate(today=today)
    return created


def _answerer(unit: Unit) -> Person | None:
    """Someone who answers for the unit: a clerk or first responsible person over it, if the demo has one."""
    from dalun.org.models import RoleAssignment

    for role in ("clerk", "first_responsible"):
        for assignment in RoleAssignment.objects.filter(role=role).select_related("person", "unit"):
            if unit.is_within(assignment.unit):
                return assignment.person
    return None

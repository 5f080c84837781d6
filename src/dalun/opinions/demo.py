"""The demo's opinion map: Chinese statements about the campaign and the synthetic votes of a few hundred
participants in three planted opinion groups (seeded, so every demo shows the same map), computed once at
load so the map shows its groups at once. Idempotent: a second load finds the map and does nothing."""

from __future__ import annotations

import random

from django.db import transaction

from dalun.campaigns.models import Campaign
from dalun.opinions import analysis, services
from dalun.opinions.choices import MapStatus
from dalun.opinions.models import OpinionMap
from dalun.org.models import Person
from dalun.org.policy import SYSTEM
from dalun.voices.choices import Moderation
from dalun.voices.models import Suggestion

SEED = 11
QUESTION = "如何进一步优化山西的营商环境和政务服务？"
DESCRIPTION = (
    "围绕政务服务、营商环境、煤炭产业转型和干部作风，请对每一条观点表明态度：同意、不同意或跳过。"
    "您也可以写下自己的观点，经审核后供其他人表态。"
)
# Each statement with the stance of the three planted groups: +1 agree, -1 disagree, 0 divided.
# Group 0 wants faster reform for business, group 1 puts coal jobs and stability first (the two are opposed);
# group 2 stands apart from both, pressing for the public to judge the cadres' work style. Statements with
# +1 for all three are the common ground the map should find.
STATEMENTS: list[tuple[str, tuple[int, int, int]]] = [
    ("政务服务事项应当全部实现“一网通办”，群众办事最多跑一次。", (1, 1, 1)),
    ("政务服务中心应当在周末和晚间开放部分综合窗口。", (1, 0, 1)),
    ("现在的政务服务已经很便捷，不需要再做大的改动。", (-1, 1, -1)),
    ("基层办事仍然存在“证明多、盖章多、跑腿多”的问题。", (1, 0, 1)),
    ("政务服务“好差评”的结果应当向社会公开。", (0, -1, 1)),
    ("应当大幅削减企业开办和项目审批的前置条件。", (1, -1, 0)),
    ("政府部门和国有企业拖欠民营企业的账款应在年内全部清偿。", (1, 0, 1)),
    ("招商引资不能只看签约规模，更要看项目落地和带动就业。", (0, 1, 1)),
    ("外地企业来山西投资仍然面临不少隐性壁垒。", (1, -1, 0)),
    ("应当建立企业家参与涉企政策制定的常态化渠道。", (1, -1, 0)),
    ("煤炭产业转型应当放慢节奏，优先保障煤矿职工就业。", (-1, 1, 0)),
    ("资源型城市必须下决心摆脱对煤炭的依赖。", (1, -1, 0)),
    ("关停煤矿的职工应当获得免费技能培训和再就业补贴。", (1, 1, 1)),
    ("新能源项目应当优先布局在采煤沉陷区。", (1, 1, 0)),
    ("煤炭收入仍是地方财政的支柱，不能轻易放弃。", (-1, 1, 0)),
    ("煤炭企业应当承担更多的生态修复责任。", (1, -1, 0)),
    ("干部“不作为、慢作为”是影响发展的主要障碍。", (0, -1, 1)),
    ("基层的考核表格和汇报材料太多，应当大幅精简。", (1, 1, 1)),
    ("对敢于担当、大胆改革的干部应当容错免责。", (1, -1, 0)),
    ("干部作风应当由群众评议，而不只由上级考核。", (-1, -1, 1)),
    ("目前的作风整治已经取得了明显成效。", (1, 1, -1)),
    ("干部下基层调研应当减少陪同，不打招呼、直奔现场。", (0, 0, 1)),
    ("大讨论活动应当定期向社会公开整改进展。", (1, 1, 1)),
    ("应当把群众意见建议的采纳情况纳入单位年度考核。", (-1, -1, 1)),
]
PENDING = [
    "希望开通企业诉求快速响应热线，做到件件有回音。",
    "农村公路养护经费应当向偏远山区倾斜。",
    "这个讨论的观点太多了，能不能按主题分开？",
]
GROUP_SIZES = (130, 100, 70)
FOLLOW, PASS = 0.82, 0.08  # a participant votes with their group this often; passes this often
PROMOTED = 2


@transaction.atomic
def ensure_opinion_map(campaign: Campaign) -> OpinionMap:
    """The demo map, created, voted on and computed once; later loads return it unchanged."""
    existing = OpinionMap.objects.filter(campaign=campaign, question=QUESTION).first()
    if existing is not None:
        return existing
    moderator = Person.objects.get(username="moderator")
    opinion_map = services.opinion_map_create(
        actor=moderator,
        campaign=campaign,
        question=QUESTION,
        description=DESCRIPTION,
        statements=[text for text, _stances in STATEMENTS],
    )
    published = Suggestion.objects.filter(campaign=campaign, moderation=Moderation.PUBLISHED).order_by("pk")
    for suggestion in published[:PROMOTED]:
        services.statement_promote(actor=moderator, opinion_map=opinion_map, suggestion=suggestion)
    opinion_map = services.opinion_map_update(actor=moderator, opinion_map=opinion_map, status=MapStatus.OPEN)
    services.votes_load(actor=SYSTEM, opinion_map=opinion_map, votes=synthetic_votes())
    for number, text in enumerate(PENDING):
        services.statement_submit(opinion_map=opinion_map, text=text, participant_key=f"demo-author-{number}")
    analysis.recompute(opinion_map_id=opinion_map.pk, force=True)  # now, so the demo shows its groups
    opinion_map.refresh_from_db()
    return opinion_map


def synthetic_votes(*, seed: int = SEED) -> list[tuple[str, int, int]]:
    """(participant key, column, vote) of the planted groups; each participant sees 60-100% of the seeded
    statements and votes with their group's stance, or at random on a divided statement."""
    rng = random.Random(seed)
    people = [group for group, size in enumerate(GROUP_SIZES) for _person in range(size)]
    rng.shuffle(people)  # people arrive mixed, not group by group
    votes = []
    for number, group in enumerate(people):
        key = f"demo-{number:04d}"
        share = rng.uniform(0.6, 1.0)
        for column, (_text, stances) in enumerate(STATEMENTS):
            if rng.random() > share:
                continue
            stance = stances[group]
            if rng.random() < PASS:
                value = 0
            elif stance and rng.random() < FOLLOW:
                value = stance
            else:
                value = rng.choice((1, -1))
            votes.append((key, column, value))
    return votes

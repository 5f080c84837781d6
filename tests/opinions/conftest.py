"""Opinion-map fixtures: the reference campaign in its rectification phase (which takes votes), an open map
with seeded statements, and planted votes: three groups that vote alike, drawn with a seeded RNG."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from dalun.opinions import services
from dalun.opinions.choices import MapStatus
from dalun.org.policy import SYSTEM

POLIS = Path(__file__).parents[1] / "data" / "polis"
VTAIWAN = POLIS / "vtaiwan.uberx"

STATEMENTS = [
    "政务服务事项应当全部实现一网通办",
    "政务服务中心应当周末开放",
    "现在的政务服务已经很便捷",
    "应当大幅削减企业开办的前置审批",
    "外地企业来投资仍有隐性壁垒",
    "煤炭转型应当放慢节奏保就业",
    "资源型城市必须摆脱对煤炭的依赖",
    "关停煤矿职工应获免费技能培训",
    "煤炭收入是财政支柱不能放弃",
    "基层考核材料太多应当精简",
    "对大胆改革的干部应当容错免责",
    "干部作风应当由群众评议",
    "目前的作风整治成效明显",
    "大讨论应定期公开整改进展",
]
# Stance of groups 0, 1, 2 on each statement: +1 agree, -1 disagree, 0 divided. Groups 0 and 1 are
# opposed, group 2 stands apart from both; statements 0, 7, 9 and 13 are common ground.
AGREED = (1, 1, 1)
STANCES = [
    AGREED,
    (1, -1, 0),
    (1, -1, 0),
    (-1, -1, 1),
    (1, -1, 0),
    (-1, -1, 1),
    (-1, 1, 0),
    AGREED,
    (1, -1, 0),
    AGREED,
    (-1, -1, 1),
    (-1, 1, 0),
    (1, 1, -1),
    AGREED,
]
COMMON_GROUND = {0, 7, 9, 13}


@pytest.fixture
def draft_map(campaign, persona):
    return services.opinion_map_create(
        actor=persona("moderator"),
        campaign=campaign,
        question="如何优化营商环境？",
        description="请对每条观点表态。",
        statements=STATEMENTS,
    )


@pytest.fixture
def opinion_map(draft_map, persona):
    return services.opinion_map_update(
        actor=persona("moderator"), opinion_map=draft_map, status=MapStatus.OPEN
    )


def planted_votes(
    sizes: tuple[int, ...] = (60, 45, 35), *, seed: int = 5, prefix: str = "p", follow: float = 0.9
) -> tuple[list[tuple[str, int, int]], dict[str, int]]:
    """Votes of three planted groups on the fixture's statements, and each participant's planted group."""
    rng = random.Random(seed)
    people = [(group, number) for group, size in enumerate(sizes) for number in range(size)]
    rng.shuffle(people)  # people arrive mixed, as they do (and as Pol.is's first-points start expects)
    votes, truth = [], {}
    for group, number in people:
        key = f"{prefix}{group}-{number}"
        truth[key] = group
        for column, stances in enumerate(STANCES):
            if rng.random() < 0.15:
                continue
            stance = stances[group]
            value = stance if stance and rng.random() < follow else rng.choice((1, -1, 0))
            votes.append((key, column, value))
    return votes, truth


@pytest.fixture
def planted(opinion_map):
    """The open map with the planted groups' votes loaded (not yet computed); returns the planted groups."""
    votes, truth = planted_votes()
    services.votes_load(actor=SYSTEM, opinion_map=opinion_map, votes=votes)
    return truth


@pytest.fixture(autouse=True)
def _english_pages(client):  # type: ignore[no-untyped-def]
    """These tests read the pages' English wording (zh-Hans is the site's default)."""
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"

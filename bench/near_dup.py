"""Near-duplicate detection at a province's scale, and the formalism detectors' accuracy.

Generates 1,000,000 short ledger texts (half Chinese, half English, alternating), in blocks of 1,000:
problems, measures, key-link notes and summaries composed from realistic ledger phrasing (Shanxi cities,
districts and bureaux, issues, deadlines, figures, names; about a third carry a stock slogan clause, as
real ledgers do). In each block 100 texts are *planted* near-copies of another text of the block: 0 to 8
word edits (substitutions, deletions, insertions), so their Jaccard similarity spreads from about 0.4 to
1; each planted pair's exact similarity is recorded. The corpus is written to a temporary file first
(``generate_s``), then streamed from it into a :class:`NearDupIndex` by ``add_many`` with one process per
core (``index_1m_s``, from reading the file to the last merge). ``index_1m_peak_mb`` is the peak resident
memory of this process plus that of the largest worker times the number of workers (an upper bound).

Then: ``query_ms`` (mean; ``query_p99_ms``) checks 1,000 new texts, half of them edited copies of stored
ones, one at a time against the full index, and ``add_ms`` adds them one at a time; ``save_1m_s``,
``index_file_mb`` and ``load_1m_s`` persist and reload the index; ``scan_1m_s`` finds every pair of the
million at Jaccard >= 0.8 (``pairs()``).

Accuracy: 20 blocks chosen at random (20,000 texts, with their planted pairs) are compared by brute
force: every one of the 200 million pairs, exactly (shingle strings, not hashes, through a SciPy sparse
product in chunks). ``precision_j08`` and ``recall_j08`` compare the scan's pairs inside the sample with
that answer; ``query_precision_j08`` and ``query_recall_j08`` do the same for ``query()`` of each sample
text; ``planted_recall_j08`` is the recall on planted pairs only. Baselines on the same 20,000 texts:
datasketch's ``MinHash.bulk`` against this engine's NumPy signing at the same number of permutations,
from the text (``minhash_numpy_vs_datasketch_ratio``, texts per second, segmentation included in both)
and from ready shingles (``minhash_only_numpy_vs_datasketch_ratio``, the hashing alone), and
datasketch's ``MinHashLSH`` with its defaults at threshold 0.8 (``datasketch_recall_j08``, and
``recall_vs_datasketch_ratio``).

Finally the slogan and blame-shifting detectors run over their labelled sets in ``tests/engines/data/``
(``slogan_precision`` ... ``blame_recall``, per language as ``*_zh``/``*_en`` too): ``blame.tsv`` and
``slogan.tsv`` are the sets the lexicons were tuned on (so these figures are optimistic), and
``*_blind.tsv`` the sets written afterwards and kept out of tuning (``*_blind_*`` figures, e.g.
``blame_blind_recall``).

Run from the project root::

    .venv/bin/python bench/near_dup.py            # 1,000,000 texts (a few minutes)
    .venv/bin/python bench/near_dup.py --small    # 20,000 texts, a 5,000-text sample: the CI smoke run

Figure names stay the same at any size; ``corpus_texts`` and ``sample_texts`` say what was measured.
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import resource
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import rjieba
from scipy import sparse

from dalun.engines import formalism
from dalun.engines.near_dup import NearDupIndex, sign
from dalun.engines.near_dup.hashing import band_keys, shingle_sets
from dalun.engines.segment import tokens

BLOCK = 1000
PLANTED_PER_BLOCK = 100
DATA = Path(__file__).resolve().parent.parent / "tests" / "engines" / "data"


def words(text: str) -> list[str]:
    return text.split()


# Phrase pools. Chinese.
CITIES = words(
    """
    太原市 大同市 阳泉市 长治市 晋城市 朔州市 晋中市 运城市 忻州市 临汾市 吕梁市
    """
)
DISTRICTS = words(
    """
    小店区 迎泽区 杏花岭区 尖草坪区 万柏林区 晋源区 清徐县 阳曲县 潞州区 上党区 屯留区 襄垣县 平定县
    盂县 榆次区 太谷区 介休市 平遥县 盐湖区 永济市 河津市 尧都区 侯马市 离石区 孝义市 汾阳市 忻府区
    原平市 城区 泽州县 高平市 朔城区 怀仁市 云冈区 平城区
    """
)
BUREAUX = words(
    """
    行政审批服务管理局 市场监督管理局 自然资源局 住房和城乡建设局 人力资源和社会保障局 医疗保障局 教育局
    卫生健康局 交通运输局 农业农村局 生态环境局 民政局 司法局 信访局 财政局 税务局 公安分局 应急管理局
    水务局 文化和旅游局 城市管理局 退役军人事务局
    """
)
STREETS = words(
    """
    龙城街道 坞城街道 黄陵街道 北营街道 刘家堡乡 西温庄乡 北格镇 府东街道 南官街道 东城街道
    """
)
PEOPLE = words(
    """
    王建国 李晓梅 张志强 刘红 陈伟 赵丽 杨波 郭峰 武志刚 郝敏 贾晓东 梁艳 韩卫东 田霞 冯军
    """
)
POSTS = words(
    """
    局长 副局长 党组书记 科长 副科长 主任 副主任 站长 所长 大队长
    """
)
ZH_OBJECTS = words(
    """
    企业开办 不动产登记 施工许可 用水报装 用电报装 燃气报装 社保登记 医保备案 食品经营许可 低保审批
    公积金提取 户籍迁移 残疾人补贴 高龄津贴 二手房交易 项目立项 排污许可 道路挖掘许可 个体工商户登记
    农机购置补贴 退役军人优待 临时救助 学籍转接 中小企业贷款贴息
    """
)
ZH_FAULTS = [
    "办理环节多",
    "审批时限长",
    "申请材料繁琐",
    "需重复提交材料",
    "预约难",
    "排队时间长",
    "收费标准不透明",
    "办理标准不统一",
    "办事指南更新不及时",
    "线上线下要求不一致",
    "群众需多次往返",
    "一次性告知不到位",
    "超期办理问题突出",
    "回访流于形式",
    "窗口人员业务不熟",
    "部门间推诿扯皮",
    "系统数据不共享",
    "兑现进度慢",
]
ZH_DETAILS = [
    "{year}年以来共受理相关投诉{n}件，其中{m}件超过承诺时限",
    "平均办理时间{x}个工作日，比全省平均多{y}个工作日",
    "{month}月群众满意度调查中满意率仅为{pct}%",
    "问题集中在{street}等{y}个街道（乡镇）",
    "群众通过12345热线反映{n}次",
    "第{y}督导组{month}月暗访时发现",
    "暗访发现{y}个窗口存在此类问题",
    "涉及企业{n}家、群众{m}人次",
    "{month}月抽查{n}份卷宗，有{m}份材料不全",
    "今年{month}月以来办件量{n}件，群众评价差评{m}件",
]
ZH_VERBS = words(
    """
    推行 建立 完善 优化 开通 实施 推广 落实 健全 试行
    """
)
ZH_METHODS = [
    "“一窗受理、集成服务”模式",
    "线上预约和“不见面”审批",
    "容缺受理机制",
    "告知承诺制",
    "并联审批流程",
    "帮办代办服务",
    "首问负责和限时办结制度",
    "周末和午间延时服务",
    "“好差评”实时反馈机制",
    "跨部门数据共享",
    "清单化销号管理",
    "“免申即享”办理方式",
]
ZH_METRICS = [
    "办理时限由{x}个工作日压缩至{y}个工作日",
    "申请材料由{x}项减少至{y}项",
    "跑动次数由{y}次减少为0次",
    "覆盖{street}等{n}个村（社区）",
    "惠及企业{n}家",
    "办结率提高到{pct}%",
    "对{n}名窗口人员开展业务培训",
    "检查次数减少{pct}%",
    "在{street}设立便民服务点{y}个",
    "每月{y}日由{person}{post}调度一次",
]
ZH_MEETINGS = words(
    """
    专题会议 民主生活会 组织生活会 整改推进会 调度会 群众座谈会 企业家座谈会 警示教育会
    """
)
ZH_SLOGANS = [
    "提高政治站位，强化责任担当，确保各项工作落到实处",
    "以钉钉子精神抓好整改落实",
    "坚持问题导向，压实主体责任",
    "切实增强做好工作的责任感和紧迫感",
    "坚持高标准、严要求，推动整改工作走深走实",
    "进一步统一思想、凝聚共识，以实际行动推动大讨论活动取得实效",
]
# English.
EN_UNITS = [
    "the {city} {district} Administrative Approval Bureau",
    "the {district} Market Regulation Bureau",
    "the {district} Housing and Construction Bureau",
    "the {city} Medical Insurance Bureau",
    "the {district} Human Resources and Social Security Bureau",
    "the {street} Sub-district Office",
    "the {district} Natural Resources Bureau",
    "the {city} Transport Bureau",
    "the {district} Civil Affairs Bureau",
    "the {city} Housing Provident Fund Centre",
]
EN_OBJECTS = [
    "business registration",
    "property registration",
    "building permits",
    "water connections",
    "electricity connections",
    "social insurance enrolment",
    "food business licences",
    "minimum living allowance applications",
    "provident fund withdrawals",
    "household registration transfers",
    "disability allowances",
    "pollutant discharge permits",
    "road excavation permits",
    "small business loans",
    "school transfers",
]
EN_FAULTS = [
    "take too many steps",
    "take too long",
    "require too many documents",
    "make applicants submit the same documents again",
    "need appointments that are hard to get",
    "mean long queues",
    "carry unclear fees",
    "follow different rules at different windows",
    "are described by outdated guides",
    "differ between the online and the counter service",
    "make people come back several times",
    "run past the legal deadline",
    "get only formal follow-up calls",
    "are handled by staff who do not know the rules",
    "are passed back and forth between departments",
]
EN_DETAILS = [
    "since {year} it received {n} complaints, {m} of them past the promised deadline",
    "the average case took {x} working days, {y} more than the provincial average",
    "satisfaction in the {month_name} survey was only {pct}%",
    "residents raised it {n} times through the 12345 hotline",
    "supervision group {y} found it during an unannounced visit in {month_name}",
    "it affects {n} enterprises and {m} residents",
    "a check of {n} case files in {month_name} found {m} incomplete",
]
EN_VERBS = ["introduce", "set up", "improve", "extend", "adopt", "roll out", "enforce", "pilot"]
EN_METHODS = [
    "a single window for {object}",
    "online appointments for {object}",
    "approval of {object} without a visit",
    "acceptance of {object} with missing documents to follow",
    "a pledge-based procedure for {object}",
    "parallel approval of {object}",
    "an assisted service for {object}",
    "weekend opening for {object}",
    "instant ratings of the {object} service",
    "data sharing on {object} with the {bureau}",
]
EN_METRICS = [
    "cutting the time from {x} to {y} working days",
    "cutting the documents needed from {x} to {y}",
    "so that nobody has to come more than {y} times",
    "covering {n} villages and communities around {street}",
    "reaching {n} enterprises",
    "raising the on-time rate to {pct}%",
    "after training {n} window staff",
    "with {pct}% fewer inspections",
    "through {y} new service points in {street}",
    "with {person} reviewing progress every month",
]
EN_MEETINGS = [
    "review meeting",
    "democratic life meeting",
    "progress meeting",
    "residents' forum",
    "business forum",
]
EN_SLOGANS = [
    "raise political awareness, strengthen responsibility and make sure all work is implemented",
    "tackle rectification with the spirit of driving nails",
    "stay problem-oriented and tighten the main responsibility",
    "further unify thinking and turn the campaign into real results",
]
EN_BUREAUX = ["tax bureau", "market regulation bureau", "civil affairs bureau", "natural resources bureau"]
EN_PEOPLE = [
    "Wang Jianguo",
    "Li Xiaomei",
    "Zhang Zhiqiang",
    "Liu Hong",
    "Chen Wei",
    "Zhao Li",
    "Guo Feng",
    "Hao Min",
]
EN_POSTS = ["director", "deputy director", "party secretary", "section chief", "office head"]
EN_STREETS = ["Longcheng", "Wucheng", "Huangling", "Beiying", "Fudong", "Nanguan", "Xiwenzhuang", "Beige"]
EN_DISTRICTS = [
    "Xiaodian",
    "Yingze",
    "Luzhou",
    "Yuci",
    "Yanhu",
    "Pingyao",
    "Jiexiu",
    "Yaodu",
    "Lishi",
    "Xinfu",
]
EN_CITIES = ["Taiyuan", "Changzhi", "Datong", "Jinzhong", "Yuncheng", "Linfen", "Lüliang", "Xinzhou"]
MONTHS = words(
    """
    January February March April May June July August September October November December
    """
)


def _fill(template: str, rng: random.Random, english: bool = False) -> str:
    return template.format(
        year=rng.randint(2019, 2025),
        n=rng.randint(2, 300),
        m=rng.randint(1, 90),
        x=rng.randint(5, 30),
        y=rng.randint(1, 4),
        pct=rng.randint(40, 95),
        month=rng.randint(1, 12),
        month_name=rng.choice(MONTHS),
        street=rng.choice(EN_STREETS if english else STREETS),
        person=rng.choice(EN_PEOPLE if english else PEOPLE),
        post=rng.choice(EN_POSTS if english else POSTS),
        object=rng.choice(EN_OBJECTS),
        bureau=rng.choice(EN_BUREAUX),
    )


def chinese_text(rng: random.Random) -> str:
    """A problem, a measure or a key-link note, as a Chinese ledger would word it."""
    unit = rng.choice(CITIES) + rng.choice(DISTRICTS) + rng.choice(BUREAUX)
    kind = rng.random()
    if kind < 0.4:
        faults = "、".join(rng.sample(ZH_FAULTS, rng.randint(1, 3)))
        details = "；".join(_fill(detail, rng) for detail in rng.sample(ZH_DETAILS, rng.randint(1, 2)))
        text = f"{unit}{rng.choice(ZH_OBJECTS)}{faults}，{details}。"
    elif kind < 0.8:
        when = f"{rng.randint(2024, 2025)}年{rng.randint(1, 12)}月底前"
        clauses = [
            f"{rng.choice(ZH_VERBS)}{rng.choice(ZH_OBJECTS)}{rng.choice(ZH_METHODS)}，"
            f"{_fill(rng.choice(ZH_METRICS), rng)}"
            for _ in range(rng.randint(1, 3))
        ]
        text = f"{when}，{'；'.join(clauses)}。责任人：{rng.choice(PEOPLE)}（{rng.choice(POSTS)}）。"
    else:
        total = rng.randint(5, 40)
        text = (
            f"{rng.randint(2024, 2025)}年{rng.randint(1, 12)}月{rng.randint(1, 28)}日，{unit}召开"
            f"{rng.choice(ZH_MEETINGS)}，{rng.randint(5, 60)}人参加，查摆问题{total}个，"
            f"已整改{rng.randint(1, total)}个，"
            f"其中{rng.choice(ZH_OBJECTS)}{rng.choice(ZH_FAULTS)}问题已销号。"
        )
    if rng.random() < 0.3:
        text = (
            rng.choice(ZH_SLOGANS) + "。" + text
            if rng.random() < 0.5
            else text + rng.choice(ZH_SLOGANS) + "。"
        )
    return text


def english_text(rng: random.Random) -> str:
    """The same kinds of text in English (as the English pages of a ledger)."""
    city = rng.choice(EN_CITIES)
    district = rng.choice(EN_DISTRICTS) + " District"
    unit = rng.choice(EN_UNITS).format(city=city, district=district, street=rng.choice(EN_STREETS))
    kind = rng.random()
    if kind < 0.4:
        faults = " and ".join(rng.sample(EN_FAULTS, rng.randint(1, 2)))
        details = "; ".join(
            _fill(detail, rng, english=True) for detail in rng.sample(EN_DETAILS, rng.randint(1, 2))
        )
        text = f"At {unit}, {rng.choice(EN_OBJECTS)} {faults}: {details}."
    elif kind < 0.8:
        clauses = [
            f"{rng.choice(EN_VERBS)} {_fill(rng.choice(EN_METHODS), rng, True)}, "
            f"{_fill(rng.choice(EN_METRICS), rng, True)}"
            for _ in range(rng.randint(1, 3))
        ]
        when = f"By the end of {rng.choice(MONTHS)} {rng.randint(2024, 2025)}"
        owner = f"{rng.choice(EN_PEOPLE)}, {rng.choice(EN_POSTS)}"
        text = f"{when} {unit} will {'; '.join(clauses)}. Responsible: {owner}."
    else:
        total = rng.randint(5, 40)
        text = (
            f"On {rng.choice(MONTHS)} {rng.randint(1, 28)}, {rng.randint(2024, 2025)}, {unit} held a "
            f"{rng.choice(EN_MEETINGS)} with {rng.randint(5, 60)} participants, listed {total} problems and "
            "closed "
            f"{rng.randint(1, total)}, including that {rng.choice(EN_OBJECTS)} {rng.choice(EN_FAULTS)}."
        )
    if rng.random() < 0.3:
        text = f"{text} We will {rng.choice(EN_SLOGANS)}."
    return text[0].upper() + text[1:]


REPLACEMENTS_ZH = words(
    """
    进一步 切实 全面 相关 有关 部分 个别 持续 及时 严格 12 30 5 8 季度 年底
    """
)
REPLACEMENTS_EN = words(
    """
    further fully relevant some timely strictly 12 30 5 8 quarter year new all
    """
)


def mutate(text: str, edits: int, chinese: bool, rng: random.Random) -> str:
    """``text`` with ``edits`` random word substitutions, deletions and insertions."""
    pieces = rjieba.cut(text)
    pool = REPLACEMENTS_ZH if chinese else REPLACEMENTS_EN
    for _ in range(edits):
        words = [index for index, piece in enumerate(pieces) if piece.strip() and piece[0].isalnum()]
        if not words:
            break
        index = rng.choice(words)
        operation = rng.random()
        if operation < 0.5:
            pieces[index] = rng.choice(pool)
        elif operation < 0.75:
            del pieces[index]
            if not chinese and index < len(pieces) and pieces[index] == " ":
                del pieces[index]
        else:
            pieces[index:index] = [rng.choice(pool)] if chinese else [rng.choice(pool), " "]
    return "".join(pieces)


def shingle_strings(text: str) -> set[str]:
    """The exact shingle set, as strings: the brute-force answer does not use the engine's hashes."""
    words = tokens(text)
    if len(words) < 2:
        return {"\x00".join(words)} if words else set()
    return {f"{first}\x00{second}" for first, second in zip(words, words[1:], strict=False)}


def exact_jaccard(a: str, b: str) -> float:
    first, second = shingle_strings(a), shingle_strings(b)
    return len(first & second) / len(first | second) if first or second else 0.0


def generate_block(block: int, seed: int) -> tuple[list[str], list[tuple[int, int, float]]]:
    """One block of texts (ids are ``t{number}``), and its planted pairs ``(i, j, jaccard)``."""
    rng = random.Random(seed * 1_000_003 + block)
    texts = [chinese_text(rng) if index % 2 == 0 else english_text(rng) for index in range(BLOCK)]
    planted = []
    targets = set(rng.sample(range(1, BLOCK), PLANTED_PER_BLOCK))
    for target in sorted(targets):
        source = rng.randrange(target)
        while source in targets:  # text 0 is never a target, so this ends
            source = rng.randrange(target)
        chinese = source % 2 == 0
        texts[target] = mutate(texts[source], rng.choice([0, 1, 1, 2, 2, 3, 3, 4, 5, 6, 8]), chinese, rng)
        base = block * BLOCK
        planted.append((base + source, base + target, exact_jaccard(texts[source], texts[target])))
    return texts, planted


def brute_force_pairs(texts: list[str], ids: list[int], threshold: float) -> set[tuple[int, int]]:
    """Every pair of ``texts`` with exact Jaccard >= threshold, by a chunked sparse product."""
    vocabulary: dict[str, int] = {}
    indptr, indices = [0], []
    for text in texts:
        for shingle in shingle_strings(text):
            indices.append(vocabulary.setdefault(shingle, len(vocabulary)))
        indptr.append(len(indices))
    matrix = sparse.csr_matrix(
        (np.ones(len(indices), dtype=np.int32), np.array(indices), np.array(indptr)),
        shape=(len(texts), len(vocabulary)),
    )
    sizes = np.diff(matrix.indptr)
    transposed = matrix.T.tocsc()
    found = set()
    for start in range(0, len(texts), 1000):
        shared = (matrix[start : start + 1000] @ transposed).toarray()
        union = sizes[start : start + 1000, None] + sizes[None, :] - shared
        with np.errstate(divide="ignore", invalid="ignore"):
            similar = np.argwhere((shared >= threshold * union) & (union > 0))
        for row, column in similar:
            if start + row < column:
                found.add((ids[start + row], ids[column]))
    return found


def score(found: set[tuple[int, int]], truth: set[tuple[int, int]]) -> tuple[float, float]:
    hits = len(found & truth)
    return hits / len(found) if found else 1.0, hits / len(truth) if truth else 1.0


def peak_mb(workers: int) -> tuple[float, float]:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    child = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return own, own + workers * child


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.partition("\n")[0])
    parser.add_argument("--small", action="store_true", help="20,000 texts, a 5,000-text sample")
    parser.add_argument("--texts", type=int, help="corpus size (a multiple of 1,000)")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--seed", type=int, default=7)
    arguments = parser.parse_args()
    total = arguments.texts or (20_000 if arguments.small else 1_000_000)
    blocks = total // BLOCK
    sample_blocks = sorted(random.Random(arguments.seed).sample(range(blocks), 5 if arguments.small else 20))
    workers = arguments.workers
    print(f"corpus_texts: {blocks * BLOCK}")
    print(f"workers: {workers}")

    with tempfile.TemporaryDirectory(prefix="dalun-near-dup-") as folder:
        corpus = Path(folder) / "corpus.txt"
        started = time.perf_counter()
        sample_texts: list[str] = []
        sample_ids: list[int] = []
        planted: list[tuple[int, int, float]] = []
        with open(corpus, "w", encoding="utf-8") as handle:
            for block in range(blocks):
                texts, block_planted = generate_block(block, arguments.seed)
                handle.writelines(text.replace("\n", " ") + "\n" for text in texts)
                if block in sample_blocks:
                    sample_texts.extend(texts)
                    sample_ids.extend(range(block * BLOCK, (block + 1) * BLOCK))
                    planted.extend(block_planted)
        print(f"generate_s: {time.perf_counter() - started:.1f}")
        progress(f"corpus written: {corpus.stat().st_size / 2**20:.0f} MB")

        index = NearDupIndex()
        started = time.perf_counter()
        stored = index.add_many(stream(corpus), workers=workers, batch=2000)
        index.store.merge()  # type: ignore[attr-defined]
        build_s = time.perf_counter() - started
        own_mb, peak = peak_mb(workers)
        print(f"indexed_texts: {stored}")
        print(f"index_1m_s: {build_s:.1f}")
        print(f"index_1m_peak_mb: {peak:.0f}")
        print(f"index_1m_main_process_peak_mb: {own_mb:.0f}")
        progress("indexed")

        query_and_add(index, sample_texts, arguments.seed)

        path = Path(folder) / "index.npz"
        started = time.perf_counter()
        index.save(path)
        print(f"save_1m_s: {time.perf_counter() - started:.1f}")
        print(f"index_file_mb: {path.stat().st_size / 2**20:.0f}")
        del index
        started = time.perf_counter()
        index = NearDupIndex.load(path)
        print(f"load_1m_s: {time.perf_counter() - started:.1f}")

    started = time.perf_counter()
    wanted = {f"t{number}" for number in sample_ids}
    scanned: set[tuple[int, int]] = set()
    scan_pairs = 0
    for id_a, id_b, _similarity in index.iter_pairs(threshold=0.8):
        scan_pairs += 1
        if id_a in wanted and id_b in wanted:
            scanned.add(_ordered(int(id_a[1:]), int(id_b[1:])))
    print(f"scan_1m_s: {time.perf_counter() - started:.1f}")
    print(f"scan_pairs_j08: {scan_pairs}")
    progress("scanned")

    started = time.perf_counter()
    truth = brute_force_pairs(sample_texts, sample_ids, 0.8)
    print(f"sample_texts: {len(sample_texts)}")
    print(f"brute_force_s: {time.perf_counter() - started:.1f}")
    print(f"true_pairs_j08: {len(truth)}")
    precision, recall = score(scanned, truth)
    print(f"precision_j08: {precision:.4f}")
    print(f"recall_j08: {recall:.4f}")
    queried: set[tuple[int, int]] = set()
    for number, text in zip(sample_ids, sample_texts, strict=True):
        for id, _similarity in index.query(text, threshold=0.8, exclude=f"t{number}"):
            if id in wanted:
                queried.add(_ordered(number, int(id[1:])))
    query_precision, query_recall = score(queried, truth)
    print(f"query_precision_j08: {query_precision:.4f}")
    print(f"query_recall_j08: {query_recall:.4f}")
    planted_high = {(a, b) for a, b, similarity in planted if similarity >= 0.8}
    print(f"planted_pairs: {len(planted)}")
    print(f"planted_pairs_j08: {len(planted_high)}")
    print(f"planted_recall_j08: {len(planted_high & scanned) / max(len(planted_high), 1):.4f}")
    del index
    baselines(sample_texts, sample_ids, truth, recall)
    detectors()


def _ordered(a: int, b: int) -> tuple[int, int]:
    return (a, b) if a < b else (b, a)


def stream(corpus: Path) -> Iterator[tuple[str, str]]:
    with open(corpus, encoding="utf-8") as handle:
        for number, line in enumerate(handle):
            yield f"t{number}", line.rstrip("\n")


def query_and_add(index: NearDupIndex, sample_texts: list[str], seed: int) -> None:
    rng = random.Random(seed + 1)
    fresh = []
    for number in range(1000):
        if number % 2:
            source = rng.randrange(len(sample_texts))
            fresh.append(mutate(sample_texts[source], rng.randint(0, 3), source % 2 == 0, rng))
        else:
            fresh.append(chinese_text(rng) if number % 4 == 0 else english_text(rng))
    index.query(fresh[0])  # warm-up
    times, hits = [], 0
    for text in fresh:
        started = time.perf_counter()
        hits += bool(index.query(text))
        times.append((time.perf_counter() - started) * 1000)
    print(f"query_ms: {statistics.fmean(times):.2f}")
    print(f"query_p99_ms: {np.percentile(times, 99):.2f}")
    print(f"query_texts_with_match: {hits}")
    started = time.perf_counter()
    for number, text in enumerate(fresh):
        index.add(f"new{number}", text)
    print(f"add_ms: {(time.perf_counter() - started) / len(fresh) * 1000:.2f}")


def baselines(texts: list[str], ids: list[int], truth: set[tuple[int, int]], recall: float) -> None:
    from datasketch import MinHash, MinHashLSH

    params = NearDupIndex().params
    started = time.perf_counter()
    for start in range(0, len(texts), 2000):
        sign(texts[start : start + 2000], params)
    numpy_rate = len(texts) / (time.perf_counter() - started)

    def shingles(text: str) -> list[bytes]:
        return [shingle.encode() for shingle in shingle_strings(text)] or [b""]

    started = time.perf_counter()
    MinHash.bulk([shingles(text) for text in texts], num_perm=params.num_perm)
    datasketch_rate = len(texts) / (time.perf_counter() - started)
    print(f"minhash_numpy_texts_per_s: {numpy_rate:.0f}")
    print(f"minhash_datasketch_texts_per_s: {datasketch_rate:.0f}")
    print(f"minhash_numpy_vs_datasketch_ratio: {numpy_rate / datasketch_rate:.2f}")
    # The hashing alone, from shingles already made (segmentation is shared by both and dominates above).
    sets = shingle_sets(texts, params)
    sets = sets.take(np.flatnonzero(sets.sizes() > 0))
    started = time.perf_counter()
    band_keys(sets, params)
    numpy_only = len(sets) / (time.perf_counter() - started)
    encoded = [shingles(text) for text in texts]
    started = time.perf_counter()
    MinHash.bulk(encoded, num_perm=params.num_perm)
    datasketch_only = len(encoded) / (time.perf_counter() - started)
    print(f"minhash_only_numpy_texts_per_s: {numpy_only:.0f}")
    print(f"minhash_only_datasketch_texts_per_s: {datasketch_only:.0f}")
    print(f"minhash_only_numpy_vs_datasketch_ratio: {numpy_only / datasketch_only:.1f}")

    hashes = MinHash.bulk([shingles(text) for text in texts], num_perm=128)
    lsh = MinHashLSH(threshold=0.8, num_perm=128)
    with lsh.insertion_session() as session:
        for number, minhash in zip(ids, hashes, strict=True):
            session.insert(number, minhash)
    candidates: set[tuple[int, int]] = set()
    for number, minhash in zip(ids, hashes, strict=True):
        candidates.update(_ordered(number, other) for other in lsh.query(minhash) if other != number)
    baseline_precision, baseline_recall = score(candidates, truth)
    print(f"datasketch_lsh_bands_rows: {lsh.b}x{lsh.r}")
    print(f"datasketch_precision_j08: {baseline_precision:.4f}")
    print(f"datasketch_recall_j08: {baseline_recall:.4f}")
    print(f"recall_vs_datasketch_ratio: {recall / max(baseline_recall, 1e-9):.3f}")


def detectors() -> None:
    """Precision and recall on the labelled sets; ``*_blind_*`` on the sets kept out of tuning."""
    for name, detect in (("blame", formalism.blame_shifting), ("slogan", formalism.slogan)):
        for subset, suffix in ((name, ""), (f"{name}_blind", "_blind")):
            with open(DATA / f"{subset}.tsv", encoding="utf-8") as handle:
                rows = list(csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE))
            print(f"{name}{suffix}_examples: {len(rows)}")
            for language in (None, "zh", "en"):
                chosen = [row for row in rows if language in (None, row["lang"])]
                labels = [row["label"] == "1" for row in chosen]
                verdicts = [detect(row["text"]).verdict for row in chosen]
                hits = sum(label and verdict for label, verdict in zip(labels, verdicts, strict=True))
                tail = f"_{language}" if language else ""
                print(f"{name}{suffix}_precision{tail}: {hits / max(sum(verdicts), 1):.3f}")
                print(f"{name}{suffix}_recall{tail}: {hits / max(sum(labels), 1):.3f}")


def progress(message: str) -> None:
    print(f"[near_dup] {message}", file=sys.stderr, flush=True)


if __name__ == "__main__":
    main()

"""Slogan and blame-shifting detectors: verdicts, the evidence an alert shows, and the labelled sets (no
database). The figures on the labelled sets are printed by ``bench/near_dup.py``; here they only guard
against a lexicon change that breaks what worked."""

import csv
from pathlib import Path

import pytest

from dalun.engines.formalism import blame_shifting, learn_stock_phrases, slogan

DATA = Path(__file__).parent / "data"


def labelled(name: str) -> list[dict[str, str]]:
    with open(DATA / f"{name}.tsv", encoding="utf-8") as handle:
        return list(csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE))


def test_a_slogan_is_flagged_with_its_stock_passages_and_missing_facts():
    text = "提高政治站位，强化责任担当，确保各项工作落到实处。"
    result = slogan(text)
    assert result.verdict and result.score >= 0.9
    assert result.facts == ()
    assert result.missing == ("number", "date", "place", "name")
    assert [item.text for item in result.stock] == ["提高政治站位，强化责任担当，确保各项工作落到实处"]


def test_substance_is_not_a_slogan_and_its_facts_are_shown():
    text = "2024年起将企业开办时间由5天压缩至1天。"
    result = slogan(text)
    assert not result.verdict
    assert {fact.kind for fact in result.facts} == {"date", "number"}
    assert "2024年" in [fact.text for fact in result.facts]


def test_stock_phrases_do_not_hide_facts_after_them():
    result = slogan("提高政治站位，6月底前完成小店区12个村的污水管网改造，总投资860万元。")
    assert not result.verdict
    kinds = {fact.kind for fact in result.facts}
    assert {"date", "number", "place"} <= kinds
    assert "小店区" in [fact.text for fact in result.facts]


def test_numerals_inside_political_formulas_are_not_facts():
    result = slogan("增强“四个意识”、坚定“四个自信”、做到“两个维护”，推动大讨论活动走深走实。")
    assert result.verdict
    assert result.facts == ()


def test_english_slogans_and_names_as_facts():
    assert slogan(
        "Raise political awareness, strengthen responsibility and make sure all work is implemented."
    ).verdict
    result = slogan("Responsible: Li Xiaomei, deputy director; deadline: 31 December 2024.")
    assert not result.verdict
    assert {"Li Xiaomei", "December"} <= {fact.text for fact in result.facts}


def test_evidence_offsets_point_into_the_text_as_written():
    text = "ＡＢＣ局２０２４年６月底前完成改造，提高政治站位。"
    result = slogan(text)
    for item in (*result.facts, *result.stock):
        assert text[item.start : item.end] == item.text
    assert "２０２４年" in [fact.text for fact in result.facts]


def test_slogan_threshold_and_extra_phrases_are_parameters():
    text = "抓好网格化服务管理，做到问题早发现早处置。"
    assert not slogan(text).verdict
    assert slogan(text, threshold=0.0).verdict
    learned = slogan(text, extra_phrases=["网格化服务管理", "早发现早处置"])
    assert learned.stock_share > slogan(text).stock_share
    assert learned.verdict


def test_learn_stock_phrases_keeps_phrases_many_units_repeat():
    stock = "坚持人民至上，扎实推进网格化服务管理"
    texts = [(f"unit{number}", f"{stock}，第{number}网格新增{number}名网格员。") for number in range(30)]
    texts += [(f"unit{number}", "龙城街道试行社区网格员代办养老认证。") for number in range(3)]
    phrases = learn_stock_phrases(texts, min_units=20)
    assert any("网格化" in phrase for phrase in phrases)
    assert not any("代办" in phrase for phrase in phrases)
    assert not any(character.isdigit() for phrase in phrases for character in phrase)


@pytest.mark.parametrize(
    "text",
    [
        "上级政策支持不够，资金到位慢。",
        "由于省级系统与市级平台数据不互通，群众办事仍需重复提交材料。",
        "Funding from higher authorities arrives late, so the project keeps slipping.",
        "Villagers have little awareness of the law and do not cooperate with the policy.",
    ],
)
def test_blame_shifting_is_flagged_with_the_outside_cause(text):
    result = blame_shifting(text)
    assert result.verdict and result.score == 1.0
    assert result.outward and not result.own
    for item in result.outward:
        assert text[item.start : item.end] == item.text
        assert item.kind in {"higher_level", "other_units", "public", "objective"}


@pytest.mark.parametrize(
    "text",
    [
        "我局审批环节多、时限长。",
        "窗口工作人员服务意识不强，存在“门难进、脸难看”现象。",
        "Our bureau's approval process has too many steps and takes five working days.",
        "小店区满足于完成上级下达的指标，与先进地区对标不够。",
        "小店区服务市场主体意识不强，涉企检查多、频次高。",
    ],
)
def test_own_responsibility_is_not_blame_shifting(text):
    assert not blame_shifting(text).verdict


def test_admitting_the_main_cause_outweighs_an_outside_one():
    result = blame_shifting("虽然省级资金到位较晚，但主要原因在于我局项目前期准备不充分。")
    assert not result.verdict
    assert result.score == pytest.approx(1 / 3, abs=1e-3)
    assert [item.kind for item in result.outward] == ["higher_level"]
    assert result.own[0].text.startswith("主要原因在于我")


def test_naming_a_higher_level_while_owning_the_fault_counts_inward():
    result = blame_shifting("对上级拨付资金使用监管不严，存在资金拨付滞后问题。")
    assert not result.verdict
    assert result.own


def test_blame_threshold_is_a_parameter():
    text = "虽然省级资金到位较晚，但主要原因在于我局项目前期准备不充分。"
    assert blame_shifting(text, threshold=0.3).verdict


@pytest.mark.parametrize("name", ["blame", "slogan"])
def test_labelled_sets_are_large_bilingual_and_balanced(name):
    rows = labelled(name)
    assert len(rows) >= 200
    for language in ("zh", "en"):
        for label in ("0", "1"):
            assert sum(row["lang"] == language and row["label"] == label for row in rows) >= 40
    assert len({row["text"] for row in rows}) == len(rows)


@pytest.mark.parametrize(("name", "detect"), [("blame", blame_shifting), ("slogan", slogan)])
def test_detectors_keep_their_accuracy_on_the_labelled_sets(name, detect):
    rows = labelled(name)
    labels = [row["label"] == "1" for row in rows]
    verdicts = [detect(row["text"]).verdict for row in rows]
    hits = sum(label and verdict for label, verdict in zip(labels, verdicts, strict=True))
    assert hits / sum(verdicts) >= 0.95  # precision
    assert hits / sum(labels) >= 0.9  # recall

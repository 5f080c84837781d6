"""Segmentation shared by search and duplicate detection, and the passages two texts share (no database)."""

import pytest

from dalun.engines.segment import Passage, normalise_with_origin, passages, tagged_tokens, token_spans, tokens
from dalun.engines.text import normalise


def test_tokens_fold_width_and_case_like_search():
    assert tokens("ＡＢＣ１２３审批") == tokens("abc123审批")
    assert tokens("The Bureau") == ["the", "bureau"]


def test_tokens_drop_punctuation_and_spaces():
    assert tokens("审批，时限。") == tokens("审批 时限") == ["审批", "时限"]
    assert tokens("，。！？  ") == []


def test_tokens_segment_chinese_into_words():
    words = tokens("我局将企业开办时间由5天压缩至1天")
    assert {"企业", "开办", "时间", "压缩"} <= set(words)
    assert "5" in words and "1" in words


def test_tokens_keep_numbers_and_hyphenated_words_whole():
    assert tokens("3.5天 e-mail 2024-05-01") == ["3.5", "天", "e-mail", "2024-05-01"]


def test_tagged_tokens_mark_places_and_numbers():
    tags = dict(tagged_tokens("太原市小店区2024年"))
    assert tags["太原市"] == "ns"
    assert tags["2024"] == "m"


def test_normalise_with_origin_matches_normalise_and_maps_back():
    text = "  ＡＢ  审批，\n时限 "
    folded, origin = normalise_with_origin(text)
    assert folded == normalise(text)
    assert [text[index] for index in origin[:2]] == ["Ａ", "Ｂ"]


def test_token_spans_point_into_the_text_as_written():
    text = "企业开办，Ｅｍａｉｌ  审批"
    for word, start, end in token_spans(text):
        assert normalise(text[start:end]) == word


def test_passages_find_moved_passages_with_offsets_as_written():
    a = (
        "针对企业开办审批环节多、时限长问题，我局将于２０２４年６月底前推行一窗通办。"
        "另外，加强干部作风建设，提高服务意识。"
    )
    b = (
        "加强干部作风建设，提高服务意识；"
        "针对企业开办审批环节多、时限长的问题，本局将于2024年6月底前推行一窗通办。"
    )
    found = passages(a, b)
    shared = [(a[p.a_start : p.a_end], b[p.b_start : p.b_end]) for p in found]
    assert ("针对企业开办审批环节多、时限长", "针对企业开办审批环节多、时限长") in shared
    assert ("加强干部作风建设，提高服务意识", "加强干部作风建设，提高服务意识") in shared
    # Full-width digits in a match half-width ones in b.
    assert any("２０２４" in left and "2024" in right for left, right in shared)
    assert [p.a_start for p in found] == sorted(p.a_start for p in found)


def test_passages_take_each_word_once_on_each_side():
    a = "推行一窗通办 推行一窗通办"
    b = "推行一窗通办"
    assert len(passages(a, b, min_words=2)) == 1


def test_passages_respect_min_words_and_return_nothing_for_unrelated_texts():
    a = "The bureau will cut approval time from five days to one day by June."
    b = "By June the bureau will cut approval time from five days to one."
    assert passages(a, b, min_words=4) == [Passage(a_start=0, a_end=55, b_start=8, b_end=63, words=11)]
    assert a[0:55] == "The bureau will cut approval time from five days to one"
    assert passages(a, b, min_words=12) == []
    assert passages(a, "Roads in Changzhi were repaired.") == []
    with pytest.raises(ValueError):
        passages(a, b, min_words=0)

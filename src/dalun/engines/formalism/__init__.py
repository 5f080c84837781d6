"""Formalism detectors for ledger texts: slogans instead of substance, and blame-shifting.

Both are pure functions of one text that return a score, a verdict and the evidence behind it, with
character offsets into the text as written, so that an alert can highlight why it fired:

- :func:`slogan`: a text made mostly of stock phrases ("提高政治站位，强化责任担当，确保各项工作落到实处")
  and holding no unit-specific fact (number, date, place, name). The score is the *stock share* (how
  much of the text's wording is stock phrases and campaign boilerplate, function words left out), halved
  for each fact found; the evidence is the stock passages, the facts found and the kinds of fact missing.
  Phrases that recur across many units of a campaign (:func:`learn_stock_phrases`) can be added to the
  built-in lexicon.
- :func:`blame_shifting`: a problem explained by higher levels, other units, the public or "objective
  conditions" ("上级政策支持不够，资金到位慢") rather than by the unit itself ("我局审批环节多、时限长").
  Each clause is attributed outward or inward by cue patterns; a clause in which the unit admits its own
  part ("对上级拨付资金使用监管不严") counts inward even if it names a higher level, and "the main reason is
  our own ..." counts double. The score is the outward share of the attributed clauses.

They are heuristics, in Chinese and English, measured on the labelled sets in ``tests/engines/data``
(``bench/near_dup.py`` prints their precision and recall); thresholds are parameters.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

import rjieba

from dalun.engines.formalism.lexicon import (
    BLAME_CUES,
    FUNCTION_WORDS,
    OWN_CUES,
    STOCK_PHRASES,
    STOCK_WORDS,
    STRONG_OWN_CUES,
)
from dalun.engines.segment import normalise_with_origin, token_spans, tokens

SLOGAN_THRESHOLD = 0.4
FACT_DISCOUNT = 0.5
BLAME_THRESHOLD = 0.6
FACT_KINDS = ("number", "date", "place", "name")


@dataclass(frozen=True)
class Evidence:
    """Why a detector decided: ``text[start:end]`` of the text as written is a ``kind`` of thing.

    Kinds: ``stock`` (a run of stock phrases); facts ``number``, ``date``, ``place``, ``name``; causes
    ``higher_level``, ``other_units``, ``public``, ``objective`` (outward) and ``own`` (inward).
    """

    kind: str
    text: str
    start: int
    end: int


@dataclass(frozen=True)
class SloganResult:
    score: float
    verdict: bool
    stock_share: float
    stock: tuple[Evidence, ...]
    facts: tuple[Evidence, ...]
    missing: tuple[str, ...]


@dataclass(frozen=True)
class BlameResult:
    score: float
    verdict: bool
    outward: tuple[Evidence, ...]
    own: tuple[Evidence, ...]


# Slogans.


def slogan(
    text: str,
    *,
    threshold: float = SLOGAN_THRESHOLD,
    fact_discount: float = FACT_DISCOUNT,
    extra_phrases: Iterable[str] = (),
) -> SloganResult:
    """Is ``text`` a slogan? ``score = stock share x fact_discount ** facts``; a slogan if ``>= threshold``.

    With the defaults (0.5 and 0.5) a text is a slogan when at least half its wording is stock and it
    states no fact, or when it is entirely stock and states one. ``extra_phrases`` adds phrases (for
    example from :func:`learn_stock_phrases`) to the built-in lexicon.
    """
    spans = token_spans(text)
    words = [word for word, _start, _end in spans]
    stock = _stock_mask(words, _phrase_index(tuple(extra_phrases)))
    stock_chars = content_chars = 0
    for word, is_stock in zip(words, stock, strict=True):
        if is_stock:
            stock_chars += len(word)
        elif word not in FUNCTION_WORDS:
            content_chars += len(word)
    share = stock_chars / (stock_chars + content_chars) if stock_chars + content_chars else 0.0
    facts = _facts(text, spans, stock)
    score = share * fact_discount ** len(facts)
    found = {fact.kind for fact in facts}
    return SloganResult(
        score=round(score, 4),
        verdict=score >= threshold,
        stock_share=round(share, 4),
        stock=tuple(_runs(text, spans, stock)),
        facts=tuple(facts),
        missing=tuple(kind for kind in FACT_KINDS if kind not in found),
    )


@lru_cache(maxsize=8)
def _phrase_index(extra: tuple[str, ...]) -> dict[str, list[tuple[str, ...]]]:
    """Stock phrases as word sequences, by first word, longest first."""
    index: dict[str, list[tuple[str, ...]]] = defaultdict(list)
    for phrase in (*STOCK_PHRASES, *extra):
        words = tuple(tokens(phrase))
        if words:
            index[words[0]].append(words)
    for phrases in index.values():
        phrases.sort(key=len, reverse=True)
    return dict(index)


def _stock_mask(words: Sequence[str], index: dict[str, list[tuple[str, ...]]]) -> list[bool]:
    mask = [word in STOCK_WORDS for word in words]
    for position, word in enumerate(words):
        for phrase in index.get(word, ()):
            if tuple(words[position : position + len(phrase)]) == phrase:
                mask[position : position + len(phrase)] = [True] * len(phrase)
                break
    return mask


def _runs(text: str, spans: Sequence[tuple[str, int, int]], mask: Sequence[bool]) -> list[Evidence]:
    """Consecutive stock words as passages (joined across punctuation and function words)."""
    runs: list[Evidence] = []
    start = end = -1
    for (_word, word_start, word_end), is_stock in zip(spans, mask, strict=True):
        if is_stock:
            start = word_start if start < 0 else start
            end = word_end
        elif start >= 0 and _word not in FUNCTION_WORDS:
            runs.append(Evidence("stock", text[start:end], start, end))
            start = -1
    if start >= 0:
        runs.append(Evidence("stock", text[start:end], start, end))
    return runs


_FACT_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (kind, re.compile(pattern))
    for kind, pattern in (
        ("date", r"(19|20)\d\d\s*年|\d{1,2}\s*月(底|初|中旬|上旬|下旬|份)?|\d{1,2}\s*日"),
        ("date", r"[一二三四]季度|(每|本)?(周|星期)[一二三四五六日天]|第[一二三四]季度"),
        ("date", r"\b(19|20)\d\d\b"),
        ("date", r"\b(first|second|third|fourth) quarter\b"),
        ("number", r"\d+(\.\d+)?\s*(%|万|亿)?"),
        (
            "number",
            r"(?<![一二两三四五六七八九十])[一二两三四五六七八九十百千]+(个工作日|个月|小时|万元|亿元|元|项|件|名|人|家|户|所|处|天|次|亩|公里|部|块|条|批)",
        ),
        (
            "number",
            r"\b(two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|hundred|thousand|million)\b"
            r"(?! (consciousnesses|confidences|upholds|in-places|represents))",
        ),
        (
            "place",
            r"[\u4e00-\u9fff]{2,5}?(省|市|县|区|镇|乡|村|街道|社区|大街|路|街|河|片区|园区|开发区|小区)(?=[^\u4e00-\u9fff]|[\u4e00-\u9fff])",
        ),
        (
            "name",
            r"(责任人|负责人|联系人|局长|主任|书记|科长|组长|区长|县长|镇长|同志)[:：]?\s*[\u4e00-\u9fff]{2,3}",
        ),
    )
)
_MONTH_OR_DAY = re.compile(
    r"\b(january|february|march|april|may|june|july|august|september|october|november|december"
    r"|monday|tuesday|wednesday|thursday|friday|saturday|sunday)\b"
)
_NOT_PLACE = re.compile(
    r"^(全|各|本|我|该|此|所在|辖|城|乡|农|基层|城乡|社会|行政|市场|小区|社区|街道|地区|园区|片区|开发|道路|一|二|两|三)"
)
_PLACE_SUFFIX = re.compile(r"(省|市|县|区|镇|乡|村|街道|社区|大街|路|街|河|片区|园区|开发区|小区)$")
_CAPITALISED = re.compile(r"\b[A-Z][a-z]+(?:[ -][A-Z][a-z]+)*")
_SENTENCE_START = re.compile(r"(^|[.!?:;]\s*|[。！？：；])$")
_NOT_NAME = frozenset(
    [
        "party",
        "committee",
        "central",
        "communist",
        "chinese",
        "china",
        "i",
        "state",
        "council",
        "congress",
        "people",
        "xi",
        "the",
        "we",
        "our",
    ]
)


def _facts(text: str, spans: Sequence[tuple[str, int, int]], stock: Sequence[bool]) -> list[Evidence]:
    """Numbers, dates, places and names in ``text`` (outside stock phrases, which quote "四个意识")."""
    folded, origin = normalise_with_origin(text)
    stock_chars: set[int] = set()
    for (_word, start, end), is_stock in zip(spans, stock, strict=True):
        if is_stock:
            stock_chars.update(range(start, end))
    facts: list[Evidence] = []
    taken: set[int] = set()

    def add(kind: str, start: int, end: int) -> None:
        if start in stock_chars or any(index in taken for index in range(start, end)):
            return
        taken.update(range(start, end))
        facts.append(Evidence(kind, text[start:end], start, end))

    for kind, pattern in _FACT_PATTERNS:
        for match in pattern.finditer(folded):
            if match.end() <= match.start():
                continue
            if kind == "place":
                place = _place(folded, match)
                if place is None:
                    continue
                match_start, match_end = place
            else:
                match_start, match_end = match.span()
            if kind == "number" and folded[match_start:match_end].strip() == "12345":
                continue  # the province-wide hotline number is not a fact about the unit
            add(kind, origin[match_start], origin[match_end - 1] + 1)
    for match in _CAPITALISED.finditer(text):
        words = match.group().casefold().split()
        if len(words) == 1 and _SENTENCE_START.search(text[: match.start()]):
            continue  # a capital opening a sentence says nothing (a name may follow it: "By September")
        if words[0] in _NOT_NAME:
            continue
        kind = "date" if _MONTH_OR_DAY.search(match.group().casefold()) else "name"
        add(kind, match.start(), match.end())
    facts.sort(key=lambda fact: fact.start)
    return facts


def _place(folded: str, match: re.Match[str]) -> tuple[int, int] | None:
    """The place name ending ``match`` (a token ending in a place suffix), or None if it is generic."""
    for word, start, end in _tokenize_around(folded, match.start(), match.end()):
        if _PLACE_SUFFIX.search(word) and len(word) >= 3 and not _NOT_PLACE.match(word):
            return start, end
    return None


def _tokenize_around(folded: str, start: int, end: int) -> list[tuple[str, int, int]]:
    window_start = max(0, start - 4)
    return [
        (word, window_start + word_start, window_start + word_end)
        for word, word_start, word_end in _tokenize(folded[window_start : end + 1])
        if window_start + word_end > start and window_start + word_start < end
    ]


def _tokenize(text: str) -> list[tuple[str, int, int]]:
    return list(rjieba.tokenize(text))


def learn_stock_phrases(
    unit_texts: Iterable[tuple[str, str]],
    *,
    min_units: int = 20,
    min_share: float = 0.05,
    sizes: Sequence[int] = (3, 4),
) -> list[str]:
    """Phrases of ``sizes`` words that recur in the texts of many units: at least ``min_units`` units and
    at least ``min_share`` of all units. ``unit_texts`` is ``(unit key, text)``; phrases containing a
    digit are left out (they are facts, however often repeated). Most widespread first."""
    units_of: dict[tuple[str, ...], set[str]] = defaultdict(set)
    all_units: set[str] = set()
    for unit, text in unit_texts:
        all_units.add(unit)
        words = tokens(text)
        for size in sizes:
            for start in range(len(words) - size + 1):
                gram = tuple(words[start : start + size])
                if not any(character.isdigit() for word in gram for character in word):
                    units_of[gram].add(unit)
    needed = max(min_units, min_share * len(all_units))
    counts = Counter({gram: len(units) for gram, units in units_of.items() if len(units) >= needed})
    return [_join(gram) for gram, _count in counts.most_common()]


def _join(words: Sequence[str]) -> str:
    joined = ""
    for word in words:
        if joined and joined[-1].isascii() and joined[-1].isalnum() and word[0].isascii():
            joined += " "
        joined += word
    return joined


# Blame-shifting.

_CLAUSE = re.compile(r"[，。；;！？!?：:]|,\s|\.\s|\.$|\bbut\b|但|而")


def blame_shifting(text: str, *, threshold: float = BLAME_THRESHOLD) -> BlameResult:
    """Does ``text`` explain a problem by others rather than by the unit? See the module docstring.

    ``score`` is the outward weight over all attributed weight (0 when no clause is attributed); a text
    is blame-shifting when it has an outward clause and ``score >= threshold``.
    """
    folded, origin = normalise_with_origin(text)
    outward: list[Evidence] = []
    own: list[Evidence] = []
    outward_weight = own_weight = 0.0
    start = 0
    for boundary in [*_CLAUSE.finditer(folded), None]:
        end = boundary.start() if boundary is not None else len(folded)
        clause = folded[start:end]
        offset = start
        start = boundary.end() if boundary is not None else len(folded)
        if not clause.strip():
            continue
        strong = [match for pattern in STRONG_OWN_CUES for match in pattern.finditer(clause)]
        inward = strong or [match for pattern in OWN_CUES for match in pattern.finditer(clause)]
        if inward:
            own_weight += 2.0 if strong else 1.0
            own.extend(_evidence(text, origin, "own", offset, match) for match in inward[:2])
            continue
        cues = [(kind, match) for kind, pattern in BLAME_CUES for match in pattern.finditer(clause)]
        if cues:
            outward_weight += 1.0
            outward.extend(_evidence(text, origin, kind, offset, match) for kind, match in cues[:3])
    attributed = outward_weight + own_weight
    score = outward_weight / attributed if attributed else 0.0
    return BlameResult(
        score=round(score, 4),
        verdict=bool(outward) and score >= threshold,
        outward=tuple(sorted(set(outward), key=lambda item: item.start)),
        own=tuple(sorted(set(own), key=lambda item: item.start)),
    )


def _evidence(text: str, origin: list[int], kind: str, offset: int, match: re.Match[str]) -> Evidence:
    start, end = origin[offset + match.start()], origin[offset + match.end() - 1] + 1
    return Evidence(kind, text[start:end], start, end)

"""Word segmentation shared by search, duplicate detection and the formalism detectors.

Chinese is segmented with rjieba (the Rust port of jieba: same dictionary and HMM, same output, about 26
times faster); English and numbers come out of the same call as words (``3.5``, ``e-mail``, ``2024-05-01``
stay whole). Every function first folds the text with :func:`dalun.engines.text.normalise` (full-width to
half-width, case-folded, white space collapsed), so "ＡＢＣ１２" and "abc12" give the same tokens, and then
drops tokens with no letter or digit (punctuation and spaces), so "审批，时限" and "审批 时限" agree.

:func:`passages` finds the passages two texts share (for showing copied work side by side) as character
ranges of the texts as written, not of their normalised form, so the caller can highlight them directly.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

import rjieba

from dalun.engines.text import normalise

_HAS_WORD = re.compile(r"\w")
_SPACE = re.compile(r"\s")


def _keep(token: str) -> bool:
    return token.isalnum() or _HAS_WORD.search(token) is not None


def tokens(text: str) -> list[str]:
    """The words of ``text``, normalised, in order, without punctuation or spaces."""
    # _keep inlined: this runs for every text the duplicate index sees.
    return [token for token in rjieba.cut(normalise(text)) if token.isalnum() or _HAS_WORD.search(token)]


def tagged_tokens(text: str) -> list[tuple[str, str]]:
    """``(word, part-of-speech flag)`` of :func:`tokens`, with jieba's flags (``ns`` place, ``nr`` person,
    ``nt`` organisation, ``m`` numeral, ``t`` time, ``eng`` a Latin-script word, ...)."""
    return [(token, flag) for token, flag in rjieba.tag(normalise(text)) if _keep(token)]


def normalise_with_origin(text: str) -> tuple[str, list[int]]:
    """:func:`normalise` character by character, remembering for each output character its input index.

    Equal to ``normalise(text)`` except where NFKC composes across characters (combining accents, Hangul
    jamo), which do not occur in ledger text; only the highlight offsets depend on it.
    """
    out: list[str] = []
    origin: list[int] = []
    pending_space = -1
    for index, char in enumerate(text):
        folded = unicodedata.normalize("NFKC", char).casefold()
        for piece in folded:
            if _SPACE.match(piece):
                if out and pending_space < 0:
                    pending_space = index
                continue
            if pending_space >= 0:
                out.append(" ")
                origin.append(pending_space)
                pending_space = -1
            out.append(piece)
            origin.append(index)
    return "".join(out), origin


def token_spans(text: str) -> list[tuple[str, int, int]]:
    """``(word, start, end)`` for each of :func:`tokens`, with offsets into ``text`` as written."""
    folded, origin = normalise_with_origin(text)
    spans = []
    for token, start, end in rjieba.tokenize(folded):
        if _keep(token):
            spans.append((token, origin[start], origin[end - 1] + 1))
    return spans


@dataclass(frozen=True)
class Passage:
    """A run of words that two texts share: ``a[a_start:a_end]`` matches ``b[b_start:b_end]``.

    Offsets are into the texts as written (end exclusive); ``words`` is the run's length in words. The two
    sides may differ in punctuation, spacing and width, which normalisation ignores.
    """

    a_start: int
    a_end: int
    b_start: int
    b_end: int
    words: int


def passages(a: str, b: str, *, min_words: int = 4) -> list[Passage]:
    """The passages that ``a`` and ``b`` share, each at least ``min_words`` words long, ordered along ``a``.

    Greedy string tiling (Wise 1993, the algorithm of plagiarism detectors such as JPlag): repeatedly take
    the longest runs of words common to both texts and not yet covered, until none of ``min_words`` is left.
    Unlike a diff it finds copied passages that were moved or reordered, and each word belongs to at
    most one passage on each side. ``min_words=4`` (about eight Chinese characters) skips chance runs
    such as "的 工作 要 求"; the slogan detector, not this function, decides whether a shared run is a stock
    phrase.
    """
    if min_words < 1:
        raise ValueError("min_words must be at least 1")
    spans_a, spans_b = token_spans(a), token_spans(b)
    words_a = [span[0] for span in spans_a]
    words_b = [span[0] for span in spans_b]
    tiles = _greedy_tiles(words_a, words_b, min_words)
    found = [
        Passage(
            a_start=spans_a[i][1],
            a_end=spans_a[i + length - 1][2],
            b_start=spans_b[j][1],
            b_end=spans_b[j + length - 1][2],
            words=length,
        )
        for i, j, length in tiles
    ]
    return sorted(found, key=lambda passage: passage.a_start)


def _greedy_tiles(a: Sequence[str], b: Sequence[str], min_length: int) -> list[tuple[int, int, int]]:
    """Greedy string tiling of two word sequences: ``(start in a, start in b, length)`` of each tile."""
    positions: dict[str, list[int]] = {}
    for j, word in enumerate(b):
        positions.setdefault(word, []).append(j)
    used_a = [False] * len(a)
    used_b = [False] * len(b)
    tiles: list[tuple[int, int, int]] = []
    while True:
        best = min_length  # a run must reach this length to count
        matches: list[tuple[int, int, int]] = []
        for i, word in enumerate(a):
            if used_a[i]:
                continue
            for j in positions.get(word, ()):
                if used_b[j]:
                    continue
                # Only maximal runs: one that extends to the left is found from its own start.
                if i and j and not used_a[i - 1] and not used_b[j - 1] and a[i - 1] == b[j - 1]:
                    continue
                length = 1
                while (
                    i + length < len(a)
                    and j + length < len(b)
                    and not used_a[i + length]
                    and not used_b[j + length]
                    and a[i + length] == b[j + length]
                ):
                    length += 1
                if length > best:
                    best, matches = length, [(i, j, length)]
                elif length == best:
                    matches.append((i, j, length))
        if not matches:
            return tiles
        for i, j, length in matches:
            if any(used_a[i : i + length]) or any(used_b[j : j + length]):
                continue  # overlaps a tile of the same length taken just before
            used_a[i : i + length] = [True] * length
            used_b[j : j + length] = [True] * length
            tiles.append((i, j, length))

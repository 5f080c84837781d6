"""Text similarity that works for Chinese without a segmenter: character bigrams (and English words),
weighted by TF-IDF, compared by cosine. Used to propose a responsible unit for a suggestion and to show a
moderator the existing suggestions nearest a new one."""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from dalun.engines.text import normalise

_WORD = re.compile(r"[a-z0-9]+")
_CJK = re.compile(r"[\u3400-\u9fff]+")


def features(text: str) -> Counter[str]:
    """Character bigrams of every run of Chinese characters, and English words/numbers."""
    folded = normalise(text)
    grams: Counter[str] = Counter(_WORD.findall(folded))
    for run in _CJK.findall(folded):
        if len(run) == 1:
            grams[run] += 1
        grams.update(run[i : i + 2] for i in range(len(run) - 1))
    return grams


@dataclass(frozen=True)
class Match:
    key: object
    score: float


class Index:
    """A small TF-IDF index over labelled documents (a label may have many documents)."""

    def __init__(self, documents: Iterable[tuple[object, str]]):
        labelled = [(key, features(text)) for key, text in documents]
        document_frequency: Counter[str] = Counter()
        for _key, grams in labelled:
            document_frequency.update(grams.keys())
        total = max(len(labelled), 1)
        self._idf = {
            gram: math.log((1 + total) / (1 + count)) + 1 for gram, count in document_frequency.items()
        }
        merged: dict[object, Counter[str]] = {}
        for key, grams in labelled:
            merged.setdefault(key, Counter()).update(grams)
        self._vectors = {key: self._weigh(grams) for key, grams in merged.items()}

    def _weigh(self, grams: Mapping[str, int]) -> dict[str, float]:
        vector = {gram: (1 + math.log(count)) * self._idf.get(gram, 0.0) for gram, count in grams.items()}
        norm = math.sqrt(sum(value * value for value in vector.values())) or 1.0
        return {gram: value / norm for gram, value in vector.items() if value}

    def nearest(self, text: str, *, limit: int = 5, minimum: float = 0.05) -> list[Match]:
        query = self._weigh(features(text))
        scored = []
        for key, vector in self._vectors.items():
            score = sum(weight * vector.get(gram, 0.0) for gram, weight in query.items())
            if score >= minimum:
                scored.append(Match(key, round(score, 3)))
        scored.sort(key=lambda match: (-match.score, str(match.key)))
        return scored[:limit]

"""Near-duplicate texts: MinHash over word shingles, LSH banding, and an exact Jaccard check of candidates.

The formalism scan asks two questions of it: "which stored texts is this new one a near-copy of?"
(:meth:`NearDupIndex.query`, milliseconds, called as each problem, measure or note is saved) and "which
pairs of all stored texts are near-copies?" (:meth:`NearDupIndex.pairs`, the periodic scan). Similarity is
the Jaccard index of the two texts' sets of word pairs, words as :func:`dalun.engines.segment.tokens`
gives them, so Chinese and English go through the normalisation and segmentation of search. Every
similarity returned is exact (computed from both shingle sets), never a MinHash estimate; LSH only
chooses which pairs to compute, and is tuned so that it misses about 0.2% of pairs at 0.8 (see
:class:`LshParams` for the choice of bands and rows).

Where the index lives is a :class:`Store`: :class:`MemoryStore` (NumPy arrays, saved to and loaded from
one file, so a scan starts from the last saved state) or :class:`RedisStore` (shared by several workers).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Protocol

import numpy as np
from numpy.typing import NDArray

from dalun.engines.near_dup.hashing import (
    LshParams,
    ShingleSets,
    band_keys,
    jaccard_against,
    jaccard_pairs,
    shingle_sets,
)
from dalun.engines.near_dup.memory import MemoryStore
from dalun.engines.near_dup.redis_store import RedisStore

__all__ = ["LshParams", "MemoryStore", "NearDupIndex", "RedisStore", "ShingleSets", "Store", "sign"]

DEFAULT_THRESHOLD = 0.8
_PAIR_CHUNK = 200_000


class Store(Protocol):
    """Where an index keeps its band buckets and shingle sets."""

    params: LshParams

    def __len__(self) -> int: ...

    def __contains__(self, id: object) -> bool: ...

    def put(self, ids: Sequence[str], keys: NDArray[np.uint64], sets: ShingleSets) -> None:
        """Store texts (replacing any stored under the same ids): ``keys`` is ``(len(ids), bands)``."""

    def remove(self, ids: Sequence[str]) -> int:
        """Forget texts; returns how many were stored."""

    def candidates(self, keys: NDArray[np.uint64]) -> tuple[list[str], ShingleSets]:
        """The ids (and shingle sets) of stored texts sharing at least one of one text's band keys."""


class Signed:
    """Texts turned into what the index stores: shingle sets and band keys (empty texts left out)."""

    def __init__(self, sets: ShingleSets, keys: NDArray[np.uint64], kept: NDArray[np.int64]) -> None:
        self.sets, self.keys, self.kept = sets, keys, kept


def sign(texts: Sequence[str], params: LshParams) -> Signed:
    """Shingle and sign ``texts``; ``kept`` lists the positions of those with at least one word."""
    sets = shingle_sets(texts, params)
    kept = np.flatnonzero(sets.sizes() > 0)
    if len(kept) < len(sets):
        sets = sets.take(kept)
    return Signed(sets, band_keys(sets, params), kept)


class NearDupIndex:
    """An incremental near-duplicate index over texts identified by string ids.

    Ids are the caller's (``"problem:123"``, ``"measure:45"``): a text added again under the same id
    replaces the old one. A text with no words (empty, or punctuation only) is not stored.
    """

    def __init__(self, store: Store | None = None, *, params: LshParams | None = None) -> None:
        if store is not None and params is not None and store.params != params:
            raise ValueError("params differ from the store's")
        self.store: Store = store if store is not None else MemoryStore(params)

    @property
    def params(self) -> LshParams:
        return self.store.params

    def __len__(self) -> int:
        return len(self.store)

    def __contains__(self, id: object) -> bool:
        return id in self.store

    def add(self, id: str, text: str) -> bool:
        """Store ``text`` under ``id``; False (and any old text under ``id`` removed) if it has no words."""
        return self.add_many([(id, text)]) == 1

    def add_many(self, items: Iterable[tuple[str, str]], *, batch: int = 2000, workers: int = 1) -> int:
        """Store many ``(id, text)`` pairs, read lazily in batches; returns how many had words.

        ``workers > 1`` shingles and signs the batches in that many processes (segmentation and hashing
        are CPU-bound), keeping at most two batches per worker in flight, so the texts are streamed,
        never all held. The store is written from this process only.
        """
        stored = 0
        if workers <= 1:
            for chunk in _chunks(items, batch):
                stored += self._put(
                    [id for id, _text in chunk], sign([text for _id, text in chunk], self.params)
                )
            return stored
        pending: list[tuple[list[str], Future[Signed]]] = []
        with ProcessPoolExecutor(max_workers=workers) as pool:
            for chunk in _chunks(items, batch):
                ids = [id for id, _text in chunk]
                pending.append((ids, pool.submit(sign, [text for _id, text in chunk], self.params)))
                if len(pending) >= 2 * workers:
                    ids, future = pending.pop(0)
                    stored += self._put(ids, future.result())
            for ids, future in pending:
                stored += self._put(ids, future.result())
        return stored

    def _put(self, ids: list[str], signed: Signed) -> int:
        kept = [ids[index] for index in signed.kept]
        if len(kept) < len(ids):
            empty = set(ids) - set(kept)
            self.store.remove([id for id in ids if id in empty])
        self.store.put(kept, signed.keys, signed.sets)
        return len(kept)

    def remove(self, id: str) -> bool:
        """Forget the text stored under ``id``; False if there was none."""
        return self.store.remove([id]) == 1

    def query(
        self, text: str, *, threshold: float = DEFAULT_THRESHOLD, exclude: str | None = None
    ) -> list[tuple[str, float]]:
        """``(id, Jaccard)`` of the stored texts at least ``threshold`` similar to ``text``, most similar
        first (ties by id). ``exclude`` leaves out one id, typically the text's own when re-checking it.

        Thresholds below 0.8 work, with lower recall: see :meth:`LshParams.candidate_probability`.
        """
        _check(threshold)
        signed = sign([text], self.params)
        if not len(signed.kept):
            return []
        ids, sets = self.store.candidates(signed.keys[0])
        similarity = jaccard_against(signed.sets.get(0), sets)
        found = [
            (id, float(value))
            for id, value in zip(ids, similarity, strict=True)
            if value >= threshold and id != exclude
        ]
        found.sort(key=lambda match: (-match[1], match[0]))
        return found

    def pairs(self, *, threshold: float = DEFAULT_THRESHOLD) -> list[tuple[str, str, float]]:
        """Every pair of stored texts at least ``threshold`` similar: ``(id_a, id_b, Jaccard)``, each pair
        once, most similar first. Needs a :class:`MemoryStore` (load the saved file on the worker)."""
        found = list(self.iter_pairs(threshold=threshold))
        found.sort(key=lambda pair: (-pair[2], pair[0], pair[1]))
        return found

    def iter_pairs(self, *, threshold: float = DEFAULT_THRESHOLD) -> Iterator[tuple[str, str, float]]:
        """:meth:`pairs` without sorting, as they are found (for very large scans)."""
        _check(threshold)
        store = self.store
        if not isinstance(store, MemoryStore):
            raise TypeError("pairs() needs a MemoryStore; a Redis index answers query() only")
        for a, b in store.candidate_pairs():
            for start in range(0, len(a), _PAIR_CHUNK):
                first, second = a[start : start + _PAIR_CHUNK], b[start : start + _PAIR_CHUNK]
                rows = np.unique(np.concatenate([first, second]))
                sets = store.sets(rows)
                similarity = jaccard_pairs(sets, np.searchsorted(rows, first), np.searchsorted(rows, second))
                for index in np.flatnonzero(similarity >= threshold):
                    id_a, id_b = store.id_of(int(first[index])), store.id_of(int(second[index]))
                    if id_b < id_a:
                        id_a, id_b = id_b, id_a
                    yield id_a, id_b, float(similarity[index])

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write a :class:`MemoryStore` index to one file (NumPy arrays; see :meth:`MemoryStore.save`)."""
        if not isinstance(self.store, MemoryStore):
            raise TypeError("only a MemoryStore is saved to a file; Redis persists itself")
        self.store.save(path)

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> NearDupIndex:
        """The index saved at ``path``, in memory, with the parameters it was built with."""
        return cls(MemoryStore.load(path))


def _check(threshold: float) -> None:
    if not 0.0 < threshold <= 1.0:
        raise ValueError("threshold must be in (0, 1]")


def _chunks(items: Iterable[tuple[str, str]], size: int) -> Iterator[list[tuple[str, str]]]:
    chunk: list[tuple[str, str]] = []
    for item in items:
        chunk.append(item)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk

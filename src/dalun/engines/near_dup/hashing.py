"""Shingles, MinHash signatures and LSH band keys, vectorised with NumPy over batches of texts.

A text's *shingles* are its runs of ``shingle`` consecutive words (:func:`dalun.engines.segment.tokens`),
each hashed to 32 bits; a text shorter than that has one shingle made of all its words. Every word is
hashed once (CRC-32 of its UTF-8, cached) and shingles are combined from the word hashes in NumPy by
vector multiply-shift hashing; 32 bits are plenty, since a chance collision between two different
shingles of a pair of 50-word texts has a probability of about 2500 / 2**32, i.e. 6e-7.

The MinHash of permutation ``p`` takes the shingle ``x`` minimising ``(a_p * x mod 2**64) >> 32`` for a
random odd 64-bit ``a_p``: Dietzfelbinger's multiply-shift hashing, universal for 32-bit keys. Since the
shift is monotone, the minimum of the full 64-bit products picks the same shingle (ties broken by the
low bits), so signing a batch is one NumPy multiplication and one ``minimum.reduceat`` over a
``(num_perm, shingles)`` array, against datasketch's SHA-1 per shingle plus a modular product per
permutation; the benchmark measures both (``minhash_numpy_vs_datasketch_ratio``).

Each band of ``rows`` signature values becomes one 64-bit key (again a vector multiply hash, seeded per
band), so all bands of all texts can live in one sorted array, or one Redis key space, without mixing up
bands: two texts are candidates when they share any key.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import NamedTuple

import numpy as np
from numpy.typing import NDArray

from dalun.engines.segment import tokens

U64 = np.uint64
_LOW32 = np.uint64(0xFFFFFFFF)
_SHIFT32 = np.uint64(32)
# Shingle values of at most this many shingles are hashed in one NumPy pass (about 60 MB at 120 hashes).
_CHUNK_SHINGLES = 1 << 16
_TOKEN_CACHE_LIMIT = 1 << 20
_token_cache: dict[str, int] = {}


@dataclass(frozen=True)
class LshParams:
    """How texts are shingled, signed and banded. An index and every worker sharing it must agree.

    ``bands`` x ``rows`` = 20 x 6 = 120 permutations. A pair of true Jaccard ``s`` becomes a candidate
    with probability ``1 - (1 - s**6)**20``: 0.9977 at 0.8, 0.985 at 0.75, 0.94 at 0.7, 0.62 at 0.6,
    0.27 at 0.5, 0.08 at 0.4 and 0.015 at 0.3. The curve's midpoint ``(1/20)**(1/6)`` is 0.61, well below
    0.8, so that a pair just above the threshold is almost never missed, and the candidates below it
    are removed by the exact Jaccard check that follows. Compared at the same cost: 16 x 8 (128) misses
    5.3% of pairs at 0.8, which is why datasketch's defaults recall about 0.90; 24 x 5 (120) misses
    0.007% but makes half of all pairs at 0.5 candidates, doubling the exact checks for no measurable
    gain in recall; 16 x 6 (96) is 20% cheaper to hash but misses 0.8% at 0.8.

    ``shingle=2`` words: ledger texts are short (15 to 60 words), and on short texts single words (bags
    of words) make any two texts that use the campaign's stock vocabulary look alike, while runs of three
    let one changed word remove three of some 30 shingles (one substitution in a 30-word text already
    gives 0.81). With pairs of words one substitution gives 0.87 and two give 0.76, which matches what a
    reader calls "the same text with a word changed".
    """

    bands: int = 20
    rows: int = 6
    shingle: int = 2
    seed: int = 20240601

    def __post_init__(self) -> None:
        if self.bands < 1 or self.rows < 1 or self.shingle < 1:
            raise ValueError("bands, rows and shingle must be positive")

    @property
    def num_perm(self) -> int:
        return self.bands * self.rows

    def candidate_probability(self, jaccard: float) -> float:
        """Probability that a pair of this Jaccard similarity shares a band (so is checked at all)."""
        return float(1.0 - (1.0 - jaccard**self.rows) ** self.bands)

    @cached_property
    def _coefficients(self) -> dict[str, NDArray[np.uint64]]:
        random = np.random.default_rng(self.seed)

        def draw(*shape: int) -> NDArray[np.uint64]:
            return random.integers(0, 2**64, size=shape, dtype=np.uint64, endpoint=False)

        return {
            "shingle": draw(self.shingle + 1) | U64(1),
            "a": draw(self.num_perm, 1) | U64(1),
            "band": draw(self.bands, self.rows) | U64(1),
            "band_offset": draw(self.bands),
        }


class ShingleSets(NamedTuple):
    """Shingle sets of several texts, compressed: set ``i`` is ``values[offsets[i]:offsets[i + 1]]``,
    sorted and without repeats. An empty set means the text has no words."""

    offsets: NDArray[np.int64]
    values: NDArray[np.uint32]

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def sizes(self) -> NDArray[np.int64]:
        return np.diff(self.offsets)

    def get(self, index: int) -> NDArray[np.uint32]:
        return self.values[self.offsets[index] : self.offsets[index + 1]]

    def take(self, indices: NDArray[np.int64]) -> ShingleSets:
        """The sets at ``indices``, in that order."""
        sizes = self.offsets[indices + 1] - self.offsets[indices]
        offsets = np.zeros(len(indices) + 1, dtype=np.int64)
        np.cumsum(sizes, out=offsets[1:])
        return ShingleSets(offsets, self.values[ranges(self.offsets[indices], sizes)])

    @staticmethod
    def concatenate(parts: Sequence[ShingleSets]) -> ShingleSets:
        sizes = np.concatenate([part.sizes() for part in parts]) if parts else np.zeros(0, np.int64)
        offsets = np.zeros(len(sizes) + 1, dtype=np.int64)
        np.cumsum(sizes, out=offsets[1:])
        values = np.concatenate([part.values for part in parts]) if parts else np.zeros(0, np.uint32)
        return ShingleSets(offsets, values)


def ranges(starts: NDArray[np.int64], lengths: NDArray[np.int64]) -> NDArray[np.int64]:
    """``concatenate([arange(s, s + n) for s, n in zip(starts, lengths)])`` without a Python loop."""
    total = int(lengths.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    ends = np.cumsum(lengths)
    return np.arange(total, dtype=np.int64) + np.repeat(starts - (ends - lengths), lengths)


def _token_hash(token: str) -> int:
    value = _token_cache.get(token)
    if value is None:
        if len(_token_cache) >= _TOKEN_CACHE_LIMIT:
            _token_cache.clear()
        value = _token_cache[token] = zlib.crc32(token.encode())
    return value


def shingle_sets(texts: Sequence[str], params: LshParams) -> ShingleSets:
    """The shingle set of each text (see the module docstring)."""
    hashes: list[int] = []
    counts: list[int] = []
    cache = _token_cache
    for text in texts:
        words = tokens(text)
        try:
            hashes.extend([cache[word] for word in words])
        except KeyError:
            hashes.extend([_token_hash(word) for word in words])
        counts.append(len(words))
    return shingle_sets_from_hashes(np.array(hashes, dtype=np.uint64), np.array(counts, np.int64), params)


def shingle_sets_from_hashes(
    hashes: NDArray[np.uint64], counts: NDArray[np.int64], params: LshParams
) -> ShingleSets:
    """Shingle sets from word hashes (all texts' words, concatenated) and each text's word count."""
    k = params.shingle
    multipliers = params._coefficients["shingle"]
    text_of = np.repeat(np.arange(len(counts), dtype=np.uint64), counts)
    starts = np.cumsum(counts) - counts
    last = len(hashes) - k + 1
    full = np.zeros(0, dtype=np.uint64)
    if last > 0:
        # Windows of k words lying inside one text.
        inside = text_of[:last] == text_of[k - 1 : k - 1 + last]
        first = np.flatnonzero(inside)
        full = np.full(len(first), multipliers[k], dtype=np.uint64)
        for offset in range(k):
            full += hashes[first + offset] * multipliers[offset]
        full = (text_of[first] << _SHIFT32) | (full >> _SHIFT32)
    # Texts of 1 to k-1 words: one shingle of all their words.
    short = np.flatnonzero((counts > 0) & (counts < k))
    partial = np.full(len(short), multipliers[k], dtype=np.uint64)
    for offset in range(k - 1):
        present = counts[short] > offset
        index = np.minimum(starts[short] + offset, max(len(hashes) - 1, 0))
        partial += np.where(present, hashes[index] * multipliers[offset], U64(0)) if len(hashes) else U64(0)
    partial = (short.astype(np.uint64) << _SHIFT32) | (partial >> _SHIFT32)
    keyed = np.concatenate([full, partial])
    keyed.sort()  # sort and drop repeats: np.unique hashes first, three times slower here
    keyed = keyed[np.r_[True, keyed[1:] != keyed[:-1]]] if len(keyed) else keyed
    owners = (keyed >> _SHIFT32).astype(np.int64)
    offsets = np.zeros(len(counts) + 1, dtype=np.int64)
    np.cumsum(np.bincount(owners, minlength=len(counts)), out=offsets[1:])
    return ShingleSets(offsets, (keyed & _LOW32).astype(np.uint32))


def band_keys(sets: ShingleSets, params: LshParams) -> NDArray[np.uint64]:
    """``(len(sets), bands)`` LSH keys of the MinHash signatures; every set must be non-empty."""
    sizes = sets.sizes()
    if len(sizes) and sizes.min() == 0:
        raise ValueError("band_keys needs non-empty shingle sets")
    coefficients = params._coefficients
    keys = np.empty((len(sets), params.bands), dtype=np.uint64)
    start = 0
    while start < len(sets):
        # As many texts as fit in one chunk (at least one).
        stop = int(np.searchsorted(sets.offsets, sets.offsets[start] + _CHUNK_SHINGLES, side="right")) - 1
        stop = min(max(stop, start + 1), len(sets))
        low, high = sets.offsets[start], sets.offsets[stop]
        # The minimum of the full products orders shingles by their top 32 bits (the multiply-shift hash),
        # ties broken by the lower bits: one multiplication and one reduction over the chunk, no shift.
        hashed = np.multiply.outer(coefficients["a"][:, 0], sets.values[low:high].astype(np.uint64))
        signature = np.minimum.reduceat(hashed, sets.offsets[start:stop] - low, axis=1)
        keys[start:stop] = _band(signature.T, params)
        start = stop
    return keys


def _band(signature: NDArray[np.uint64], params: LshParams) -> NDArray[np.uint64]:
    coefficients = params._coefficients
    grouped = signature.reshape(len(signature), params.bands, params.rows) * coefficients["band"]
    mixed = grouped.sum(axis=2, dtype=np.uint64) + coefficients["band_offset"]
    mixed ^= mixed >> _SHIFT32
    return mixed


def signatures(sets: ShingleSets, params: LshParams) -> NDArray[np.uint64]:
    """The ``(len(sets), num_perm)`` MinHash signatures themselves (for inspection and tests)."""
    coefficients = params._coefficients
    out = np.empty((len(sets), params.num_perm), dtype=np.uint64)
    for index in range(len(sets)):
        values = sets.get(index).astype(np.uint64)
        out[index] = (coefficients["a"] * values).min(axis=1) >> _SHIFT32
    return out


def jaccard_against(query: NDArray[np.uint32], candidates: ShingleSets) -> NDArray[np.float64]:
    """Exact Jaccard similarity of the set ``query`` (sorted) with each of ``candidates``."""
    sizes = candidates.sizes()
    if len(query) == 0 or len(sizes) == 0:
        return np.zeros(len(sizes))
    position = np.minimum(np.searchsorted(query, candidates.values), len(query) - 1)
    hit = query[position] == candidates.values
    owner = np.repeat(np.arange(len(sizes)), sizes)
    shared = np.bincount(owner[hit], minlength=len(sizes))
    return np.asarray(shared / (sizes + len(query) - shared), dtype=np.float64)


def jaccard_pairs(sets: ShingleSets, a: NDArray[np.int64], b: NDArray[np.int64]) -> NDArray[np.float64]:
    """Exact Jaccard similarity of sets ``a[i]`` and ``b[i]`` for every ``i``, vectorised."""
    count = len(a)
    size_a = sets.offsets[a + 1] - sets.offsets[a]
    size_b = sets.offsets[b + 1] - sets.offsets[b]
    pair = np.arange(count, dtype=np.uint64) << _SHIFT32
    # Tag each value with its pair number: both sides become one sorted array each.
    keyed_a = np.repeat(pair, size_a) | sets.values[ranges(sets.offsets[a], size_a)]
    keyed_b = np.repeat(pair, size_b) | sets.values[ranges(sets.offsets[b], size_b)]
    # Both sides are sorted, and each holds a value at most once per pair: merging the two runs (a stable
    # sort finds them and merges in linear time) puts every shared value next to its twin.
    merged = np.concatenate([keyed_a, keyed_b])
    merged.sort(kind="stable")
    twins = merged[1:][merged[1:] == merged[:-1]]
    shared = np.bincount((twins >> _SHIFT32).astype(np.int64), minlength=count)
    return np.asarray(shared / (size_a + size_b - shared), dtype=np.float64)

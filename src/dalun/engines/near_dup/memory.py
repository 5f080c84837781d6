"""The in-process store: every array in NumPy, persisted to one ``.npz`` file.

Rows are numbered in the order texts arrive. Per row: its id, whether it is current (a replaced or
removed text stays as a dead row until :meth:`MemoryStore.compact`), its ``bands`` LSH keys and its shingle
set (one flat ``uint32`` array with offsets). For lookups, the keys of all rows and bands are kept in one
sorted array with the row of each; rows added since the last merge (the *tail*) are scanned directly, and
are merged in, in linear time, when a lookup finds more than ``TAIL_ROWS`` of them, so a bulk load sorts
once and a stream of single additions pays a few microseconds each.

Crowded buckets: texts that share a long stock passage ("提高政治站位，强化责任担当，确保各项工作落到实处")
sometimes take all the minimum hashes of a band from it, and then thousands of otherwise unrelated texts
share that band's key. A bucket of more than ``max_bucket`` rows is therefore used only together with a
second band: its rows are candidates only if they also share another band with the text. A pair at
Jaccard 0.8 shares on average 5 of the 20 bands, and one that shares a crowded band shares no other with
probability ``(1 - 0.8**6)**19`` = 0.3%, while a mass copy of one template (Jaccard near 1) shares every
band and is still found, however many copies there are. This keeps a lookup at a few milliseconds and
stops one stock phrase from adding millions of candidate pairs to the scan.

Memory at 1,000,000 texts of ~40 words: keys 160 MB, sorted keys and rows 320 MB, shingles ~160 MB, ids
and the id -> row dict ~150 MB.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from dalun.engines.near_dup.hashing import LshParams, ShingleSets, ranges

FORMAT = "dalun-near-dup-1"
TAIL_ROWS = 8192
MAX_BUCKET = 1000


class _Growing:
    """An append-only NumPy array with amortised O(1) appends (capacity doubles)."""

    def __init__(self, dtype: Any, width: int = 0) -> None:
        self._shape_tail = (width,) if width else ()
        self._data = np.empty((1024, *self._shape_tail), dtype=dtype)
        self.size = 0

    def extend(self, values: NDArray[Any]) -> None:
        needed = self.size + len(values)
        if needed > len(self._data):
            grown = np.empty((max(needed, 2 * len(self._data)), *self._shape_tail), dtype=self._data.dtype)
            grown[: self.size] = self._data[: self.size]
            self._data = grown
        self._data[self.size : needed] = values
        self.size = needed

    @property
    def array(self) -> NDArray[Any]:
        return self._data[: self.size]


class MemoryStore:
    """Band buckets and shingle sets in this process's memory (see the module docstring)."""

    def __init__(self, params: LshParams | None = None, *, max_bucket: int = MAX_BUCKET) -> None:
        self.params = params or LshParams()
        self.max_bucket = max_bucket
        self._reset()

    def _reset(self) -> None:
        self._ids: list[str] = []
        self._row_of: dict[str, int] = {}
        self._alive = _Growing(np.bool_)
        self._keys = _Growing(np.uint64, self.params.bands)
        self._sizes = _Growing(np.int64)
        self._values = _Growing(np.uint32)
        self._value_starts = _Growing(np.int64)
        self._sorted_keys = np.zeros(0, dtype=np.uint64)
        self._sorted_rows = np.zeros(0, dtype=np.int64)
        self._merged = 0  # rows [0, _merged) are in the sorted arrays

    # The store interface (see Store in the package).

    def __len__(self) -> int:
        return len(self._row_of)

    def __contains__(self, id: object) -> bool:
        return id in self._row_of

    def put(self, ids: Sequence[str], keys: NDArray[np.uint64], sets: ShingleSets) -> None:
        first = len(self._ids)
        for offset, id in enumerate(ids):
            old = self._row_of.get(id)
            if old is not None:
                self._alive.array[old] = False
            self._row_of[id] = first + offset
        self._ids.extend(ids)
        alive = np.ones(len(ids), dtype=np.bool_)
        # An id given twice in one call: only its last text is current.
        for offset, id in enumerate(ids):
            if self._row_of[id] != first + offset:
                alive[offset] = False
        self._alive.extend(alive)
        self._keys.extend(keys)
        self._value_starts.extend(sets.offsets[:-1] + self._values.size)
        self._sizes.extend(sets.sizes())
        self._values.extend(sets.values)

    def remove(self, ids: Sequence[str]) -> int:
        removed = 0
        for id in ids:
            row = self._row_of.pop(id, None)
            if row is not None:
                self._alive.array[row] = False
                removed += 1
        return removed

    def candidates(self, keys: NDArray[np.uint64]) -> tuple[list[str], ShingleSets]:
        rows = self.candidate_rows(keys)
        return [self._ids[row] for row in rows], self.sets(rows)

    # Beyond the interface: row-level access for the bulk scan and persistence.

    def candidate_rows(self, keys: NDArray[np.uint64]) -> NDArray[np.int64]:
        """Current rows sharing at least one of ``keys`` (one text's band keys).

        A bucket holding more than ``max_bucket`` rows is *crowded*: its rows count only if they share a
        second band with the text (see the module docstring).
        """
        if len(self._ids) - self._merged > TAIL_ROWS:
            self.merge()
        low = np.searchsorted(self._sorted_keys, keys, side="left")
        high = np.searchsorted(self._sorted_keys, keys, side="right")
        buckets = [self._sorted_rows[start:stop] for start, stop in zip(low, high, strict=True)]
        tail = self._keys.array[self._merged :]
        if len(tail):
            tail_rows, tail_bands = np.nonzero(tail == keys)
            for band in np.unique(tail_bands):
                extra = tail_rows[tail_bands == band] + self._merged
                buckets[band] = np.concatenate([buckets[band], extra])
        normal = [bucket for bucket in buckets if 0 < len(bucket) <= self.max_bucket]
        crowded = [bucket for bucket in buckets if len(bucket) > self.max_bucket]
        rows = np.unique(np.concatenate(normal)) if normal else np.zeros(0, dtype=np.int64)
        if crowded:
            every, shared = np.unique(np.concatenate(normal + crowded), return_counts=True)
            rows = every[(shared >= 2) | np.isin(every, rows, assume_unique=True)]
        return rows[self._alive.array[rows]]

    def sets(self, rows: NDArray[np.int64]) -> ShingleSets:
        """The shingle sets of ``rows``, in that order."""
        sizes = self._sizes.array[rows]
        offsets = np.zeros(len(rows) + 1, dtype=np.int64)
        np.cumsum(sizes, out=offsets[1:])
        return ShingleSets(offsets, self._values.array[ranges(self._value_starts.array[rows], sizes)])

    def id_of(self, row: int) -> str:
        return self._ids[row]

    def merge(self) -> None:
        """Move the tail into the sorted arrays (a linear merge of two sorted runs)."""
        total = len(self._ids)
        if total == self._merged:
            return
        tail_keys = self._keys.array[self._merged :].ravel()
        tail_rows = np.repeat(np.arange(self._merged, total, dtype=np.int64), self.params.bands)
        order = np.argsort(tail_keys, kind="stable")
        tail_keys, tail_rows = tail_keys[order], tail_rows[order]
        at = np.searchsorted(self._sorted_keys, tail_keys)
        self._sorted_keys = np.insert(self._sorted_keys, at, tail_keys)
        self._sorted_rows = np.insert(self._sorted_rows, at, tail_rows)
        self._merged = total

    def candidate_pairs(self, chunk: int = 1 << 21) -> Iterator[tuple[NDArray[np.int64], NDArray[np.int64]]]:
        """Every pair of current rows sharing a band key, once each, in chunks of about ``chunk`` pairs.

        A pair is produced only by the first band it shares (each candidate is checked against the rows'
        keys), so nothing is collected to remove repeats and memory stays bounded by the chunk. In a
        crowded bucket only the pairs that share a second band are produced, found by grouping its rows
        by each other band in turn (and produced by their second shared band only).
        """
        self.merge()
        alive = self._alive.array[self._sorted_rows]
        keys, rows = self._sorted_keys[alive], self._sorted_rows[alive]
        starts, stops = _runs(keys)
        small = stops - starts <= self.max_bucket
        everything = self._keys.array
        for left, right in _expand(starts[small], stops[small], chunk):
            a, b = rows[left], rows[right]
            first = (everything[a] == everything[b]).argmax(axis=1)
            keep = everything[a, first] == keys[left]
            yield _ordered(a[keep], b[keep])
        for start, stop in zip(starts[~small], stops[~small], strict=True):
            members = rows[start:stop]
            band = int(np.argmax(everything[members[0]] == keys[start]))
            for other in range(self.params.bands):
                if other == band:
                    continue
                order = np.argsort(everything[members, other], kind="stable")
                grouped = members[order]
                for left, right in _expand(*_runs(everything[grouped, other]), chunk):
                    a, b = grouped[left], grouped[right]
                    same = everything[a] == everything[b]
                    first = same.argmax(axis=1)
                    same[np.arange(len(a)), first] = False
                    keep = (first == band) & (same.argmax(axis=1) == other)
                    yield _ordered(a[keep], b[keep])

    def compact(self) -> None:
        """Drop dead rows (replaced or removed texts) and renumber the rest."""
        keep = np.flatnonzero(self._alive.array)
        if len(keep) == len(self._ids):
            return
        sets = self.sets(keep)
        keys = self._keys.array[keep]
        ids = [self._ids[row] for row in keep]
        self._reset()
        self.put(ids, keys, sets)

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the store to ``path`` (an uncompressed ``.npz``; written aside, then renamed into place)."""
        self.compact()
        encoded = [id.encode() for id in self._ids]
        id_offsets = np.zeros(len(encoded) + 1, dtype=np.int64)
        np.cumsum([len(item) for item in encoded], out=id_offsets[1:])
        params = self.params
        target = Path(path)
        partial = target.with_name(target.name + ".partial")
        with open(partial, "wb") as handle:
            np.savez(
                handle,
                format=np.array(FORMAT),
                params=np.array([params.bands, params.rows, params.shingle, params.seed], dtype=np.int64),
                ids=np.frombuffer(b"".join(encoded), dtype=np.uint8),
                id_offsets=id_offsets,
                keys=self._keys.array,
                set_offsets=np.r_[self._value_starts.array, self._values.size].astype(np.int64),
                values=self._values.array,
            )
        os.replace(partial, target)

    @classmethod
    def load(cls, path: str | os.PathLike[str], *, max_bucket: int = MAX_BUCKET) -> MemoryStore:
        with np.load(path, allow_pickle=False) as data:
            if str(data["format"]) != FORMAT:
                raise ValueError(f"{path} is not a near-duplicate index ({FORMAT})")
            bands, rows, shingle, seed = (int(value) for value in data["params"])
            store = cls(LshParams(bands=bands, rows=rows, shingle=shingle, seed=seed), max_bucket=max_bucket)
            blob, id_offsets = data["ids"].tobytes(), data["id_offsets"]
            ids = [
                blob[start:stop].decode() for start, stop in zip(id_offsets[:-1], id_offsets[1:], strict=True)
            ]
            store.put(ids, data["keys"], ShingleSets(data["set_offsets"], data["values"]))
        store.merge()
        return store


def _ordered(a: NDArray[np.int64], b: NDArray[np.int64]) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    return np.minimum(a, b), np.maximum(a, b)


def _runs(keys: NDArray[np.uint64]) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """``[start, stop)`` of every run of two or more equal values in the sorted ``keys``."""
    same = np.flatnonzero(keys[1:] == keys[:-1])
    if not len(same):
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    breaks = np.flatnonzero(np.diff(same) > 1)
    return same[np.r_[0, breaks + 1]], same[np.r_[breaks, len(same) - 1]] + 2


def _expand(
    starts: NDArray[np.int64], stops: NDArray[np.int64], chunk: int
) -> Iterator[tuple[NDArray[np.int64], NDArray[np.int64]]]:
    """All pairs of positions ``(i, j)``, ``i < j``, inside each run, about ``chunk`` pairs at a time."""
    counts = (stops - starts) * (stops - starts - 1) // 2
    cumulative = np.cumsum(counts)
    first = 0
    while first < len(starts):
        last = int(np.searchsorted(cumulative, cumulative[first] - counts[first] + chunk))
        last = min(max(last, first + 1), len(starts))
        run_starts, run_stops = starts[first:last], stops[first:last]
        # Every member but the last of each run, paired with each member after it.
        member = ranges(run_starts, run_stops - run_starts - 1)
        after = np.repeat(run_stops, run_stops - run_starts - 1) - member - 1
        yield np.repeat(member, after), ranges(member + 1, after)
        first = last

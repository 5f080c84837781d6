"""The shared store: band buckets and shingle sets in Redis, for several workers checking texts at once.

Keys, all under one prefix (so that a store, and a test, can delete exactly its own):

- ``{prefix}:params``: the :class:`LshParams` every writer must use, as text (set once, atomically, and
  checked whenever a store is opened: a mismatch is an error, not a silent second index);
- ``{prefix}:b:{key}``: a set of the ids whose text has band key ``key`` (16 hex digits);
- ``{prefix}:sets``: a hash from id to its shingle set (little-endian ``uint32``, sorted);
- ``{prefix}:keys``: a hash from id to its band keys (little-endian ``uint64``), to remove a text's old
  buckets when it is replaced or deleted.

A lookup is three round trips whatever the index size (the bucket sizes, then the bucket members, or
for a crowded bucket its intersections with the text's other buckets, then the candidates' shingle sets
in one ``HMGET``). Each ``put`` and ``remove`` is one read and then one
``MULTI`` transaction; two workers writing the same id at the same moment may leave the loser's buckets
behind, which can only add a candidate that the exact Jaccard check then rejects.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from dalun.engines.near_dup.hashing import LshParams, ShingleSets
from dalun.engines.near_dup.memory import MAX_BUCKET

_BATCH = 1000


class RedisStore:
    """Band buckets and shingle sets in Redis (see the module docstring).

    ``client`` is a ``redis.Redis`` (or anything with its interface); the engine does not connect by
    itself, so the caller decides the URL, pool and timeouts.
    """

    def __init__(
        self,
        client: Any,
        *,
        prefix: str = "dalun:near_dup",
        params: LshParams | None = None,
        max_bucket: int = MAX_BUCKET,
    ) -> None:
        self.client = client
        self.max_bucket = max_bucket
        self.prefix = prefix
        self.params = params or LshParams()
        self._claim()

    def _describe(self) -> str:
        params = self.params
        return f"bands={params.bands} rows={params.rows} shingle={params.shingle} seed={params.seed}"

    def _claim(self) -> None:
        """Record this store's parameters under the prefix, or check them against those recorded."""
        key, wanted = f"{self.prefix}:params", self._describe()
        self.client.set(key, wanted, nx=True)
        stored = self.client.get(key)
        stored = stored.decode() if isinstance(stored, bytes) else stored
        if stored != wanted:
            raise ValueError(
                f"the near-duplicate index at {self.prefix!r} was built with {stored}, not {wanted}"
            )

    def _bucket(self, key: int) -> str:
        return f"{self.prefix}:b:{key:016x}"

    def __len__(self) -> int:
        return int(self.client.hlen(f"{self.prefix}:sets"))

    def __contains__(self, id: object) -> bool:
        return isinstance(id, str) and bool(self.client.hexists(f"{self.prefix}:sets", id))

    def put(self, ids: Sequence[str], keys: NDArray[np.uint64], sets: ShingleSets) -> None:
        for start in range(0, len(ids), _BATCH):
            chunk = list(ids[start : start + _BATCH])
            old = self.client.hmget(f"{self.prefix}:keys", chunk)
            pipe = self.client.pipeline(transaction=True)
            for offset, (id, previous) in enumerate(zip(chunk, old, strict=True)):
                if previous is not None:
                    for key in np.frombuffer(previous, dtype="<u8"):
                        pipe.srem(self._bucket(int(key)), id)
                row = keys[start + offset]
                for key in row:
                    pipe.sadd(self._bucket(int(key)), id)
                pipe.hset(f"{self.prefix}:keys", id, row.astype("<u8").tobytes())
                pipe.hset(f"{self.prefix}:sets", id, sets.get(start + offset).astype("<u4").tobytes())
            pipe.execute()

    def remove(self, ids: Sequence[str]) -> int:
        ids = list(ids)
        if not ids:
            return 0
        old = self.client.hmget(f"{self.prefix}:keys", ids)
        pipe = self.client.pipeline(transaction=True)
        removed = 0
        for id, previous in zip(ids, old, strict=True):
            if previous is None:
                continue
            removed += 1
            for key in np.frombuffer(previous, dtype="<u8"):
                pipe.srem(self._bucket(int(key)), id)
            pipe.hdel(f"{self.prefix}:keys", id)
            pipe.hdel(f"{self.prefix}:sets", id)
        pipe.execute()
        return removed

    def candidates(self, keys: NDArray[np.uint64]) -> tuple[list[str], ShingleSets]:
        buckets = [self._bucket(int(key)) for key in keys]
        pipe = self.client.pipeline(transaction=False)
        for bucket in buckets:
            pipe.scard(bucket)
        sizes = pipe.execute()
        pipe = self.client.pipeline(transaction=False)
        for band, (bucket, size) in enumerate(zip(buckets, sizes, strict=True)):
            if 0 < size <= self.max_bucket:
                pipe.smembers(bucket)
            elif size > self.max_bucket:
                # A crowded bucket counts only together with a second band (see MemoryStore).
                for other, (second, second_size) in enumerate(zip(buckets, sizes, strict=True)):
                    if other != band and second_size:
                        pipe.sinter(bucket, second)
        members: set[bytes] = set().union(*pipe.execute())
        ids = sorted(member.decode() for member in members)
        if not ids:
            return [], ShingleSets(np.zeros(1, np.int64), np.zeros(0, np.uint32))
        blobs = self.client.hmget(f"{self.prefix}:sets", ids)
        # A text removed between the two round trips has no set any more: drop it.
        found = [(id, blob) for id, blob in zip(ids, blobs, strict=True) if blob is not None]
        arrays = [np.frombuffer(blob, dtype="<u4").astype(np.uint32) for _id, blob in found]
        offsets = np.zeros(len(arrays) + 1, dtype=np.int64)
        np.cumsum([len(array) for array in arrays], out=offsets[1:])
        values = np.concatenate(arrays) if arrays else np.zeros(0, np.uint32)
        return [id for id, _blob in found], ShingleSets(offsets, values)

    def clear(self) -> int:
        """Delete every text under this store's prefix, and only those keys; returns how many keys.

        The prefix must not contain Redis glob characters (``*?[]``)."""
        deleted = 0
        batch: list[bytes] = []
        for key in self.client.scan_iter(match=f"{self.prefix}:*", count=1000):
            batch.append(key)
            if len(batch) >= 1000:
                deleted += int(self.client.delete(*batch))
                batch = []
        if batch:
            deleted += int(self.client.delete(*batch))
        self._claim()
        return deleted

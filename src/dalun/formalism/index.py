"""The near-duplicate index the scan keeps between runs, one per campaign.

Texts are stored under the digest of their canonical form (normalised, the unit's own name masked), so
identical copies are stored once and a scan re-hashes only texts it has not seen: new digests are added and
digests no text has any more are removed. The index lives in ``<index_dir>/near-dup-<campaign>.npz`` with
the list of stored digests beside it, or, when ``DALUN_CACHE_URL`` points at Redis, in Redis (shared by the
workers; pairs are then found by querying each text, since a Redis index answers queries only).
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable
from pathlib import Path

from django.conf import settings

from dalun.engines.near_dup import MemoryStore, NearDupIndex, RedisStore
from dalun.engines.text import normalise
from dalun.formalism.conf import thresholds

MASK = "本单位"


def canonical(text: str, names: Iterable[str] = ()) -> str:
    """The text as compared: the unit's own names replaced by one placeholder, then normalised."""
    for name in sorted({name for name in names if name and len(name) >= 2}, key=len, reverse=True):
        text = text.replace(name, MASK)
    return normalise(text)


def digest(text: str) -> str:
    return hashlib.sha1(text.encode()).hexdigest()[:20]


def index_dir() -> Path:
    configured = thresholds()["index_dir"]
    return Path(configured) if configured else Path(settings.VAR_DIR) / "formalism"


class CampaignIndex:
    """The stored digests of one campaign and the engine index holding their texts."""

    def __init__(self, campaign_id: int) -> None:
        self.campaign_id = campaign_id
        self.redis = None
        url = os.environ.get("DALUN_CACHE_URL", "")
        if url.startswith("redis"):
            import redis

            self.redis = redis.Redis.from_url(url)
            prefix = f"{thresholds()['redis_prefix']}:{campaign_id}"
            self.index = NearDupIndex(RedisStore(self.redis, prefix=prefix))
            self._digests_key = f"{prefix}:digests"
            self.stored = {
                value.decode() if isinstance(value, bytes) else str(value)
                for value in self.redis.smembers(self._digests_key)
            }
            return
        self.path = index_dir() / f"near-dup-{campaign_id}.npz"
        self.digests_path = self.path.with_suffix(".digests.json")
        self.stored = set()
        if self.path.exists() and self.digests_path.exists():
            try:
                self.index = NearDupIndex(MemoryStore.load(self.path))
                self.stored = set(json.loads(self.digests_path.read_text(encoding="utf-8")))
                return
            except (OSError, ValueError):
                self.stored = set()
        self.index = NearDupIndex()

    def sync(self, texts: dict[str, str]) -> tuple[int, int]:
        """Make the index hold exactly ``texts`` (digest -> canonical text); returns (added, removed)."""
        gone = [key for key in self.stored if key not in texts]
        for key in gone:
            self.index.remove(key)
        new = [(key, text) for key, text in texts.items() if key not in self.stored or key not in self.index]
        self.index.add_many(new)
        self.stored = set(texts)
        return len(new), len(gone)

    def pairs(self, texts: dict[str, str], *, threshold: float) -> list[tuple[str, str, float]]:
        """Every pair of stored texts at least ``threshold`` similar."""
        if self.redis is None:
            return self.index.pairs(threshold=threshold)
        found: dict[tuple[str, str], float] = {}
        for key, text in texts.items():
            for other, similarity in self.index.query(text, threshold=threshold, exclude=key):
                found[(min(key, other), max(key, other))] = similarity
        return sorted(((a, b, s) for (a, b), s in found.items()), key=lambda pair: (-pair[2], pair[0]))

    def save(self) -> None:
        if self.redis is not None:
            pipe = self.redis.pipeline()
            pipe.delete(self._digests_key)
            if self.stored:
                pipe.sadd(self._digests_key, *sorted(self.stored))
            pipe.execute()
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.index.save(self.path)
        partial = self.digests_path.with_name(self.digests_path.name + ".partial")
        partial.write_text(json.dumps(sorted(self.stored)), encoding="utf-8")
        os.replace(partial, self.digests_path)

"""The hash chain of the audit trail, in plain Python (no Django), shared by the writer, the migration
that backfills old entries and ``dalun audit verify``.

Each entry's hash covers its content, its place in its chain (chain key and sequence number) and the hash
of the entry before it, so changing, deleting, inserting or reordering an entry breaks the chain from that
point on. The serialisation is canonical (sorted-key JSON, UTC timestamps to the microsecond, integral
floats written as integers) so that what the writer hashed is re-derived byte for byte from what SQLite or
PostgreSQL hand back, whatever each does to JSON key order and number formats.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

GENESIS = "0" * 64  # the "previous hash" of the first entry of every chain


def chain_for(object_type: str, object_id: str, chains: int) -> str:
    """The chain an object's entries go to: a stable hash of the object, so its history stays in one chain."""
    digest = hashlib.sha256(f"{object_type}:{object_id}".encode()).digest()
    return f"s{int.from_bytes(digest[:8], 'big') % chains:02d}"


def normalise(value: Any) -> Any:
    """The JSON value as any database gives it back: string keys, integral floats as integers.

    PostgreSQL's jsonb keeps numbers as decimals (``1e20`` comes back as an integer), so integral floats
    are stored as integers in the first place; everything else round-trips through JSON unchanged.
    """
    return _ints(json.loads(json.dumps(value, ensure_ascii=False, allow_nan=False)))


def _ints(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {key: _ints(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_ints(item) for item in value]
    return value


def utc_iso(moment: dt.datetime) -> str:
    """An aware datetime as ISO 8601 in UTC with microseconds (both databases keep microseconds)."""
    if moment.tzinfo is None:
        raise ValueError("audit times must be timezone-aware")
    return moment.astimezone(dt.UTC).isoformat(timespec="microseconds")


def entry_hash(
    *,
    actor_id: int | None,
    actor_label: str,
    action: str,
    object_type: str,
    object_id: str,
    object_repr: str,
    changes: Any,
    created_at: dt.datetime,
    chain: str,
    seq: int,
    prev_hash: str,
) -> str:
    """SHA-256 (hex) over the canonical serialisation of one entry."""
    payload = {
        "actor_id": actor_id,
        "actor_label": actor_label,
        "action": action,
        "object_type": object_type,
        "object_id": object_id,
        "object_repr": object_repr,
        "changes": _ints(changes),
        "created_at": utc_iso(created_at),
        "chain": chain,
        "seq": seq,
        "prev_hash": prev_hash,
    }
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# --- verification ---------------------------------------------------------------------------------------

# The columns verification reads, in this order.
FIELDS = (
    "id",
    "chain",
    "seq",
    "prev_hash",
    "hash",
    "actor_id",
    "actor_label",
    "action",
    "object_type",
    "object_id",
    "object_repr",
    "changes",
    "created_at",
)


@dataclass(frozen=True)
class Problem:
    """The first thing wrong with one chain."""

    chain: str
    seq: int | None
    entry_id: int | None
    kind: str  # altered | missing | inserted | relinked | head
    detail: str


@dataclass
class ChainReport:
    chain: str
    entries: int = 0
    last_seq: int = 0
    last_hash: str = GENESIS
    problem: Problem | None = None


@dataclass
class Report:
    chains: list[ChainReport] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(chain.problem is None for chain in self.chains)

    @property
    def entries(self) -> int:
        return sum(chain.entries for chain in self.chains)

    @property
    def problems(self) -> list[Problem]:
        return [chain.problem for chain in self.chains if chain.problem is not None]


def verify(rows: Iterable[tuple[Any, ...]], heads: dict[str, tuple[int, str]]) -> Report:
    """Walk entries ordered by (chain, seq), as tuples in :data:`FIELDS` order, against the chain heads.

    ``heads`` maps each chain key to the (last sequence, last hash) its head row recorded. Each chain
    reports the first entry found wrong: ``missing`` (a sequence number skipped: entries deleted),
    ``inserted`` (an entry beyond what the head says was written), ``relinked`` (its previous-hash does not
    match the entry before: an entry rewritten with a fresh hash, or put in out of order), ``altered`` (its
    content no longer matches its own hash), or ``head`` (the head disagrees with the last entry: entries
    deleted at the end of the chain).
    """
    report = Report()
    by_key: dict[str, ChainReport] = {}
    for chain_key, group in itertools.groupby(rows, key=lambda row: row[1]):  # streams
        state = by_key[chain_key] = ChainReport(chain=chain_key)
        report.chains.append(state)
        head = heads.get(chain_key)
        for row in group:
            if state.problem is None:
                state.problem = _check(row, state, head)
            if state.problem is None:
                state.entries += 1
                state.last_seq, state.last_hash = row[2], row[4]
        if state.problem is None:
            state.problem = _check_head(state, head)
    for chain_key, (last_seq, last_hash) in sorted(heads.items()):
        if chain_key not in by_key and last_seq:
            state = ChainReport(chain=chain_key)
            state.problem = _check_head(state, (last_seq, last_hash))
            report.chains.append(state)
    report.chains.sort(key=lambda chain: chain.chain)
    return report


def _check(row: tuple[Any, ...], state: ChainReport, head: tuple[int, str] | None) -> Problem | None:
    (entry_id, chain_key, seq, prev_hash, stored_hash, actor_id, actor_label, action) = row[:8]
    object_type, object_id, object_repr, changes, created_at = row[8:]
    expected = state.last_seq + 1
    if head is None:
        return Problem(chain_key, seq, entry_id, "head", "the chain has no head row")
    if seq > head[0]:
        return Problem(
            chain_key,
            seq,
            entry_id,
            "inserted",
            f"entry beyond the head (which ends at seq {head[0]}): written outside the audit writer",
        )
    if seq != expected:
        return Problem(
            chain_key,
            seq,
            entry_id,
            "missing",
            f"seq {expected}..{seq - 1} missing before this entry: deleted",
        )
    if prev_hash != state.last_hash:
        return Problem(
            chain_key,
            seq,
            entry_id,
            "relinked",
            "its previous hash does not match the entry before: that entry was rewritten, or this one was "
            "inserted or moved",
        )
    recomputed = entry_hash(
        actor_id=actor_id,
        actor_label=actor_label,
        action=action,
        object_type=object_type,
        object_id=object_id,
        object_repr=object_repr,
        changes=changes,
        created_at=created_at,
        chain=chain_key,
        seq=seq,
        prev_hash=prev_hash,
    )
    if recomputed != stored_hash:
        return Problem(chain_key, seq, entry_id, "altered", "its content no longer matches its hash")
    return None


def _check_head(state: ChainReport, head: tuple[int, str] | None) -> Problem | None:
    if head is None:
        return None if state.entries == 0 else Problem(state.chain, None, None, "head", "no head row")
    last_seq, last_hash = head
    if last_seq > state.last_seq:
        return Problem(
            state.chain,
            state.last_seq + 1,
            None,
            "missing",
            f"seq {state.last_seq + 1}..{last_seq} missing at the end of the chain: deleted",
        )
    if last_hash != state.last_hash:
        return Problem(
            state.chain,
            state.last_seq,
            None,
            "head",
            "the head's hash does not match the last entry: the end of the chain was replaced",
        )
    return None

"""Computing a map: read its votes in bulk, run the engine from the last snapshot, store the new snapshot.

Runs in a task (:mod:`dalun.opinions.tasks`), never in a request. The votes are read as three integer
columns in chunks (never one model per vote); the engine's result becomes a :class:`Snapshot` with the JSON
the pages show and the engine's state, from which the next computation starts (``warm_start``), so that
groups keep their ids and the map does not flip between updates.
"""

from __future__ import annotations

import logging
import time
from typing import Any

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
from django.db import transaction
from django.utils import timezone

from dalun.engines.opinion_map import OpinionMap as EngineMap
from dalun.engines.opinion_map import compute_opinion_map, vote_matrix
from dalun.opinions import warm
from dalun.opinions.choices import StatementStatus
from dalun.opinions.models import OpinionMap, Snapshot, Statement, Vote

logger = logging.getLogger(__name__)

CHUNK = 50_000
MAX_POINTS = 3000  # participants drawn on the scatter; a sample beyond that (the groups keep their sizes)
KEEP_SNAPSHOTS = 3
CONSENSUS_SHOWN = 5
GROUP_LABELS = "ABCDEFGHIJ"


def read_votes(opinion_map: OpinionMap) -> tuple[sp.csr_array, npt.NDArray[np.bool_]]:
    """The vote matrix (rows and columns as stored) and which columns the map leaves out."""
    parts = []
    batch: list[tuple[int, int, int]] = []
    rows = Vote.objects.filter(opinion_map=opinion_map).order_by().values_list("row", "column", "value")
    for vote in rows.iterator(chunk_size=CHUNK):
        batch.append(vote)
        if len(batch) == CHUNK:
            parts.append(np.array(batch, dtype=np.int64))
            batch = []
    parts.append(np.array(batch, dtype=np.int64).reshape(-1, 3))
    triples = np.concatenate(parts)
    statements = list(
        Statement.objects.filter(opinion_map=opinion_map).values_list("column", "status", "is_meta")
    )
    n = max(opinion_map.n_participants, int(triples[:, 0].max(initial=-1)) + 1)
    m = max(
        opinion_map.n_statements,
        int(triples[:, 1].max(initial=-1)) + 1,
        max((c for c, _s, _m in statements), default=-1) + 1,
    )
    matrix = vote_matrix(triples[:, 0], triples[:, 1], triples[:, 2], shape=(n, m))
    out = np.zeros(m, dtype=bool)
    for column, status, is_meta in statements:
        out[column] = status == StatementStatus.REJECTED or is_meta
    return matrix, out


def latest_snapshot(opinion_map: OpinionMap, *, with_warm: bool = False) -> Snapshot | None:
    rows = Snapshot.objects.filter(opinion_map=opinion_map).order_by("-computed_at", "-id")
    if not with_warm:
        rows = rows.defer("warm")
    return rows.first()


def warm_start_of(snapshot: Snapshot | None, shape: tuple[int, int]) -> EngineMap | None:
    """The last result, if it can start this computation (rows and columns only ever grow)."""
    if snapshot is None or not snapshot.warm:
        return None
    try:
        previous = warm.load(snapshot.warm)
    except (ValueError, KeyError, OSError, TypeError):  # unreadable, or saved by another engine version
        logger.warning("snapshot %s has an unreadable warm state; computing from scratch", snapshot.pk)
        return None
    if previous.n_participants > shape[0] or previous.n_statements > shape[1]:
        return None
    return previous


def recompute(*, opinion_map_id: int, force: bool = False) -> Snapshot | None:
    """Take the map's "changed" mark and compute it; without the mark (another run took it) do nothing,
    unless ``force``. Votes cast while this runs set the mark again and schedule the next run."""
    claimed = OpinionMap.objects.filter(pk=opinion_map_id, dirty_since__isnull=False).update(dirty_since=None)
    if not claimed and not force:
        return None
    return compute(opinion_map_id=opinion_map_id)


def compute(*, opinion_map_id: int, seed: int = 0) -> Snapshot:
    started, read_at = time.perf_counter(), timezone.now()
    opinion_map = OpinionMap.objects.get(pk=opinion_map_id)
    votes, moderated_out = read_votes(opinion_map)
    previous = warm_start_of(latest_snapshot(opinion_map, with_warm=True), votes.shape)
    result = compute_opinion_map(votes, moderated_out=moderated_out, seed=seed, warm_start=previous)
    display = display_data(result, votes, moderated_out)
    with transaction.atomic():
        snapshot = Snapshot.objects.create(
            opinion_map=opinion_map,
            computed_at=read_at,
            n_participants=display["voters"],
            n_statements=int(votes.shape[1]),
            n_votes=int(votes.nnz),
            seconds=round(time.perf_counter() - started, 3),
            warm_started=previous is not None,
            display=display,
            warm=warm.dump(result),
        )
        _store_extremity(opinion_map, result.statement_extremity)
        OpinionMap.objects.filter(pk=opinion_map.pk).update(computed_at=read_at)
        stale = Snapshot.objects.filter(opinion_map=opinion_map).order_by("-computed_at", "-id")
        Snapshot.objects.filter(pk__in=list(stale.values_list("pk", flat=True)[KEEP_SNAPSHOTS:])).delete()
    return snapshot


def _store_extremity(opinion_map: OpinionMap, extremity: npt.NDArray[np.float64]) -> None:
    statements = list(Statement.objects.filter(opinion_map=opinion_map).only("pk", "column", "extremity"))
    changed = []
    for statement in statements:
        value = float(extremity[statement.column]) if statement.column < extremity.size else 0.0
        if abs(value - statement.extremity) > 1e-9:
            statement.extremity = value
            changed.append(statement)
    Statement.objects.bulk_update(changed, ["extremity"], batch_size=500)


def display_data(
    result: EngineMap, votes: sp.csr_array, moderated_out: npt.NDArray[np.bool_]
) -> dict[str, Any]:
    """What the pages show, as plain JSON; statements by column (their texts are read when shown)."""
    voted = np.diff(votes.indptr) > 0
    labels = {group.id: GROUP_LABELS[i % len(GROUP_LABELS)] for i, group in enumerate(result.groups)}
    shown = np.flatnonzero(voted)
    if shown.size > MAX_POINTS:
        shown = np.sort(np.random.default_rng(0).choice(shown, MAX_POINTS, replace=False))
    points = [
        [round(float(x), 3), round(float(y), 3), int(g)]
        for x, y, g in zip(
            result.projection[shown, 0], result.projection[shown, 1], result.group_of[shown], strict=True
        )
    ]
    seen = np.bincount(votes.indices, minlength=votes.shape[1])[: votes.shape[1]]
    eligible = (seen > 0) & ~moderated_out
    informed = np.where(eligible, result.group_informed_consensus, -1.0)
    # Shown only above what an even split in every group would give (a half agreeing, k times over).
    floor = 0.5 ** max(int(result.k), 1)
    top = [int(j) for j in np.argsort(-informed, kind="stable")[:CONSENSUS_SHOWN] if informed[j] > floor]
    return {
        "voters": int(voted.sum()),
        "clustered": int(result.clustered.sum()),
        "votes": int(votes.nnz),
        "k": int(result.k),
        "groups": [
            {
                "id": group.id,
                "label": labels[group.id],
                "size": group.size,
                "center": [round(group.center[0], 3), round(group.center[1], 3)],
                "representative": [
                    {
                        "column": r.statement,
                        "direction": r.direction,
                        "share": round(r.share, 3),
                        "n_success": r.n_success,
                        "n_trials": r.n_trials,
                        "repness": round(r.repness, 3),
                    }
                    for r in group.representative
                ],
            }
            for group in result.groups
        ],
        "consensus": [
            {
                "column": c.statement,
                "direction": c.direction,
                "share": round(c.share, 3),
                "n_success": c.n_success,
                "n_trials": c.n_trials,
            }
            for c in result.consensus
        ],
        "informed_consensus": [{"column": j, "score": round(float(informed[j]), 4)} for j in top],
        "points": points,
    }


def group_of_rows(snapshot: Snapshot | None, n: int) -> npt.NDArray[np.int64]:
    """Each row's group in ``snapshot`` (-1: none, or a participant newer than the snapshot)."""
    groups = np.full(n, -1, dtype=np.int64)
    if snapshot is not None and snapshot.warm:
        stored = warm.load(snapshot.warm).group_of[:n]
        groups[: stored.size] = stored
    return groups

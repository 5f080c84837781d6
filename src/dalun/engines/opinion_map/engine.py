"""One opinion-map update: the steps of Pol.is's ``small-conv-update-graph`` in order (POLIS-METHOD §5)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Any, TypeVar

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from . import kmeans as km
from .pca import (
    Columns,
    Components,
    centred,
    column_means,
    columns,
    principal_components,
    project_participants,
    project_statements,
)
from .results import Group, OpinionMap, Parameters, WarmState
from .statements import (
    RepresentativeStatement,
    VoteCounts,
    consensus_statements,
    count_votes,
    group_informed_consensus,
    representative_statements,
    zero_out,
)
from .votes import check_votes, row_of_each_vote

Floats = npt.NDArray[np.float64]
Ints = npt.NDArray[np.int64]
Bools = npt.NDArray[np.bool_]
Selection = Iterable[int] | npt.NDArray[np.bool_] | npt.NDArray[np.integer[Any]]
G = TypeVar("G", bound=np.generic)

DEFAULT_PARAMETERS = Parameters()


def compute_opinion_map(
    votes: sp.sparray | sp.spmatrix,
    *,
    moderated_out: Selection = (),
    seed: int = 0,
    warm_start: OpinionMap | None = None,
    parameters: Parameters = DEFAULT_PARAMETERS,
) -> OpinionMap:
    """Compute the opinion map of ``votes`` (see the package docstring for the whole contract)."""
    votes = check_votes(votes)
    n, m = votes.shape
    mod_out = _statement_mask(moderated_out, m)
    previous = warm_start
    if previous is not None and (previous.n_participants > n or previous.n_statements > m):
        raise ValueError(
            "warm_start has more participants or statements than votes: rows and columns must keep their "
            "meaning between updates (append new ones, never remove any)"
        )
    rng = np.random.default_rng(seed)
    rows = row_of_each_vote(votes)

    # §5.1, §5.3: mean-imputed PCA and the sparsity-aware projection.
    cols = columns(votes, mod_out)
    center = column_means(votes, cols)
    y = centred(votes, center, cols)
    start = None if previous is None else _pad(previous.pca.components, (2, m))
    pca = principal_components(
        y, center, cols, previous=start, rng=rng, dense_limit=parameters.dense_pca_limit
    )
    projection = project_participants(y, votes, rows, pca, cols)
    statement_projection = project_statements(pca, cols)

    # §5.2: who is clustered.
    in_conv = _in_conv(votes, cols, previous, parameters)
    members = np.flatnonzero(in_conv)
    points = projection[members]

    # §5.4: base clusters over the clustered participants.
    base = _base_clusters(points, members, n, previous, parameters)
    base_sizes = np.bincount(base.labels, minlength=len(base)).astype(np.int64)

    # §5.5: groups of base clusters, k by silhouette, smoothed over updates.
    clusterings, silhouettes = _group_clusterings(base, base_sizes, previous, parameters)
    last_k, last_k_count, smoothed_k = _smooth_k(silhouettes, previous, parameters)
    chosen = clusterings.get(smoothed_k) if smoothed_k is not None else None

    group_of = np.full(n, -1, dtype=np.int64)
    position_of = np.full(n, -1, dtype=np.int64)  # the group's position in ``chosen.ids``
    if chosen is not None:
        position_of[members] = chosen.labels[base.labels]
        group_of[members] = chosen.ids[position_of[members]]
    n_groups = 0 if chosen is None else len(chosen)

    # §5.6, §5.7: statements.
    # One pass over the votes: the raw counts of each group, and of the participants in no group last.
    tally = count_votes(votes, rows, np.where(position_of >= 0, position_of, n_groups), n_groups + 1)
    sizes = np.bincount(np.where(position_of >= 0, position_of, n_groups), minlength=n_groups + 1)
    raw = VoteCounts(
        agree=tally.agree[:n_groups], disagree=tally.disagree[:n_groups], seen=tally.seen[:n_groups]
    )
    group_counts = zero_out(raw, cols.zeroed, sizes[:n_groups])
    group_ids = np.zeros(0, dtype=np.int64) if chosen is None else chosen.ids
    repness = representative_statements(group_counts, group_ids, cols.active, pick=parameters.pick)
    everyone = zero_out(_total(tally), cols.zeroed, np.array([n]))
    consensus = consensus_statements(
        everyone.agree[0], everyone.disagree[0], everyone.seen[0], cols.active, pick=parameters.pick
    )
    clustered_counts = _total(raw)

    groups: tuple[Group, ...] = ()
    if chosen is not None:
        groups = tuple(
            _group(gid, np.flatnonzero(group_of == gid), chosen.centers[g], repness[gid])
            for g, gid in enumerate(group_ids.tolist())
        )
    base_of = np.full(n, -1, dtype=np.int64)
    base_of[members] = base.ids[base.labels]
    state = WarmState(
        in_conv=_frozen(in_conv),
        base_of=_frozen(base_of),
        base_ids=_frozen(base.ids),
        base_centers=_frozen(base.centers),
        base_sizes=_frozen(base_sizes),
        group_clusterings=MappingProxyType({k: _frozen(c.ids[c.labels]) for k, c in clusterings.items()}),
        last_k=last_k,
        last_k_count=last_k_count,
        smoothed_k=smoothed_k,
    )
    counts = clustered_counts
    for array in (pca.center, pca.components, pca.eigenvalues, counts.agree, counts.disagree, counts.seen):
        _frozen(array)
    return OpinionMap(
        projection=_frozen(projection),
        clustered=_frozen(in_conv.copy()),
        group_of=_frozen(group_of),
        groups=groups,
        consensus=consensus,
        group_informed_consensus=_frozen(group_informed_consensus(raw.agree, raw.seen)),
        group_informed_consensus_disagree=_frozen(group_informed_consensus(raw.disagree, raw.seen)),
        statement_projection=_frozen(statement_projection),
        statement_extremity=_frozen(np.hypot(statement_projection[:, 0], statement_projection[:, 1])),
        statement_counts=clustered_counts,
        silhouettes=MappingProxyType(silhouettes),
        k=n_groups,
        pca=Components(center=pca.center, components=pca.components, eigenvalues=pca.eigenvalues),
        state=state,
        parameters=parameters,
    )


def representative_statements_for(
    votes: sp.sparray | sp.spmatrix,
    group_of: npt.ArrayLike,
    *,
    moderated_out: Selection = (),
    pick: int = 5,
) -> dict[int, tuple[RepresentativeStatement, ...]]:
    """Representative statements (§5.6) of any grouping: ``group_of[i]`` is participant i's group id,
    or -1 for one in no group. Used to check the statistics against another tool's groups."""
    votes = check_votes(votes)
    labels = np.asarray(group_of, dtype=np.int64)
    if labels.shape != (votes.shape[0],):
        raise ValueError("group_of needs one entry per participant (row of votes)")
    cols = columns(votes, _statement_mask(moderated_out, votes.shape[1]))
    group_ids = np.unique(labels[labels >= 0])
    positions = np.where(labels >= 0, np.searchsorted(group_ids, labels), -1)
    counts = count_votes(votes, row_of_each_vote(votes), positions, group_ids.size, zeroed=cols.zeroed)
    return representative_statements(counts, group_ids, cols.active, pick=pick)


def _statement_mask(selection: Selection, m: int) -> Bools:
    array = selection if isinstance(selection, np.ndarray) else np.asarray(list(selection), dtype=np.int64)
    if array.dtype == bool:
        if array.shape != (m,):
            raise ValueError("a boolean moderated_out needs one entry per statement")
        return array.astype(bool)
    mask = np.zeros(m, dtype=bool)
    indices = array.astype(np.int64).ravel()
    mask[indices[(indices >= 0) & (indices < m)]] = True
    return mask


def _pad(array: npt.NDArray[G], shape: tuple[int, ...], fill: float = 0) -> npt.NDArray[G]:
    padded = np.full(shape, fill, dtype=array.dtype)
    padded[tuple(slice(0, s) for s in array.shape)] = array
    return padded


def _frozen(array: npt.NDArray[G]) -> npt.NDArray[G]:
    array.setflags(write=False)
    return array


def _in_conv(
    votes: sp.csr_array, cols: Columns, previous: OpinionMap | None, parameters: Parameters
) -> Bools:
    """§5.2 (``conversation.clj`` 217-266): min(7, n_cmts) votes; monotone; at least the 15 most active."""
    n = votes.shape[0]
    counts = np.diff(votes.indptr)
    threshold = max(1, min(parameters.min_votes, cols.n_cmts))
    in_conv = counts >= threshold
    if previous is not None:
        in_conv |= _pad(previous.state.in_conv, (n,), False).astype(bool)
    missing = parameters.greedy_n - int(in_conv.sum())
    if missing > 0:
        candidates = np.flatnonzero(~in_conv & (counts > 0))
        ranked = candidates[np.argsort(-counts[candidates], kind="stable")]
        in_conv[ranked[:missing]] = True
    return in_conv


def _base_clusters(
    points: Floats, members: Ints, n: int, previous: OpinionMap | None, parameters: Parameters
) -> km.Clustering:
    """§5.4: k-means with k = 100 on the clustered participants, warm-started from the last base clusters."""
    if points.shape[0] == 0:
        return km.Clustering(
            ids=np.zeros(0, dtype=np.int64), centers=np.zeros((0, 2)), labels=np.zeros(0, dtype=np.int64)
        )
    if previous is not None and previous.state.base_ids.size:
        earlier = _pad(previous.state.base_of, (n,), -1)[members]
        ids, centers = km.clean_start(points, earlier.astype(np.int64), parameters.base_k)
    else:
        ids, centers = km.cold_start(points, parameters.base_k)
    return km.kmeans(points, ids, centers, max_iters=parameters.base_iters)


def _group_clusterings(
    base: km.Clustering, sizes: Ints, previous: OpinionMap | None, parameters: Parameters
) -> tuple[dict[int, km.Clustering], dict[int, float]]:
    """§5.5: weighted k-means over the base clusters for k = 2..max-k, each scored by silhouette."""
    clusterings: dict[int, km.Clustering] = {}
    silhouettes: dict[int, float] = {}
    n_base = len(base)
    if n_base == 0:
        return clusterings, silhouettes
    max_k = min(parameters.max_k, 2 + n_base // 12)
    weights = sizes.astype(np.float64)
    for k in range(2, max_k + 1):
        earlier = _earlier_groups(base.ids, previous, k)
        if earlier is not None:
            ids, centers = km.clean_start(base.centers, earlier, k, weights=weights)
        else:
            ids, centers = km.cold_start(base.centers, k)
        clustering = km.kmeans(base.centers, ids, centers, max_iters=parameters.group_iters, weights=weights)
        clusterings[k] = clustering
        silhouettes[k] = km.silhouette(base.centers, clustering)
    return clusterings, silhouettes


def _earlier_groups(base_ids: Ints, previous: OpinionMap | None, k: int) -> Ints | None:
    """The group id each current base cluster had in the last update's k-clustering (-1 if new)."""
    if previous is None or k not in previous.state.group_clusterings:
        return None
    old_ids = previous.state.base_ids
    if old_ids.size == 0:
        return None
    old_groups = previous.state.group_clusterings[k]
    order = np.argsort(old_ids)
    where = order[np.clip(np.searchsorted(old_ids, base_ids, sorter=order), 0, old_ids.size - 1)]
    earlier = np.where(old_ids[where] == base_ids, old_groups[where], -1).astype(np.int64)
    return earlier if (earlier >= 0).any() else None


def _smooth_k(
    silhouettes: Mapping[int, float], previous: OpinionMap | None, parameters: Parameters
) -> tuple[int | None, int, int | None]:
    """``group-k-smoother``: a new best k is shown only once it has won ``k_buffer`` updates in a row."""
    if not silhouettes:
        return None, 0, None
    best = max(silhouettes.values())
    this_k = max(k for k, score in silhouettes.items() if score == best)  # max-key keeps the last tie
    last_k = previous.state.last_k if previous is not None else None
    last_count = previous.state.last_k_count if previous is not None else 0
    smoothed = previous.state.smoothed_k if previous is not None else None
    count = last_count + 1 if last_k == this_k else 1
    if count >= parameters.k_buffer or smoothed is None or smoothed not in silhouettes:
        smoothed = this_k
    return this_k, count, smoothed


def _group(
    gid: int, members: Ints, center: Floats, representative: tuple[RepresentativeStatement, ...]
) -> Group:
    return Group(
        id=gid,
        members=_frozen(members.astype(np.int64)),
        center=(float(center[0]), float(center[1])),
        representative=representative,
    )


def _total(counts: VoteCounts) -> VoteCounts:
    """The counts of all rows together, as one row."""
    return VoteCounts(
        agree=counts.agree.sum(axis=0, keepdims=True),
        disagree=counts.disagree.sum(axis=0, keepdims=True),
        seen=counts.seen.sum(axis=0, keepdims=True),
    )

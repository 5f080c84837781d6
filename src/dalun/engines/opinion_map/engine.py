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
    base = _base_clusters(points, members, n, previous, parameters, seed)
    base_sizes = np.bincount(base.labels, minlength=len(base)).astype(np.int64)

    # §5.5: groups of participants, k by silhouette, smoothed over updates.
    clusterings, silhouettes = _group_clusterings(points, members, n, base, previous, parameters, seed)
    last_k, last_k_count, smoothed_k = _smooth_k(silhouettes, previous, parameters)
    chosen = clusterings.get(smoothed_k) if smoothed_k is not None else None

    group_of = np.full(n, -1, dtype=np.int64)
    position_of = np.full(n, -1, dtype=np.int64)  # the group's position in ``chosen.ids``
    if chosen is not None:
        position_of[members] = chosen.labels
        group_of[members] = chosen.ids[chosen.labels]
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
        group_clusterings=MappingProxyType(
            {k: _frozen(_per_participant(c, members, n)) for k, c in clusterings.items()}
        ),
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
    points: Floats, members: Ints, n: int, previous: OpinionMap | None, parameters: Parameters, seed: int
) -> km.Clustering:
    """§5.4: k-means with k = 100 on the clustered participants, warm-started from the last base clusters.

    A cold start takes k-means++ starting points (:func:`~.kmeans.plus_plus`) where Pol.is takes the first
    100 distinct points in row order: the base clusters, and all that is built on them, then do not
    depend on how the participants happen to be numbered.
    """
    if points.shape[0] == 0:
        return km.Clustering(
            ids=np.zeros(0, dtype=np.int64), centers=np.zeros((0, 2)), labels=np.zeros(0, dtype=np.int64)
        )
    if previous is not None and previous.state.base_ids.size:
        earlier = _pad(previous.state.base_of, (n,), -1)[members]
        ids, centers = km.clean_start(points, earlier.astype(np.int64), parameters.base_k)
    else:
        ids, centers = km.plus_plus(points, parameters.base_k, np.random.default_rng([seed, 0]))
    return km.kmeans(points, ids, centers, max_iters=parameters.base_iters)


def _group_clusterings(
    points: Floats,
    members: Ints,
    n: int,
    base: km.Clustering,
    previous: OpinionMap | None,
    parameters: Parameters,
    seed: int,
) -> tuple[dict[int, km.Clustering], dict[int, float]]:
    """§5.5: for k = 2..max-k a clustering of the participants (``labels`` per clustered participant),
    each scored by silhouette.

    A warm start runs from the last update's k-group clustering, re-centred on today's positions (as Pol.is
    does, so that groups keep their ids and do not flicker). A cold start has no history to follow, and
    there we differ from Pol.is on purpose, so that the groups are a property of the map alone:

    * Pol.is runs one weighted k-means over the base clusters from their first k in row order. We run it
      from ``group_starts`` k-means++ starts, so no arbitrary start decides.
    * Pol.is gives every participant the group of its base cluster. We take the ``group_candidates``
      best base-level runs (lowest weighted inertia) on to the participants themselves, by Lloyd's steps
      until nobody changes group, add ``member_starts`` k-means++ starts on the participants, and keep
      the run with the lowest inertia: every participant is then in the group whose centre is nearest
      (the k-means condition), where a base cluster astride a border would have pulled all its members
      to one side. The base level finds good candidates at the cost of 100 points; the participants
      settle them. It matters where groups are not well apart (vtaiwan: the best split of the base
      clusters moves with the base clusters, the best split of the participants does not), and there
      the few starts on the participants make the best split found the same for every seed we tried.
    * Pol.is scores each k by the silhouette of the base clusters, each counted once; we score the
      participants' silhouette (:func:`_silhouette`), as a sparse outlying base cluster of 3 should not
      weigh as much as a dense one of 3,000.
    """
    clusterings: dict[int, km.Clustering] = {}
    silhouettes: dict[int, float] = {}
    if len(base) == 0:
        return clusterings, silhouettes
    max_k = min(parameters.max_k, 2 + len(base) // 12)
    weights = np.bincount(base.labels, minlength=len(base)).astype(np.float64)
    for k in range(2, max_k + 1):
        earlier = _earlier_groups(previous, k, members, n)
        if earlier is not None:
            ids, centers = km.clean_start(points, earlier, k)
            clustering = km.kmeans(points, ids, centers, max_iters=parameters.member_iters, tolerance=0.0)
        else:
            clustering = _cold_groups(points, base, weights, k, parameters, np.random.default_rng([seed, k]))
        clusterings[k] = clustering
        silhouettes[k] = _silhouette(points, base, clustering)
    return clusterings, silhouettes


def _cold_groups(
    points: Floats,
    base: km.Clustering,
    weights: Floats,
    k: int,
    parameters: Parameters,
    rng: np.random.Generator,
) -> km.Clustering:
    """The best k-group clustering of ``points`` found from k-means++ starts on the base clusters and on
    the participants (see :func:`_group_clusterings`), with ids 0..k-1 from the largest group down."""
    starts = km.plus_plus_many(base.centers, k, rng, weights=weights, starts=max(1, parameters.group_starts))
    runs = km.kmeans_many(base.centers, starts, max_iters=parameters.group_iters, weights=weights)
    scores = [km.inertia(base.centers, run, weights=weights) for run in runs]
    candidates: list[Floats] = []
    settled: list[float] = []
    for position in np.argsort(scores, kind="stable"):  # equal scores keep the order of the draws
        if len(candidates) >= max(1, parameters.group_candidates):
            break
        if settled and np.isclose(scores[position], settled[-1], rtol=1e-9, atol=0.0):
            continue  # the same clustering reached from another start
        settled.append(scores[position])
        candidates.append(_padded_centers(runs[position], k))
    candidates.extend(km.plus_plus_many(points, k, rng, starts=parameters.member_starts))
    refined = km.kmeans_many(points, np.stack(candidates), max_iters=parameters.member_iters, tolerance=0.0)
    values = [km.inertia(points, run) for run in refined]
    return _largest_first(refined[int(np.argmin(values))])  # the first of equal ones


def _padded_centers(clustering: km.Clustering, k: int) -> Floats:
    """A clustering's centres as a start for :func:`~.kmeans.kmeans_many` (NaN rows for dropped ones)."""
    centers = np.full((k, 2), np.nan)
    centers[: len(clustering)] = clustering.centers
    return centers


def _largest_first(clustering: km.Clustering) -> km.Clustering:
    """The same clustering with ids 0..k-1 by decreasing size (then by centre), so that a cold start's ids
    do not depend on which start won."""
    sizes = np.bincount(clustering.labels, minlength=len(clustering))
    order = np.lexsort((clustering.centers[:, 1], clustering.centers[:, 0], -sizes))
    rank = np.empty_like(order)
    rank[order] = np.arange(order.size)
    return km.Clustering(
        ids=np.arange(order.size, dtype=np.int64),
        centers=clustering.centers[order],
        labels=rank[clustering.labels].astype(np.int64),
    )


def _silhouette(points: Floats, base: km.Clustering, clustering: km.Clustering) -> float:
    """The participants' mean silhouette, with the participants who share a base cluster and a group
    placed at their mean position.

    Exact for the base clusters' resolution, and it costs O(pieces²), about 100 pieces, instead of
    O(participants²): the scale allows nothing finer. A piece of w participants counts w times.
    """
    k = len(clustering)
    key = base.labels * k + clustering.labels
    keys, piece = np.unique(key, return_inverse=True)
    piece = piece.ravel()
    counts = np.bincount(piece).astype(np.float64)
    centers = np.stack([np.bincount(piece, weights=points[:, d]) for d in range(2)], axis=1) / counts[:, None]
    pieces = km.Clustering(ids=clustering.ids, centers=clustering.centers, labels=(keys % k).astype(np.int64))
    return km.silhouette(centers, pieces, weights=counts)


def _earlier_groups(previous: OpinionMap | None, k: int, members: Ints, n: int) -> Ints | None:
    """The group id each clustered participant had in the last update's k-group clustering (-1 if new)."""
    if previous is None or k not in previous.state.group_clusterings:
        return None
    state = previous.state
    old = np.asarray(state.group_clusterings[k], dtype=np.int64)
    if old.size != previous.n_participants and old.size == state.base_ids.size and old.size:
        # Saved before groups were refined on participants: one group id per base cluster.
        order = np.argsort(state.base_ids)
        where = order[np.clip(np.searchsorted(state.base_ids, state.base_of, sorter=order), 0, old.size - 1)]
        known = (state.base_of >= 0) & (state.base_ids[where] == state.base_of)
        old = np.where(known, old[where], -1).astype(np.int64)
    if old.size != previous.n_participants:
        return None
    earlier = _pad(old, (n,), -1)[members]
    return earlier if (earlier >= 0).any() else None


def _per_participant(clustering: km.Clustering, members: Ints, n: int) -> Ints:
    """Group id of every participant in ``clustering`` (-1 for those not clustered)."""
    ids = np.full(n, -1, dtype=np.int64)
    ids[members] = clustering.ids[clustering.labels]
    return ids


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

"""k-means as Pol.is runs it, for base clusters and groups, and the silhouette (POLIS-METHOD §5.4, §5.5).

``clusters.clj``: a step assigns every point to its nearest centre (Euclidean), moves each centre to the
(weighted) mean of its members and drops centres left without members (``cluster-step``); it stops when
no centre moved by 0.01 or more (``same-clustering?``, see :func:`kmeans` for how we read it) or after
``max_iters`` steps. A warm start re-centres the previous clusters on the new positions, merges identical
ones and splits off the most distal points until there are k (``clean-start-clusters``). Cluster ids
survive a warm start, so a group keeps its id.

Cold starts differ from Pol.is's on purpose. Pol.is takes the first k distinct points in row order
(``init-clusters``), so the map depends on the order in which participants happen to be numbered: on
real conversations a reshuffle of the rows moved the agreement with Pol.is's own groups between 0.20 and
0.95. :func:`plus_plus` draws k-means++ starting points from a seeded generator over the points in
sorted order instead, which depends on the set of points and the seed only, and :func:`inertia` lets the
caller keep the best of several starts; :func:`plus_plus_many` and :func:`kmeans_many` draw and run
many starts together.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

Floats = npt.NDArray[np.float64]
Ints = npt.NDArray[np.int64]

SAME_CLUSTERING = 0.01  # ``same-clustering?`` threshold
_CHUNK = 512
_SLACK = 1e-9  # rounding allowance on the bounds: a point this close to a tie is measured again
_PLAIN = 4096  # up to this many point-centre distances per step, one run measures them all
_TOGETHER = 2**18  # ... and several runs at once up to this many


@dataclass(frozen=True, eq=False)
class Clustering:
    """``ids[c]`` and ``centers[c]`` of each cluster; ``labels[i]`` is the position (not the id) of point
    i's cluster. Every cluster has at least one member."""

    ids: Ints
    centers: Floats
    labels: Ints

    def __len__(self) -> int:
        return int(self.ids.size)


def first_distinct(points: Floats, k: int) -> Ints:
    """Positions of the first ``k`` distinct rows of ``points``, in row order (``init-clusters``)."""
    if points.shape[0] == 0:
        return np.zeros(0, dtype=np.int64)
    _, first = np.unique(points, axis=0, return_index=True)
    return np.sort(first)[:k].astype(np.int64)


def nearest(points: Floats, centers: Floats) -> tuple[Ints, Floats, Floats]:
    """Position of the nearest centre of every point (the first one on a tie), the distance to it and
    the distance to the second nearest (infinite when there is one centre).

    Small blocks of rows with reused buffers keep the work in cache: about twice as fast as one
    broadcast over all points, and it never holds more than a block of distances.
    """
    n = points.shape[0]
    labels = np.empty(n, dtype=np.int64)
    first = np.empty(n)
    second = np.full(n, np.inf)
    cx, cy = centers[:, 0], centers[:, 1]
    squared = np.empty((_CHUNK, centers.shape[0]))
    other = np.empty_like(squared)
    for start in range(0, n, _CHUNK):
        block = points[start : start + _CHUNK]
        rows = np.arange(block.shape[0])
        d, e = squared[: block.shape[0]], other[: block.shape[0]]
        np.subtract(block[:, 0:1], cx, out=d)
        np.square(d, out=d)
        np.subtract(block[:, 1:2], cy, out=e)
        np.square(e, out=e)
        d += e
        here = np.argmin(d, axis=1)
        labels[start : start + block.shape[0]] = here
        first[start : start + block.shape[0]] = d[rows, here]
        if centers.shape[0] > 1:
            d[rows, here] = np.inf
            second[start : start + block.shape[0]] = d.min(axis=1)
    return labels, np.sqrt(first), np.sqrt(second)


def _weighted_means(points: Floats, labels: Ints, weights: Floats, n: int) -> tuple[Floats, Floats]:
    mass = np.bincount(labels, weights=weights, minlength=n).astype(np.float64)
    sums = np.stack(
        [np.bincount(labels, weights=weights * points[:, d], minlength=n) for d in range(2)], axis=1
    ).astype(np.float64)
    return sums, mass


def kmeans(
    points: Floats,
    ids: Ints,
    centers: Floats,
    *,
    max_iters: int,
    weights: Floats | None = None,
    tolerance: float = SAME_CLUSTERING,
) -> Clustering:
    """Repeat ``cluster-step`` from the given centres until no centre moves by ``tolerance`` (0.01, as in
    Pol.is) or more, or for ``max_iters`` steps. With ``tolerance=0`` it runs until no centre moves at all:
    no point changes cluster any more, and every point is in the cluster whose centre is nearest.

    The steps are Lloyd's, computed with Hamerly's bounds: a point cannot change cluster while its
    distance to its centre (plus that centre's moves) stays below its distance to the second nearest
    centre (minus the largest other moves) or below half the distance from its centre to the next
    centre, so only the other points are measured again. The result is the same as measuring every
    point every time; a converging run touches few points per step. Small problems, where keeping the
    bounds costs more than it saves, measure every point (:func:`kmeans_many`).

    Convergence is judged per cluster (each centre against its own previous position). Pol.is's
    ``same-clustering?`` sorts both lists of centres and compares them in that order, so two centres
    with nearly equal x swap places and look like a large move: with 100 base clusters it almost never
    stops before ``max_iters``. Comparing a cluster with itself is what that test means to do.
    """
    w = np.ones(points.shape[0]) if weights is None else weights
    if points.shape[0] * len(ids) <= _PLAIN:
        (run,) = _lloyd_together(points, centers[None], max_iters=max_iters, weights=w, tolerance=tolerance)
        return Clustering(ids=ids[run.ids], centers=run.centers, labels=run.labels)
    labels, upper, lower = nearest(points, centers)
    for _ in range(max(1, max_iters)):
        kept = np.bincount(labels, minlength=len(ids)) > 0
        sums, mass = _weighted_means(points, labels, w, len(ids))
        new_centers = sums[kept] / mass[kept, None]
        moved = np.hypot(*(new_centers - centers[kept]).T)
        labels = (np.cumsum(kept) - 1)[labels]
        ids, centers = ids[kept], new_centers
        if kept.all() and bool(np.all(moved < tolerance) if tolerance > 0 else not np.any(moved)):
            break
        # Bounds for the next assignment (a dropped centre only makes the second nearest farther).
        upper += moved[labels]
        if moved.size > 1:
            largest = int(np.argmax(moved))
            runner_up = float(np.max(np.delete(moved, largest)))
            lower -= np.where(labels == largest, runner_up, moved[largest])
        # A point within half the distance from its centre to the next centre cannot move either.
        between = np.hypot(
            centers[:, None, 0] - centers[None, :, 0], centers[:, None, 1] - centers[None, :, 1]
        )
        np.fill_diagonal(between, np.inf)
        bound = np.maximum(lower, between.min(axis=1)[labels] / 2)
        stale = np.flatnonzero(upper + _SLACK > bound)
        if stale.size:
            upper[stale] = np.hypot(*(points[stale] - centers[labels[stale]]).T)
            stale = stale[upper[stale] + _SLACK > bound[stale]]
            labels[stale], upper[stale], lower[stale] = nearest(points[stale], centers)
    return Clustering(ids=ids, centers=centers, labels=labels)


def kmeans_many(
    points: Floats,
    centers: Floats,
    *,
    max_iters: int,
    weights: Floats | None = None,
    tolerance: float = SAME_CLUSTERING,
) -> list[Clustering]:
    """:func:`kmeans` from each of several starts: ``centers`` is starts x k x 2, a NaN row standing for
    no centre (see :func:`plus_plus_many`); ids are the positions 0..k-1 of the centres that survive.

    Small problems (the groups over 100 base clusters, dozens of starts per update) run all the starts
    together with every distance measured at every step: one vectorised step for all of them costs
    about what a step of one costs. Larger ones run :func:`kmeans` once per start.
    """
    starts, k = centers.shape[0], centers.shape[1]
    w = np.ones(points.shape[0]) if weights is None else weights
    if starts * points.shape[0] * k > _TOGETHER:
        runs = []
        for start in centers:
            alive = np.flatnonzero(~np.isnan(start[:, 0]))
            run = kmeans(points, alive, start[alive], max_iters=max_iters, weights=w, tolerance=tolerance)
            runs.append(run)
        return runs
    return _lloyd_together(points, centers, max_iters=max_iters, weights=w, tolerance=tolerance)


def _lloyd_together(
    points: Floats, centers: Floats, *, max_iters: int, weights: Floats, tolerance: float
) -> list[Clustering]:
    """:func:`kmeans`'s steps for several starts at once, measuring every point every time.

    A centre that is no more (NaN in ``centers``, or left without members) sits at infinity, where no
    point is nearest to it; a run stops when it dropped no centre and none moved by ``tolerance``.
    """
    starts, k, n = centers.shape[0], centers.shape[1], points.shape[0]
    centers = np.where(np.isnan(centers), np.inf, centers)
    tiled = np.tile(np.stack([weights, weights * points[:, 0], weights * points[:, 1]]), (1, starts))
    labels = _closest(points, centers)
    running = np.arange(starts)
    for _ in range(max(1, max_iters)):
        r = running.size
        flat = (labels[running] + (np.arange(r) * k)[:, None]).ravel()
        empty = (np.bincount(flat, minlength=r * k) == 0).reshape(r, k)
        mass, x, y = (np.bincount(flat, weights=tiled[i, : r * n], minlength=r * k) for i in range(3))
        with np.errstate(invalid="ignore", divide="ignore"):
            new_centers = np.stack([x / mass, y / mass], axis=-1).reshape(r, k, 2)
        new_centers[empty] = np.inf
        old = centers[running]
        with np.errstate(invalid="ignore"):
            moved = np.hypot(new_centers[..., 0] - old[..., 0], new_centers[..., 1] - old[..., 1])
        dropped = np.any(empty & np.isfinite(old[..., 0]), axis=1)
        still = np.any(moved >= tolerance, axis=1) if tolerance > 0 else np.any(moved > 0, axis=1)
        centers[running] = new_centers
        running = running[dropped | still]
        if running.size == 0:
            break
        labels[running] = _closest(points, centers[running])
    runs = []
    for start in range(starts):
        alive = np.isfinite(centers[start, :, 0])
        runs.append(
            Clustering(
                ids=np.flatnonzero(alive).astype(np.int64),
                centers=centers[start, alive],
                labels=(np.cumsum(alive) - 1)[labels[start]].astype(np.int64),
            )
        )
    return runs


def _closest(points: Floats, centers: Floats) -> Ints:
    """Position of the nearest centre (the first on a tie; never one at infinity) of every point, for
    every start: ``centers`` is starts x k x 2, the result starts x n."""
    squared = np.square(points[None, :, 0:1] - centers[:, None, :, 0])
    squared += np.square(points[None, :, 1:2] - centers[:, None, :, 1])
    return np.argmin(squared, axis=2).astype(np.int64)


def canonical_order(points: Floats) -> Ints:
    """The rows of ``points`` sorted by x, then y: the same sequence of positions whatever the row order."""
    return np.lexsort((points[:, 1], points[:, 0])).astype(np.int64)


def plus_plus(
    points: Floats, k: int, rng: np.random.Generator, *, weights: Floats | None = None
) -> tuple[Ints, Floats]:
    """k-means++ starting points (Arthur and Vassilvitskii 2007): ids 0..k-1 on up to ``k`` distinct points.

    The first is drawn with probability proportional to its weight, each next one proportional to its
    weight times its squared distance to the nearest point already drawn, so the starts spread over the
    map, far from any arbitrary corner. Draws run over the points in :func:`canonical_order`, so the
    result depends on the points and the generator, never on the order of the rows. Fewer than ``k``
    come back when there are fewer distinct points.
    """
    (start,) = plus_plus_many(points, k, rng, weights=weights, starts=1)
    centers = start[~np.isnan(start[:, 0])]
    return np.arange(centers.shape[0], dtype=np.int64), centers


def plus_plus_many(
    points: Floats, k: int, rng: np.random.Generator, *, weights: Floats | None = None, starts: int
) -> Floats:
    """``starts`` independent draws of :func:`plus_plus`, drawn together: starts x k x 2, with NaN rows
    where there were fewer than ``k`` distinct points (:func:`kmeans_many` reads them as no centre)."""
    n = points.shape[0]
    centers = np.full((starts, max(k, 0), 2), np.nan)
    if n == 0 or k <= 0 or starts <= 0:
        return centers
    order = canonical_order(points)
    sorted_points = points[order]
    w = np.ones(n) if weights is None else np.asarray(weights, dtype=np.float64)[order]
    every = np.arange(starts)
    chosen = _draw(np.broadcast_to(w, (starts, n)), rng)
    centers[:, 0] = sorted_points[chosen]
    squared = np.square(sorted_points[None, :, 0] - centers[:, 0:1, 0])
    squared += np.square(sorted_points[None, :, 1] - centers[:, 0:1, 1])
    for j in range(1, k):
        mass = w * squared
        drawable = mass.sum(axis=1) > 0
        if not drawable.any():
            break
        if not drawable.all():  # fewer distinct points than k in some rows: those stop here
            mass[~drawable] = 1.0
        chosen = _draw(mass, rng)
        centers[every[drawable], j] = sorted_points[chosen[drawable]]
        nearer = np.square(sorted_points[None, :, 0] - sorted_points[chosen, 0][:, None])
        nearer += np.square(sorted_points[None, :, 1] - sorted_points[chosen, 1][:, None])
        nearer[~drawable] = np.inf
        np.minimum(squared, nearer, out=squared)
    return centers


def _draw(mass: Floats, rng: np.random.Generator) -> Ints:
    """One position per row drawn with probability proportional to that row of ``mass`` (not all zero)."""
    cumulative = np.cumsum(mass, axis=1)
    threshold = rng.random(mass.shape[0]) * cumulative[:, -1]
    position = np.sum(cumulative <= threshold[:, None], axis=1)
    return np.minimum(position, mass.shape[1] - 1).astype(np.int64)


def inertia(points: Floats, clustering: Clustering, *, weights: Floats | None = None) -> float:
    """The (weighted) sum of squared distances from each point to its cluster's centre: what k-means
    lowers at every step, hence the measure for keeping the best of several runs."""
    offsets = points - clustering.centers[clustering.labels]
    squared = np.sum(offsets * offsets, axis=1)
    return float(squared.sum() if weights is None else squared @ weights)


def clean_start(
    points: Floats, previous: Ints, k: int, *, weights: Floats | None = None
) -> tuple[Ints, Floats]:
    """``clean-start-clusters``: the previous clusters re-centred on today's points, then split to k.

    ``previous[i]`` is the id of the cluster point i belonged to last time, or -1 for a point that is new.
    Clusters left without members are dropped (all of them: one cluster of every point), clusters whose
    centres coincide are merged (keeping the id of the larger), and while there are fewer clusters than
    ``min(k, distinct points)`` the point farthest from every centre becomes a cluster of its own.
    """
    n = points.shape[0]
    w = np.ones(n) if weights is None else weights
    old_ids = np.unique(previous[previous >= 0])
    owner = np.searchsorted(old_ids, previous)
    owner[previous < 0] = -1
    member = owner >= 0
    counts = np.bincount(owner[member], minlength=old_ids.size)
    sums, mass = _weighted_means(points[member], owner[member], w[member], old_ids.size)
    if old_ids.size == 0:
        ids = np.array([0], dtype=np.int64)
        owner = np.zeros(n, dtype=np.int64)
        sums, mass = _weighted_means(points, owner, w, 1)
        counts = np.array([n])
    else:
        ids = old_ids.astype(np.int64)
    # uniqify-clusters: merge clusters with identical centres, keeping the id of the larger.
    centers = sums / mass[:, None]
    _, first, which = np.unique(centers, axis=0, return_index=True, return_inverse=True)
    which = which.ravel()
    if first.size < ids.size:
        keep_ids = np.empty(first.size, dtype=np.int64)
        for group in range(first.size):
            together = np.flatnonzero(which == group)
            biggest = together[np.flatnonzero(counts[together] == counts[together].max())[-1]]
            keep_ids[group] = ids[biggest]
        owner = np.where(owner >= 0, which[np.maximum(owner, 0)], -1)
        ids = keep_ids
        counts = np.bincount(which, weights=counts, minlength=first.size).astype(np.int64)
        sums = np.stack(
            [np.bincount(which, weights=sums[:, d], minlength=first.size) for d in range(2)], 1
        ).astype(np.float64)
        mass = np.bincount(which, weights=mass, minlength=first.size).astype(np.float64)
    possible = min(k, first_distinct(points, k).size) if ids.size < k else k
    ids_list = list(ids)
    sums_list = list(sums)
    mass_list = list(mass)
    counts_list = list(counts)
    centers_list = [s / m for s, m in zip(sums_list, mass_list, strict=True)]
    alive_count = len(ids_list)
    if alive_count < possible:
        distance = np.stack([np.hypot(*(points - c).T) for c in centers_list], axis=1)
        while alive_count < possible:
            closest = distance.min(axis=1)
            outlier = int(closest.size - 1 - np.argmax(closest[::-1]))
            if closest[outlier] <= 0:
                break
            old = int(owner[outlier])
            if old >= 0:
                sums_list[old] = sums_list[old] - w[outlier] * points[outlier]
                mass_list[old] = mass_list[old] - w[outlier]
                counts_list[old] -= 1
                if counts_list[old] > 0:
                    centers_list[old] = sums_list[old] / mass_list[old]
                    distance[:, old] = np.hypot(*(points - centers_list[old]).T)
                else:
                    distance[:, old] = np.inf
                    alive_count -= 1
            alive_count += 1
            owner[outlier] = len(ids_list)
            ids_list.append(max(ids_list) + 1)
            sums_list.append(w[outlier] * points[outlier])
            mass_list.append(w[outlier])
            counts_list.append(1)
            centers_list.append(points[outlier].copy())
            distance = np.column_stack([distance, np.hypot(*(points - points[outlier]).T)])
    alive = np.array(counts_list) > 0
    final_ids = np.array(ids_list, dtype=np.int64)[alive]
    final_centers = np.array(centers_list, dtype=np.float64).reshape(-1, 2)[alive]
    order = np.argsort(final_ids, kind="stable")
    return final_ids[order], final_centers[order]


def silhouette(points: Floats, clustering: Clustering, *, weights: Floats | None = None) -> float:
    """Mean silhouette over the points (``clusters.clj`` ``silhouette``); with ``weights``, over the
    participants they stand for.

    Unweighted, this is Pol.is's formula: a point alone in its cluster scores 0, as in Pol.is; so does
    every point of a one-cluster clustering (where Pol.is has no answer). ``weights[i]`` counts point i as
    that many participants at the same place: the others at that place are at distance 0 from it, a
    cluster of one participant scores 0, and the mean is over participants.
    """
    n = points.shape[0]
    c = len(clustering)
    if n == 0 or c < 2:
        return 0.0
    w = np.ones(n) if weights is None else np.asarray(weights, dtype=np.float64)
    distance = np.hypot(points[:, None, 0] - points[None, :, 0], points[:, None, 1] - points[None, :, 1])
    mass = np.zeros((n, c))
    mass[np.arange(n), clustering.labels] = w
    sizes = mass.sum(axis=0)
    totals = distance @ mass
    own = clustering.labels
    own_size = sizes[own]
    alone = own_size <= 1
    a = np.divide(totals[np.arange(n), own], own_size - 1, out=np.zeros(n), where=~alone)
    others = np.divide(totals, sizes[None, :], out=np.full((n, c), np.inf), where=sizes[None, :] > 0)
    others[np.arange(n), own] = np.inf
    b = others.min(axis=1)
    largest = np.maximum(a, b)
    score = np.divide(b - a, largest, out=np.zeros(n), where=(largest > 0) & np.isfinite(b))
    score[alone] = 0.0
    return float(score @ w / w.sum())

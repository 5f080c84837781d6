"""The plain, immutable results of one opinion-map update, and the parameters that produced them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

import numpy as np
import numpy.typing as npt

from .pca import Components
from .statements import ConsensusStatement, RepresentativeStatement, VoteCounts, statement_priorities

Floats = npt.NDArray[np.float64]
Ints = npt.NDArray[np.int64]
Bools = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class Parameters:
    """Pol.is's settings (``conversation.clj`` ``base-conv-update-graph``), named as in POLIS-METHOD, and the
    few of our own that choose among several k-means runs (see ``engine._group_clusterings``)."""

    min_votes: int = 7  # a participant is clustered after min(7, n_cmts) votes (§5.2)
    greedy_n: int = 15  # ... or as one of the 15 most active while fewer than 15 qualify
    base_k: int = 100  # base clusters (§5.4)
    base_iters: int = 100
    max_k: int = 5  # groups: k = 2..min(max_k, 2 + n_base // 12) (§5.5)
    group_iters: int = 20  # what ``kmeans`` really runs (the ``:group-iters 100`` is never read)
    k_buffer: int = 4  # a new best k is adopted after winning this many updates in a row
    # Ours, for a cold start (no previous map), per k: k-means++ starts on the base clusters, how many of
    # their best runs go on to the participants, k-means++ starts on the participants themselves; and the
    # most steps of a k-means on the participants (see ``engine._group_clusterings``).
    group_starts: int = 20
    group_candidates: int = 3
    member_starts: int = 4
    member_iters: int = 100
    pick: int = 5  # representative statements per group, consensus statements per direction
    dense_pca_limit: int = 400  # up to this many active statements, exact eigh on the Gram matrix


@dataclass(frozen=True, eq=False)
class Group:
    """One opinion group: its stable ``id``, its ``members`` (participant rows, sorted), the ``center``
    (the mean position of its members) and its representative statements."""

    id: int
    members: Ints = field(repr=False)
    center: tuple[float, float]
    representative: tuple[RepresentativeStatement, ...]

    @property
    def size(self) -> int:
        return int(self.members.size)


@dataclass(frozen=True, eq=False)
class WarmState:
    """What the next update starts from (Pol.is keeps the same in its conversation record).

    ``in_conv``: the participants clustered so far (once in, always in). ``base_of``: each participant's
    base-cluster id (-1 if none), ``base_ids``/``base_centers``/``base_sizes`` the base clusters.
    ``group_clusterings[k]``: the group id of each participant (-1 if not clustered) in the k-group
    clustering (maps saved before groups were refined on participants hold one id per base cluster,
    aligned with ``base_ids``; a warm start reads both). ``last_k``, ``last_k_count``, ``smoothed_k``:
    ``group-k-smoother``'s memory.
    """

    in_conv: Bools = field(repr=False)
    base_of: Ints = field(repr=False)
    base_ids: Ints = field(repr=False)
    base_centers: Floats = field(repr=False)
    base_sizes: Ints = field(repr=False)
    group_clusterings: Mapping[int, Ints] = field(repr=False)
    last_k: int | None
    last_k_count: int
    smoothed_k: int | None


@dataclass(frozen=True, eq=False)
class OpinionMap:
    """The map of one update. Arrays are read-only; rows are participants, columns statements.

    ``projection``: (n, 2) position of each participant. ``clustered``: taken into the groups.
    ``group_of``: group id of each participant, -1 for those not clustered. ``groups``: sorted by id.
    ``consensus``: the statements most participants agree with, then those most disagree with.
    ``group_informed_consensus``: per statement, the product over groups of the smoothed share agreeing
    (``..._disagree``: disagreeing). ``statement_projection``/``statement_extremity``: where agreeing
    with a statement alone would place a participant, and how far that is from the centre.
    ``statement_counts``: agree/disagree/seen over the clustered participants (one row), which the
    voting priority uses. ``silhouettes``: the participants' mean silhouette for each k tried; ``k``: the
    number of groups shown.
    """

    projection: Floats = field(repr=False)
    clustered: Bools = field(repr=False)
    group_of: Ints = field(repr=False)
    groups: tuple[Group, ...]
    consensus: tuple[ConsensusStatement, ...]
    group_informed_consensus: Floats = field(repr=False)
    group_informed_consensus_disagree: Floats = field(repr=False)
    statement_projection: Floats = field(repr=False)
    statement_extremity: Floats = field(repr=False)
    statement_counts: VoteCounts = field(repr=False)
    silhouettes: Mapping[int, float]
    k: int
    pca: Components = field(repr=False)
    state: WarmState = field(repr=False)
    parameters: Parameters = field(repr=False)

    @property
    def n_participants(self) -> int:
        return int(self.projection.shape[0])

    @property
    def n_statements(self) -> int:
        return int(self.statement_extremity.shape[0])

    @property
    def group_sizes(self) -> Mapping[int, int]:
        return MappingProxyType({group.id: group.size for group in self.groups})

    def priorities(self, *, meta: npt.ArrayLike | None = None) -> Floats:
        """:func:`statement_priorities` from this map's counts and extremities."""
        return statement_priorities(
            self.statement_counts.agree[0],
            self.statement_counts.passed[0],
            self.statement_counts.seen[0],
            self.statement_extremity,
            meta=meta,
        )

"""Opinion maps: groups of participants who vote alike, and the statements that set them apart or unite them.

The method is Pol.is's, as ``shared/data/polis/POLIS-METHOD.md`` reads it from ``compdemocracy/polis``
(``math/src/polismath/``); every function cites the section it implements. Pure NumPy/SciPy: no Django.

Input
    ``votes``: a SciPy sparse matrix, participants x statements, in which every *stored* entry is a cast
    vote, ``+1`` agree, ``-1`` disagree, ``0`` pass (an explicit zero), and cells not stored were never
    voted on. Build it with :func:`vote_matrix` from (participant, statement, vote) rows in time order (a
    later vote on a cell replaces the earlier one) and extend it with :func:`with_votes`. The caller maps
    its own ids to rows and columns and keeps that mapping: a row or column must mean the same participant
    or statement in every update (append new ones; never remove or reorder).
    ``moderated_out``: statements hidden by moderation or marked meta (indices, or a boolean mask); as in
    Pol.is they count as a 0 for everyone and never appear among the results.

Call
    ``compute_opinion_map(votes, moderated_out=..., seed=0, warm_start=None, parameters=Parameters())``.
    The result depends only on its inputs. The seed fixes the random start vector of the PCA (the result
    does not depend on it) and the k-means++ starting points of a cold start, of which the best of many
    is kept: on the real conversations of ``docs/opinion-map-validation.md`` every seed tried gives the
    same groups. The order of the rows does not matter: renumber the participants and each keeps its
    group and group id. Pass the previous update's result as ``warm_start`` so that the components keep
    their sign, base clusters and groups start where they were and keep their ids, the clustered
    participants stay clustered, and the number of groups changes only after a new k has won four
    updates in a row: this is what keeps groups from flickering between updates.

Output: :class:`OpinionMap`, frozen, with read-only arrays
    ``projection`` (n x 2), ``clustered`` and ``group_of`` (group id or -1) per participant, each
    clustered participant in the group whose centre is nearest (k-means on the participants runs until
    nobody moves, within ``Parameters.member_iters`` steps); ``groups`` (:class:`Group`: ``id``, 0 for
    the largest group on a cold start, ``members``, ``size``, ``center``, the members' mean position,
    ``representative`` statements, each a
    :class:`RepresentativeStatement` with ``statement``, ``direction`` "agree"/"disagree", counts,
    ``share``, ``share_test``, ``repness``, ``repness_test``); ``group_sizes``; ``consensus``
    (:class:`ConsensusStatement`); ``group_informed_consensus`` (and ``..._disagree``) per statement;
    ``statement_projection`` and ``statement_extremity``; ``silhouettes`` and the chosen ``k``; and
    ``priorities()``, the Pol.is weights for choosing the next statement to show
    (:func:`statement_priorities`, also usable on fresher counts between updates).

Scale
    Nothing is densified over participants x statements: the centred matrix keeps the votes' sparsity,
    the PCA is an eigen-decomposition of ``Y.T @ Y`` (dense only for a few hundred statements, Lanczos on
    the sparse operator beyond), k-means runs on 2-D points in chunks, and counts are ``bincount`` over
    the stored votes. 100,000 participants x 2,000 statements x 5,000,000 votes take seconds.

Helpers: :func:`representative_statements_for` (the statistics for any given grouping) and
:func:`adjusted_rand_index`.
"""

from .engine import compute_opinion_map, representative_statements_for
from .metrics import adjusted_rand_index
from .pca import Components
from .results import Group, OpinionMap, Parameters, WarmState
from .statements import (
    ConsensusStatement,
    RepresentativeStatement,
    VoteCounts,
    statement_priorities,
)
from .votes import check_votes, vote_matrix, with_votes

__all__ = [
    "Components",
    "ConsensusStatement",
    "Group",
    "OpinionMap",
    "Parameters",
    "RepresentativeStatement",
    "VoteCounts",
    "WarmState",
    "adjusted_rand_index",
    "check_votes",
    "compute_opinion_map",
    "representative_statements_for",
    "statement_priorities",
    "vote_matrix",
    "with_votes",
]

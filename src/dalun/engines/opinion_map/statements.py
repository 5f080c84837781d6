"""Statement statistics: representative statements, consensus, group-informed consensus and the voting
priority (POLIS-METHOD §5.6 and §5.7; ``repness.clj``, ``stats.clj``, ``conversation.clj`` 308-327, 615-636).

Counts are arrays over (group, statement); every function here is vectorised except the short walk over
statements that reproduces how ``select-rep-comments`` keeps its "best agree" candidate.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

Floats = npt.NDArray[np.float64]
Ints = npt.NDArray[np.int64]
Bools = npt.NDArray[np.bool_]
Direction = Literal["agree", "disagree"]

Z_90 = 1.2816  # ``z-sig-90?``: one-sided 90% confidence
META_PRIORITY = 7.0


@dataclass(frozen=True)
class RepresentativeStatement:
    """A statement that sets a group apart (``finalize-cmt-stats``).

    ``share`` is the smoothed share of the group voting that way, ``(n_success + 1) / (n_trials + 2)``;
    ``share_test`` its one-proportion z; ``repness`` the ratio of that share to the rest's and
    ``repness_test`` the two-proportion z against the rest of the clustered participants. ``best_agree``
    marks the statement Pol.is puts first to show what the group agrees on.
    """

    statement: int
    direction: Direction
    n_success: int
    n_trials: int
    share: float
    share_test: float
    repness: float
    repness_test: float
    best_agree: bool = False


@dataclass(frozen=True)
class ConsensusStatement:
    """A statement most participants significantly agree or disagree with (``select-consensus-comments``)."""

    statement: int
    direction: Direction
    n_success: int
    n_trials: int
    share: float
    share_test: float


@dataclass(frozen=True, eq=False)
class VoteCounts:
    """Agree, disagree and seen (any cast vote, passes included) counts per (group, statement)."""

    agree: Ints
    disagree: Ints
    seen: Ints

    @property
    def passed(self) -> Ints:
        return self.seen - self.agree - self.disagree


def count_votes(
    votes: sp.csr_array,
    rows_of_votes: Ints,
    group_of: Ints,
    n_groups: int,
    *,
    zeroed: Bools | None = None,
) -> VoteCounts:
    """Counts over the rows of each group (``group_of[i]`` in 0..n_groups-1, or -1 for none).

    With ``zeroed`` the counts are those of Pol.is's ``rating-mat``: a moderated-out statement is a 0
    (a pass) for every member of the group; without it they are the raw votes.
    """
    m = votes.shape[1]
    group = group_of[rows_of_votes]
    keep = group >= 0
    # One pass: each vote lands in cell (group, statement, vote + 1).
    codes = (group[keep] * m + votes.indices[keep]) * 3 + (votes.data[keep].astype(np.int64) + 1)
    size = n_groups * m
    tally = np.bincount(codes, minlength=3 * size)[: 3 * size].reshape(n_groups, m, 3).astype(np.int64)
    counts = VoteCounts(agree=tally[:, :, 2].copy(), disagree=tally[:, :, 0].copy(), seen=tally.sum(axis=2))
    if zeroed is not None:
        counts = zero_out(counts, zeroed, np.bincount(group_of[group_of >= 0], minlength=n_groups)[:n_groups])
    return counts


def zero_out(counts: VoteCounts, zeroed: Bools, members: Ints) -> VoteCounts:
    """The counts of Pol.is's ``rating-mat``, where a moderated-out statement is a 0 (a pass) for each of
    the ``members`` of every row of counts, whether they saw it or not."""
    if not zeroed.any():
        return counts
    agree, disagree, seen = counts.agree.copy(), counts.disagree.copy(), counts.seen.copy()
    agree[:, zeroed] = 0
    disagree[:, zeroed] = 0
    seen[:, zeroed] = np.asarray(members, dtype=np.int64)[:, None]
    return VoteCounts(agree=agree, disagree=disagree, seen=seen)


def prop_test(success: npt.ArrayLike, n: npt.ArrayLike) -> Floats:
    """``prop-test``: ``2 sqrt(n+1) ((success+1)/(n+1) - 1/2)``."""
    s = np.asarray(success, dtype=np.float64) + 1
    t = np.asarray(n, dtype=np.float64) + 1
    return np.asarray(2 * np.sqrt(t) * (s / t - 0.5), dtype=np.float64)


def two_prop_test(
    success_in: npt.ArrayLike, success_out: npt.ArrayLike, n_in: npt.ArrayLike, n_out: npt.ArrayLike
) -> Floats:
    """``two-prop-test`` with one added to each count; 0 where the pooled share is 1."""
    s1 = np.asarray(success_in, dtype=np.float64) + 1
    s2 = np.asarray(success_out, dtype=np.float64) + 1
    n1 = np.asarray(n_in, dtype=np.float64) + 1
    n2 = np.asarray(n_out, dtype=np.float64) + 1
    pooled = (s1 + s2) / (n1 + n2)
    spread = np.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    z = np.divide(s1 / n1 - s2 / n2, spread, out=np.zeros(np.broadcast(s1, n1).shape), where=spread > 0)
    return np.where(pooled == 1, 0.0, z)


@dataclass(frozen=True, eq=False)
class _GroupStats:
    na: Ints
    nd: Ints
    ns: Ints
    pa: Floats
    pd: Floats
    pat: Floats
    pdt: Floats
    ra: Floats
    rd: Floats
    rat: Floats
    rdt: Floats

    def final(self, j: int, *, best_agree: bool = False) -> RepresentativeStatement:
        """``finalize-cmt-stats``: agree when ``rat > rdt``, else disagree."""
        agree = bool(self.rat[j] > self.rdt[j])
        return RepresentativeStatement(
            statement=j,
            direction="agree" if agree else "disagree",
            n_success=int(self.na[j] if agree else self.nd[j]),
            n_trials=int(self.ns[j]),
            share=float(self.pa[j] if agree else self.pd[j]),
            share_test=float(self.pat[j] if agree else self.pdt[j]),
            repness=float(self.ra[j] if agree else self.rd[j]),
            repness_test=float(self.rat[j] if agree else self.rdt[j]),
            best_agree=best_agree,
        )


def _group_stats(counts: VoteCounts, g: int) -> _GroupStats:
    """``comment-stats`` and ``add-comparitive-stats`` for group g against the union of the others."""
    na, nd, ns = counts.agree[g], counts.disagree[g], counts.seen[g]
    rest_na = counts.agree.sum(axis=0) - na
    rest_nd = counts.disagree.sum(axis=0) - nd
    rest_ns = counts.seen.sum(axis=0) - ns
    pa = (na + 1) / (ns + 2)
    pd = (nd + 1) / (ns + 2)
    return _GroupStats(
        na=na,
        nd=nd,
        ns=ns,
        pa=pa,
        pd=pd,
        pat=prop_test(na, ns),
        pdt=prop_test(nd, ns),
        ra=pa / ((1 + rest_na) / (2 + rest_ns)),
        rd=pd / ((1 + rest_nd) / (2 + rest_ns)),
        rat=two_prop_test(na, rest_na, ns, rest_ns),
        rdt=two_prop_test(nd, rest_nd, ns, rest_ns),
    )


def _best_agree(stats: _GroupStats, candidates: Ints) -> int | None:
    """``beats-best-agr?`` folded over the statements in order: the group's best "agree" statement."""
    best: int | None = None
    for j in candidates:
        if stats.na[j] == 0 and stats.nd[j] == 0:
            continue
        here = stats.ra[j] * stats.rat[j] * stats.pa[j] * stats.pat[j]
        if best is not None and stats.ra[best] > 1.0:
            better = here > stats.ra[best] * stats.rat[best] * stats.pa[best] * stats.pat[best]
        elif best is not None:
            better = stats.pa[j] * stats.pat[j] > stats.pa[best] * stats.pat[best]
        else:
            better = stats.pat[j] > Z_90 or (stats.ra[j] > 1.0 and stats.pa[j] > 0.5)
        if better:
            best = int(j)
    return best


def representative_statements(
    counts: VoteCounts, group_ids: Ints, eligible: Bools, *, pick: int = 5
) -> dict[int, tuple[RepresentativeStatement, ...]]:
    """``select-rep-comments``: up to ``pick`` statements per group, agrees first.

    A statement qualifies when both its share and its difference from the rest are significant at 90%
    (one-sided) for agree or for disagree; the qualifying ones are ranked by ``repness * repness_test *
    share * share_test``, with the group's best "agree" statement put first. A group with none that
    qualifies gets its best agree statement, or else the one with the largest two-proportion z. Only
    ``eligible`` statements (voted on, not moderated out) are considered.
    """
    candidates = np.flatnonzero(eligible).astype(np.int64)
    result: dict[int, tuple[RepresentativeStatement, ...]] = {}
    for g, gid in enumerate(group_ids.tolist()):
        stats = _group_stats(counts, g)
        passes = ((stats.rat > Z_90) & (stats.pat > Z_90)) | ((stats.rdt > Z_90) & (stats.pdt > Z_90))
        sufficient = candidates[passes[candidates]]
        best_agree = _best_agree(stats, candidates)
        head = [stats.final(best_agree, best_agree=True)] if best_agree is not None else []
        if sufficient.size == 0:
            if not head and candidates.size:
                best = candidates[int(np.argmax(np.maximum(stats.rat, stats.rdt)[candidates]))]
                head = [stats.final(int(best))]
            result[gid] = tuple(head)
            continue
        finals = [stats.final(int(j)) for j in sufficient if j != best_agree]
        finals.sort(key=lambda r: -(r.repness * r.repness_test * r.share * r.share_test))
        chosen = (head + finals)[:pick]
        result[gid] = tuple(
            [r for r in chosen if r.direction == "agree"] + [r for r in chosen if r.direction == "disagree"]
        )
    return result


def consensus_statements(
    agree: Ints, disagree: Ints, seen: Ints, eligible: Bools, *, pick: int = 5
) -> tuple[ConsensusStatement, ...]:
    """``select-consensus-comments`` over every participant: the top ``pick`` agreed, then disagreed.

    A candidate needs a smoothed share above 1/2 with a significant one-proportion z; candidates are
    ranked by share x z.
    """
    chosen: list[ConsensusStatement] = []
    for direction, success in (("agree", agree), ("disagree", disagree)):
        share = (success + 1) / (seen + 2)
        test = prop_test(success, seen)
        candidates = np.flatnonzero(eligible & (share > 0.5) & (test > Z_90))
        order = candidates[np.argsort(-(share * test)[candidates], kind="stable")][:pick]
        chosen.extend(
            ConsensusStatement(
                statement=int(j),
                direction="agree" if direction == "agree" else "disagree",
                n_success=int(success[j]),
                n_trials=int(seen[j]),
                share=float(share[j]),
                share_test=float(test[j]),
            )
            for j in order
        )
    return tuple(chosen)


def group_informed_consensus(success: Ints, seen: Ints) -> Floats:
    """``group-aware-consensus``: the product over groups of ``(success + 1) / (seen + 2)`` per statement.

    Pol.is computes it for agreement, from the raw votes of each group's members; pass disagree counts
    for the disagreement counterpart. With no groups it is 0 everywhere (there is nothing to inform it).
    """
    if success.shape[0] == 0:
        return np.zeros(success.shape[1])
    return np.asarray(np.prod((success + 1.0) / (seen + 2.0), axis=0), dtype=np.float64)


def statement_priorities(
    agree: npt.ArrayLike,
    passed: npt.ArrayLike,
    seen: npt.ArrayLike,
    extremity: npt.ArrayLike,
    *,
    meta: npt.ArrayLike | None = None,
) -> Floats:
    """Pol.is's priority for choosing the next statement to show (``conversation.clj`` 308-327).

    ``((1 - p) * (E + 1) * a * (1 + 8 * 2 ** (-S / 5))) ** 2`` with ``p = (P + 1) / (S + 2)`` and
    ``a = (A + 1) / (S + 2)``, from the agree (A), pass (P) and seen (S) counts of the clustered
    participants and the statement's extremity E on the map. New and under-voted statements get up to
    nine times the weight (the ``2 ** (-S / 5)`` term fades after a few dozen votes), divisive ones
    (far from the centre of the map) more, much-passed ones less; a meta statement gets ``7 ** 2``.
    Statements are drawn at random in proportion to these weights.
    """
    a_count = np.asarray(agree, dtype=np.float64)
    p_count = np.asarray(passed, dtype=np.float64)
    s_count = np.asarray(seen, dtype=np.float64)
    e = np.asarray(extremity, dtype=np.float64)
    p = (p_count + 1) / (s_count + 2)
    a = (a_count + 1) / (s_count + 2)
    priority = np.square((1 - p) * (e + 1) * a * (1 + 8 * np.power(2.0, -s_count / 5)))
    if meta is not None:
        priority = np.where(np.asarray(meta, dtype=bool), META_PRIORITY**2, priority)
    return np.asarray(priority, dtype=np.float64)

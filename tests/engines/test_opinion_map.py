"""The opinion-map engine on small hand-made and synthetic vote matrices: no Django, no database.

The synthetic conversations plant opinion groups: every group has its own probability of agreeing with
each statement, participants see a random subset of the statements, and the engine must find the groups.
"""

from __future__ import annotations

import dataclasses
import tracemalloc
from types import MappingProxyType

import numpy as np
import pytest
import scipy.sparse as sp

from dalun.engines import polis_csv
from dalun.engines.opinion_map import (
    OpinionMap,
    Parameters,
    adjusted_rand_index,
    check_votes,
    compute_opinion_map,
    representative_statements_for,
    statement_priorities,
    vote_matrix,
    with_votes,
)
from dalun.engines.opinion_map.engine import _earlier_groups
from dalun.engines.opinion_map.kmeans import (
    Clustering,
    kmeans,
    kmeans_many,
    plus_plus,
    plus_plus_many,
    silhouette,
)
from dalun.engines.opinion_map.statements import prop_test, two_prop_test


def planted(
    n: int = 600,
    m: int = 60,
    *,
    sizes: tuple[float, ...] = (0.35, 0.3, 0.2, 0.15),
    per_participant: int = 25,
    seed: int = 1,
) -> tuple[sp.csr_array, np.ndarray]:
    """Participants in groups laid out on a 2-D square of opinions (so that two components can show
    every group); each votes on ``per_participant`` random statements, agreeing with probability 0.85
    where the group leans that way and 0.05 where it leans against, passing one time in ten."""
    rng = np.random.default_rng(seed)
    truth = rng.choice(len(sizes), size=n, p=np.array(sizes) / sum(sizes))
    u, v = rng.choice([-1, 1], size=m), rng.choice([-1, 1], size=m)
    corners = np.array([(1, 1), (1, -1), (-1, 1), (-1, -1)])[: len(sizes)]
    lean = (corners[:, :1] * u + corners[:, 1:] * v) / 2
    agree = 0.45 + 0.4 * lean
    rows = np.repeat(np.arange(n), per_participant)
    cols = np.concatenate([rng.choice(m, per_participant, replace=False) for _ in range(n)])
    draw = rng.random(rows.size)
    p = agree[truth[rows], cols]
    values = np.where(draw < p, 1, np.where(draw < p + 0.1, 0, -1))
    return vote_matrix(rows, cols, values, shape=(n, m)), truth


def clustered_ari(result: OpinionMap, truth: np.ndarray) -> float:
    return adjusted_rand_index(truth[result.clustered], result.group_of[result.clustered])


# The vote matrix


def test_vote_matrix_keeps_passes_as_votes_and_the_last_vote_wins() -> None:
    votes = vote_matrix([0, 0, 1, 0], [0, 1, 1, 1], [1, 0, -1, -1], shape=(3, 3))
    assert votes.shape == (3, 3)
    assert votes.nnz == 3  # (0, 1) was voted twice: the later disagree replaced the pass
    assert votes[0, 1] == -1 and votes[1, 1] == -1 and votes[0, 0] == 1
    assert list(np.diff(votes.indptr)) == [2, 1, 0]


def test_with_votes_grows_the_matrix_and_replaces_earlier_votes() -> None:
    votes = vote_matrix([0, 1], [0, 0], [1, 1])
    grown = with_votes(votes, [1, 3], [0, 2], [0, -1])
    assert grown.shape == (4, 3)
    assert grown[1, 0] == 0 and grown.nnz == 3  # the later pass replaced the agree, and still counts
    assert grown[3, 2] == -1


@pytest.mark.parametrize("values", [[2], [-3]])
def test_votes_other_than_agree_disagree_pass_are_rejected(values: list[int]) -> None:
    with pytest.raises(ValueError, match="votes must be"):
        vote_matrix([0], [0], values)


def test_a_hand_built_matrix_with_duplicate_cells_is_rejected() -> None:
    duplicated = sp.csr_array((np.array([1, 1]), np.array([0, 0]), np.array([0, 2])), shape=(1, 1))
    with pytest.raises(ValueError, match="duplicate"):
        check_votes(duplicated)


# Determinism and recovery


def test_the_same_votes_give_the_same_map_whatever_the_seed() -> None:
    votes, _ = planted()
    first = compute_opinion_map(votes, seed=0)
    again = compute_opinion_map(votes, seed=0)
    other_seed = compute_opinion_map(votes, seed=12345)
    for result in (again, other_seed):
        np.testing.assert_array_equal(result.group_of, first.group_of)
        np.testing.assert_allclose(result.projection, first.projection, atol=1e-9)
        assert [g.representative for g in result.groups] == [g.representative for g in first.groups]
        assert result.consensus == first.consensus


def test_planted_groups_are_recovered() -> None:
    votes, truth = planted()
    result = compute_opinion_map(votes)
    assert result.k == 4
    assert clustered_ari(result, truth) > 0.9
    assert sorted(result.group_sizes.values()) == sorted(g.size for g in result.groups)
    assert sum(result.group_sizes.values()) == int(result.clustered.sum()) == votes.shape[0]


def test_a_cold_start_does_not_depend_on_the_order_of_the_participants() -> None:
    votes, _ = planted(n=500, sizes=(0.4, 0.35, 0.25), seed=3)
    first = compute_opinion_map(votes)
    rows = np.repeat(np.arange(votes.shape[0]), np.diff(votes.indptr))
    order = np.random.default_rng(7).permutation(votes.shape[0])  # row i of the shuffle is order[i]
    shuffled = vote_matrix(np.argsort(order)[rows], votes.indices, votes.data, shape=votes.shape)
    again = compute_opinion_map(shuffled)
    np.testing.assert_array_equal(again.group_of, first.group_of[order])
    assert again.silhouettes == pytest.approx(dict(first.silhouettes))


def test_cold_start_group_ids_go_from_the_largest_group_to_the_smallest() -> None:
    votes, _ = planted(sizes=(0.15, 0.2, 0.3, 0.35))
    result = compute_opinion_map(votes)
    sizes = [result.group_sizes[gid] for gid in sorted(result.group_sizes)]
    assert sizes == sorted(sizes, reverse=True)


def test_k_means_plus_plus_starts_depend_on_the_points_not_their_order() -> None:
    points = np.random.default_rng(0).normal(size=(300, 2))
    points[::10] = points[0]  # duplicated positions too
    _, centers = plus_plus(points, 5, np.random.default_rng(42))
    _, again = plus_plus(points[::-1].copy(), 5, np.random.default_rng(42))
    np.testing.assert_array_equal(again, centers)
    assert np.unique(centers, axis=0).shape[0] == 5
    # Fewer distinct points than k: each once.
    _, few = plus_plus(np.repeat([[0.0, 0.0], [1.0, 2.0]], 10, axis=0), 5, np.random.default_rng(0))
    assert sorted(map(tuple, few.tolist())) == [(0.0, 0.0), (1.0, 2.0)]


@pytest.mark.parametrize("tolerance", [0.01, 0.0])
def test_k_means_with_bounds_takes_the_same_steps_as_runs_measuring_everything(tolerance: float) -> None:
    """kmeans() keeps Hamerly's bounds on large problems; kmeans_many() runs small ones together,
    measuring every distance. Both must take Lloyd's steps, dropping the clusters left empty."""
    rng = np.random.default_rng(5)
    points = np.concatenate([rng.normal(loc, 1.0, size=(1500, 2)) for loc in ((0, 0), (3, 1), (1, 4))])
    starts = plus_plus_many(points, 4, rng, starts=3)
    starts[1] = points[[0, 1, 2, 3]]  # a poor start: many steps
    starts[2, 3] = [50.0, 50.0]  # a centre that nobody is nearest: dropped at once
    for max_iters in (3, 100):
        together = kmeans_many(points, starts, max_iters=max_iters, tolerance=tolerance)
        for start, run in zip(starts, together, strict=True):
            bounded = kmeans(points, np.arange(4), start, max_iters=max_iters, tolerance=tolerance)
            np.testing.assert_array_equal(bounded.ids, run.ids)
            np.testing.assert_array_equal(bounded.labels, run.labels)
            np.testing.assert_allclose(bounded.centers, run.centers)
    assert len(together[2]) == 3


def test_a_weighted_silhouette_is_that_of_the_points_repeated() -> None:
    rng = np.random.default_rng(1)
    points = rng.normal(size=(12, 2))
    labels = np.array([0, 0, 0, 1, 1, 1, 1, 2, 2, 0, 1, 2])
    weights = np.array([1, 3, 2, 1, 1, 4, 2, 1, 5, 1, 2, 1])
    clustering = Clustering(ids=np.arange(3), centers=np.zeros((3, 2)), labels=labels)
    repeated = Clustering(ids=np.arange(3), centers=np.zeros((3, 2)), labels=np.repeat(labels, weights))
    expected = silhouette(np.repeat(points, weights, axis=0), repeated)
    assert silhouette(points, clustering, weights=weights.astype(float)) == pytest.approx(expected)
    # A group of one participant scores 0, as in Pol.is.
    lonely = Clustering(ids=np.arange(2), centers=np.zeros((2, 2)), labels=np.array([0, 0, 1]))
    single = silhouette(np.array([[0.0, 0], [0, 1], [5, 5]]), lonely, weights=np.array([1.0, 1.0, 1.0]))
    assert single == pytest.approx(silhouette(np.array([[0.0, 0], [0, 1], [5, 5]]), lonely))


def test_exact_gram_and_lanczos_pca_give_the_same_map() -> None:
    votes, _ = planted(n=400, m=80)
    dense = compute_opinion_map(votes, parameters=Parameters(dense_pca_limit=1000))
    lanczos = compute_opinion_map(votes, parameters=Parameters(dense_pca_limit=0))
    np.testing.assert_allclose(lanczos.projection, dense.projection, atol=1e-7)
    np.testing.assert_array_equal(lanczos.group_of, dense.group_of)


def test_a_large_sparse_matrix_is_never_densified() -> None:
    # 20,000 x 3,000 dense float64 would be 480 MB; the votes themselves are about 4 MB.
    votes, truth = planted(n=20_000, m=3_000, per_participant=30, sizes=(0.5, 0.5))
    tracemalloc.start()
    try:
        result = compute_opinion_map(votes)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 150 * 2**20
    assert clustered_ari(result, truth) > 0.9


# Warm start


def test_warm_start_keeps_group_ids_and_orientation_as_votes_arrive() -> None:
    votes, truth = planted(n=800)
    rows = np.repeat(np.arange(votes.shape[0]), np.diff(votes.indptr))
    first = np.random.default_rng(0).permutation(votes.nnz)[: int(votes.nnz * 0.8)]  # 80% of the votes
    before = compute_opinion_map(
        vote_matrix(rows[first], votes.indices[first], votes.data[first], shape=votes.shape)
    )
    after = compute_opinion_map(votes, warm_start=before)
    both = before.clustered & after.clustered
    assert after.k == before.k == 4
    # Same ids for the same people, not merely the same partition.
    assert np.mean(before.group_of[both] == after.group_of[both]) > 0.95
    for i in range(2):
        assert float(before.pca.components[i] @ after.pca.components[i]) > 0.9
    assert clustered_ari(after, truth) > 0.9


def test_a_warm_state_saved_with_one_group_id_per_base_cluster_still_starts_the_groups() -> None:
    """Maps saved before groups were refined on participants hold, per k, the group of each base cluster."""
    votes, _ = planted(n=800)
    before = compute_opinion_map(votes)
    state = before.state
    one_member = np.array([np.flatnonzero(state.base_of == b)[0] for b in state.base_ids])
    old_format = {k: labels[one_member] for k, labels in state.group_clusterings.items()}
    saved = dataclasses.replace(
        before, state=dataclasses.replace(state, group_clusterings=MappingProxyType(old_format))
    )
    members = np.flatnonzero(before.clustered)
    start = _earlier_groups(saved, 4, members, votes.shape[0])
    assert start is not None
    # The same start but for members of base clusters astride a border (the old format cannot tell).
    assert np.mean(start == state.group_clusterings[4][members]) > 0.95
    restored = compute_opinion_map(votes, warm_start=saved)
    assert restored.k == 4
    assert np.mean(restored.group_of == before.group_of) > 0.99


def test_warm_start_needs_rows_and_columns_to_keep_their_meaning() -> None:
    votes, _ = planted(n=100)
    previous = compute_opinion_map(votes)
    with pytest.raises(ValueError, match="keep their meaning"):
        compute_opinion_map(votes[:50], warm_start=previous)


def test_a_new_number_of_groups_is_shown_only_after_winning_four_updates() -> None:
    two_groups, _ = planted(n=400, sizes=(0.5, 0.5), seed=5)
    previous = compute_opinion_map(two_groups)
    assert previous.k == 2
    three, _ = planted(n=600, sizes=(0.34, 0.33, 0.33), seed=5)
    assert compute_opinion_map(three).k == 3  # what a cold computation would show at once
    shown = []
    for _ in range(5):
        previous = compute_opinion_map(three, warm_start=previous)
        shown.append(previous.k)
    assert shown == [2, 2, 2, 3, 3]


def test_a_clustered_participant_stays_clustered() -> None:
    # With three statements, three votes are enough; once eleven exist, seven are needed.
    early = vote_matrix(np.repeat(np.arange(20), 3), np.tile(np.arange(3), 20), np.tile([1, -1, 0], 20))
    first = compute_opinion_map(early)
    assert first.clustered.all()
    later = with_votes(early, np.repeat([20, 21], 8), np.tile(np.arange(3, 11), 2), np.ones(16, dtype=int))
    cold = compute_opinion_map(later)
    assert int(cold.clustered[:20].sum()) == 13  # only as many as it takes to reach 15 participants
    assert compute_opinion_map(later, warm_start=first).clustered.all()


def test_the_fifteen_most_active_are_clustered_while_few_qualify() -> None:
    counts = np.arange(1, 31) % 6 + 1  # nobody reaches 7 votes on 10 statements
    rows = np.repeat(np.arange(30), counts)
    cols = np.concatenate([np.arange(c) for c in counts])
    result = compute_opinion_map(vote_matrix(rows, cols, np.ones(rows.size, dtype=int), shape=(30, 10)))
    assert int(result.clustered.sum()) == 15
    assert counts[result.clustered].min() >= counts[~result.clustered].max()


# Edge cases


def test_no_votes_at_all() -> None:
    for votes in (vote_matrix([], [], [], shape=(0, 0)), vote_matrix([], [], [], shape=(5, 4))):
        result = compute_opinion_map(votes)
        assert result.groups == () and result.k == 0 and result.consensus == ()
        assert result.projection.shape == (votes.shape[0], 2)
        assert not result.clustered.any()
        assert (result.group_of == -1).all()


def test_a_single_participant_forms_a_single_group() -> None:
    result = compute_opinion_map(vote_matrix([0, 0, 0], [0, 1, 2], [1, -1, 0]))
    assert result.clustered.tolist() == [True]
    assert [g.size for g in result.groups] == [1]
    assert result.group_of.tolist() == [result.groups[0].id]


def test_all_passes_put_everyone_in_one_place() -> None:
    rows = np.repeat(np.arange(30), 10)
    result = compute_opinion_map(vote_matrix(rows, np.tile(np.arange(10), 30), np.zeros(300, dtype=int)))
    assert np.allclose(result.projection, 0)
    assert result.k == 1 and result.groups[0].size == 30
    assert result.consensus == ()


def test_fewer_participants_than_groups_or_base_clusters() -> None:
    votes = vote_matrix([0, 0, 1, 1, 2, 2], [0, 1, 0, 1, 0, 1], [1, 1, -1, -1, 1, -1])
    result = compute_opinion_map(votes)
    assert result.clustered.all()
    assert 1 <= result.k <= 3
    assert sum(result.group_sizes.values()) == 3


def test_moderated_out_statements_never_appear_in_the_results() -> None:
    votes, _ = planted()
    hidden = np.arange(0, 60, 2)
    result = compute_opinion_map(votes, moderated_out=hidden)
    shown = {r.statement for g in result.groups for r in g.representative} | {
        c.statement for c in result.consensus
    }
    assert shown and not shown & set(hidden.tolist())
    assert np.allclose(result.pca.components[:, hidden], 0)
    assert np.allclose(result.statement_extremity[hidden], 0)


# Statement statistics


def test_representative_statements_of_a_hand_made_split() -> None:
    # Group 0 (rows 0-19) agrees with statement 0 and disagrees with 1; group 1 the opposite.
    # Statement 2 everyone agrees with: consensus, but representative of nobody.
    rows = np.repeat(np.arange(40), 3)
    cols = np.tile(np.arange(3), 40)
    side = np.where(rows < 20, 1, -1)
    values = np.where(cols == 0, side, np.where(cols == 1, -side, 1))
    votes = vote_matrix(rows, cols, values)
    labels = np.where(np.arange(40) < 20, 0, 1)
    repness = representative_statements_for(votes, labels)
    first = repness[0][0]
    assert (first.statement, first.direction, first.n_success, first.n_trials) == (0, "agree", 20, 20)
    assert first.best_agree and first.share == pytest.approx(21 / 22)
    assert first.repness == pytest.approx((21 / 22) / (1 / 22))
    assert {(r.statement, r.direction) for r in repness[0]} == {(0, "agree"), (1, "disagree")}
    assert {(r.statement, r.direction) for r in repness[1]} == {(1, "agree"), (0, "disagree")}
    result = compute_opinion_map(votes)
    assert adjusted_rand_index(result.group_of, labels) == 1.0
    assert [(c.statement, c.direction) for c in result.consensus] == [(2, "agree")]
    # Everyone agrees with statement 2: the product over both groups of 21/22.
    assert result.group_informed_consensus[2] == pytest.approx((21 / 22) ** 2)
    assert result.group_informed_consensus_disagree[0] == pytest.approx((1 / 22) * (21 / 22))


def test_proportion_tests_follow_pol_is_formulas() -> None:
    assert prop_test(9, 10) == pytest.approx(2 * np.sqrt(11) * (10 / 11 - 0.5))
    p1, p2, pooled = 10 / 11, 3 / 21, 13 / 32
    expected = (p1 - p2) / np.sqrt(pooled * (1 - pooled) * (1 / 11 + 1 / 21))
    assert two_prop_test(9, 2, 10, 20) == pytest.approx(expected)
    assert two_prop_test(5, 5, 5, 5) == 0.0  # pooled share 1: Pol.is answers 0


def test_statement_priorities_favour_new_divisive_and_unpassed_statements() -> None:
    agree, passed = np.array([0, 10, 10, 10, 2]), np.array([0, 0, 0, 10, 0])
    seen, extremity = np.array([0, 20, 20, 20, 4]), np.array([0.0, 0.0, 2.0, 0.0, 0.0])
    priority = statement_priorities(agree, passed, seen, extremity, meta=[False, False, False, False, False])
    assert priority[0] == pytest.approx((0.5 * 0.5 * 9) ** 2)  # never voted on
    assert priority[2] > priority[1] > priority[3]  # divisive beats plain beats much-passed
    assert priority[4] > priority[1]  # under-voted
    p, a = 1 / 22, 11 / 22
    assert priority[1] == pytest.approx(((1 - p) * a * (1 + 8 * 2.0**-4)) ** 2)
    assert statement_priorities([0], [0], [0], [0], meta=[True])[0] == 49.0
    votes, _ = planted()
    result = compute_opinion_map(votes)
    assert result.priorities().shape == (votes.shape[1],)


def test_adjusted_rand_index_known_values() -> None:
    assert adjusted_rand_index([0, 0, 1, 1], [5, 5, 7, 7]) == 1.0
    assert adjusted_rand_index([0, 0, 1, 1], [0, 0, 1, 2]) == pytest.approx(0.5714285714)
    assert adjusted_rand_index([0, 1, 0, 1], [0, 0, 1, 1]) == pytest.approx(-0.5)


def test_results_are_read_only() -> None:
    result = compute_opinion_map(planted(n=100)[0])
    with pytest.raises(ValueError):
        result.group_of[0] = 3
    with pytest.raises(AttributeError):
        result.k = 9  # type: ignore[misc]


# The Pol.is export layout


def test_an_export_written_from_plain_data_reads_back_the_same(tmp_path) -> None:
    comments = (
        polis_csv.Comment(
            id=0, author=0, agrees=1, disagrees=0, moderated=1, body='Say "yes", twice\nok', timestamp=0
        ),
        polis_csv.Comment(id=1, author=1, agrees=0, disagrees=1, moderated=-1, body="公交", timestamp=1000),
    )
    votes = polis_csv.Votes(
        timestamp=np.array([5, 6, 7], dtype=np.int64),
        comment=np.array([0, 1, 0], dtype=np.int64),
        voter=np.array([0, 1, 0], dtype=np.int64),
        vote=np.array([1, -1, 0], dtype=np.int8),
    )
    export = polis_csv.PolisExport(
        comments=comments, votes=votes, summary=(("topic", "Buses"), ("groups", "1"))
    )
    matrix, participant_ids, comment_ids = export.vote_matrix()
    participants = polis_csv.participant_votes(
        matrix, participant_ids, comment_ids, group_id=[0, -1], n_comments=[1, 1]
    )
    polis_csv.write_export(tmp_path, polis_csv.PolisExport(comments, votes, participants, export.summary))
    back = polis_csv.read_export(tmp_path)
    assert [c.body for c in back.comments] == ['Say "yes", twice\nok', "公交"]
    assert back.comments[1].datetime == "Thu Jan 01 00:00:01 UTC 1970"
    assert back.summary_value("topic") == "Buses"
    assert back.moderated_out([0, 1]).tolist() == [False, True]
    assert back.participants is not None
    assert back.participants.group_id.tolist() == [0, -1]
    assert back.participants.n_votes.tolist() == [1, 1]  # the pass replaced participant 0's agree
    np.testing.assert_array_equal(back.participants.votes.toarray(), matrix.toarray())
    assert back.participants.votes[0, 0] == 0 and back.participants.votes.nnz == 2
    latest = back.votes.latest()
    assert latest.vote.tolist() == [-1, 0] and latest.timestamp.tolist() == [6, 7]

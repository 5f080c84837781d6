"""The opinion map recomputed on real Pol.is conversations and compared with Pol.is's own groups.

Data: ``tests/data/polis``, real conversations from compdemocracy/openData copied from the shared reference
data (CC BY 4.0, attribution in that folder's LICENSE.md).

Pol.is's ``group-id`` is the end of a history (warm starts, the k smoother, a clustered set that only
grows), so it is a reference, not ground truth. The floor on the adjusted Rand index (ARI, over the
participants that both Pol.is and we cluster) therefore depends on what the reference is:

* Pol.is's groups are distinct regions of the final map (their silhouette on our projection is at least
  0.25) and we find as many groups: ARI >= 0.8. Same map, same number of groups: the partitions may
  differ only on the border between groups, and there by more than one would think: Pol.is's groups are
  unions of base clusters shaped by the history, not a k-means clustering of the final map. Run k-means
  on our map from Pol.is's own groups until nobody moves (``settled`` below) and the agreement with them
  drops to 0.965 on austria and 0.826 on vtaiwan: no clustering in which every participant is in the
  group with the nearest centre can be expected to agree more.
* Distinct regions, but a different number of groups (where silhouettes of k = 2..5 are close, k is
  what the history made it): ARI >= 0.4. Splitting one of two groups in two, or merging two of three,
  still keeps roughly half of the pairwise agreement; below that the groups would be unrelated.
* Pol.is's groups overlap on the final map (silhouette below 0.25): they are no partition of this map
  (Pol.is computed them on other data or with another version), so no ARI floor is asserted; the test
  asserts instead that our own groups are distinct on the map and that Pol.is's are not.

``docs/opinion-map-validation.md`` lists the figures and explains each difference.
"""

from __future__ import annotations

import csv
import filecmp
import functools
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp

from dalun.engines import polis_csv
from dalun.engines.opinion_map import (
    OpinionMap,
    adjusted_rand_index,
    compute_opinion_map,
    representative_statements_for,
    vote_matrix,
)
from dalun.engines.opinion_map.kmeans import Clustering, kmeans, nearest, silhouette

DATA = Path(__file__).parents[1] / "data" / "polis"
CONVERSATIONS = (
    sorted(p for p in DATA.iterdir() if (p / polis_csv.PARTICIPANTS_VOTES).exists()) if DATA.is_dir() else []
)
DISTINCT = 0.25  # silhouette of Pol.is's groups on our map above which they are distinct regions
SAME_K_FLOOR = 0.8
OTHER_K_FLOOR = 0.4


@dataclass(frozen=True)
class Conversation:
    export: polis_csv.PolisExport
    votes: sp.csr_array
    participant_ids: np.ndarray
    comment_ids: np.ndarray
    moderated_out: np.ndarray
    polis_groups: np.ndarray  # Pol.is's group-id of each row, -1 if none
    result: OpinionMap


@functools.cache
def conversation(folder: Path) -> Conversation:
    export = polis_csv.read_export(folder)
    votes, participant_ids, comment_ids = export.vote_matrix()
    moderated_out = export.moderated_out(comment_ids)
    assert export.participants is not None
    participants = export.participants
    reference = dict(zip(participants.participant.tolist(), participants.group_id.tolist(), strict=True))
    polis_groups = np.array([reference.get(p, -1) for p in participant_ids.tolist()], dtype=np.int64)
    result = compute_opinion_map(votes, moderated_out=moderated_out)
    return Conversation(export, votes, participant_ids, comment_ids, moderated_out, polis_groups, result)


def separation(points: np.ndarray, labels: np.ndarray) -> float:
    ids, positions = np.unique(labels, return_inverse=True)
    return silhouette(
        points, Clustering(ids.astype(np.int64), np.zeros((ids.size, 2)), positions.astype(np.int64))
    )


def settled(points: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """``labels`` after k-means on ``points`` from their own group means, run until nobody moves."""
    ids, positions = np.unique(labels, return_inverse=True)
    centers = np.stack([points[positions == g].mean(axis=0) for g in range(ids.size)])
    result = kmeans(points, np.arange(ids.size), centers, max_iters=1000, tolerance=0.0)
    return result.labels


@pytest.mark.parametrize("folder", CONVERSATIONS, ids=lambda p: p.name)
def test_our_groups_agree_with_pol_is_groups(folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    c = conversation(folder)
    both = (c.polis_groups >= 0) & c.result.clustered
    ari = adjusted_rand_index(c.polis_groups[both], c.result.group_of[both])
    polis_k = np.unique(c.polis_groups[c.polis_groups >= 0]).size
    theirs = separation(c.result.projection[both], c.polis_groups[both])
    ours = separation(c.result.projection[both], c.result.group_of[both])
    points = c.result.projection[both]
    settled_ari = adjusted_rand_index(c.polis_groups[both], settled(points, c.polis_groups[both]))
    with capsys.disabled():
        print(
            f"\nopinion_map_validation {folder.name}: ari={ari:.3f}"
            f" groups={c.result.k} polis_groups={polis_k}"
            f" clustered={int(c.result.clustered.sum())} polis_clustered={int((c.polis_groups >= 0).sum())}"
            f" both={int(both.sum())} polis_separation={theirs:.3f} our_separation={ours:.3f}"
            f" polis_settled_ari={settled_ari:.3f}"
        )
    if theirs < DISTINCT:
        assert ours >= DISTINCT, "our own groups must be distinct regions of the map"
    elif c.result.k == polis_k:
        assert ari >= SAME_K_FLOOR
    else:
        assert ari >= OTHER_K_FLOOR


@pytest.mark.parametrize("folder", CONVERSATIONS, ids=lambda p: p.name)
def test_the_groups_do_not_depend_on_the_order_of_the_participants(folder: Path) -> None:
    """Pol.is starts k-means from the first points in row order: reshuffling the participants of vtaiwan
    moved its agreement with Pol.is between 0.20 and 0.95. Our cold start must give every participant
    the same group, with the same id, whatever the numbering."""
    c = conversation(folder)
    rows = np.repeat(np.arange(c.votes.shape[0]), np.diff(c.votes.indptr))
    for seed in range(3):
        order = np.random.default_rng(seed).permutation(c.votes.shape[0])  # row i of the shuffle is order[i]
        where = np.argsort(order)
        shuffled = vote_matrix(where[rows], c.votes.indices, c.votes.data, shape=c.votes.shape)
        again = compute_opinion_map(shuffled, moderated_out=c.moderated_out)
        np.testing.assert_array_equal(again.group_of, c.result.group_of[order])


@pytest.mark.parametrize("folder", CONVERSATIONS, ids=lambda p: p.name)
def test_the_groups_do_not_depend_on_the_seed(folder: Path) -> None:
    """The seed draws the k-means++ starts; keeping the best of many must leave nothing to chance, even
    where the best two-group splits differ by a hair (vtaiwan)."""
    c = conversation(folder)
    for seed in (1, 2):
        again = compute_opinion_map(c.votes, moderated_out=c.moderated_out, seed=seed)
        np.testing.assert_array_equal(again.group_of, c.result.group_of)


@pytest.mark.parametrize("folder", CONVERSATIONS, ids=lambda p: p.name)
def test_every_participant_is_in_the_group_with_the_nearest_centre(folder: Path) -> None:
    c = conversation(folder)
    ids = np.array([group.id for group in c.result.groups])
    centers = np.array([group.center for group in c.result.groups])
    clustered = c.result.clustered
    for group in c.result.groups:
        np.testing.assert_allclose(group.center, c.result.projection[group.members].mean(axis=0))
    closest, _, _ = nearest(c.result.projection[clustered], centers)
    np.testing.assert_array_equal(ids[closest], c.result.group_of[clustered])


@pytest.mark.parametrize("folder", CONVERSATIONS, ids=lambda p: p.name)
def test_votes_csv_gives_the_final_votes_of_participants_votes_csv(folder: Path) -> None:
    c = conversation(folder)
    participants = c.export.participants
    assert participants is not None
    rows = np.searchsorted(c.participant_ids, participants.participant)
    cols = np.searchsorted(c.comment_ids, participants.comment_ids)
    np.testing.assert_array_equal(c.votes[rows][:, cols].toarray(), participants.votes.toarray())
    assert (c.votes[rows][:, cols] != 0).nnz == (participants.votes != 0).nnz
    np.testing.assert_array_equal(np.diff(participants.votes.indptr), participants.n_votes)


@pytest.mark.parametrize("folder", CONVERSATIONS, ids=lambda p: p.name)
def test_representative_statements_of_pol_is_groups_match_a_direct_count(folder: Path) -> None:
    """Repness from Pol.is's own labels, checked cell by cell against counts read straight from the CSV."""
    c = conversation(folder)
    repness = representative_statements_for(c.votes, c.polis_groups, moderated_out=c.moderated_out)
    with open(folder / polis_csv.PARTICIPANTS_VOTES, encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    moderated = {str(comment.id) for comment in c.export.comments if comment.moderated == -1}
    assert set(repness) == {int(r["group-id"]) for r in rows if r["group-id"] != ""}
    for group, statements in repness.items():
        assert statements, f"group {group} has no representative statement"
        for statement in statements:
            column = str(int(c.comment_ids[statement.statement]))
            assert column not in moderated
            wanted = "1" if statement.direction == "agree" else "-1"
            inside = [r[column] for r in rows if r["group-id"] == str(group)]
            outside = [r[column] for r in rows if r["group-id"] not in ("", str(group))]
            na, ns = inside.count(wanted), sum(v != "" for v in inside)
            rest_na, rest_ns = outside.count(wanted), sum(v != "" for v in outside)
            assert (statement.n_success, statement.n_trials) == (na, ns)
            share = (na + 1) / (ns + 2)
            assert statement.share == pytest.approx(share)
            assert statement.share_test == pytest.approx(2 * np.sqrt(ns + 1) * ((na + 1) / (ns + 1) - 0.5))
            assert statement.repness == pytest.approx(share / ((rest_na + 1) / (rest_ns + 2)))
            p1, p2 = (na + 1) / (ns + 1), (rest_na + 1) / (rest_ns + 1)
            pooled = (na + rest_na + 2) / (ns + rest_ns + 2)
            z = (p1 - p2) / np.sqrt(pooled * (1 - pooled) * (1 / (ns + 1) + 1 / (rest_ns + 1)))
            assert statement.repness_test == pytest.approx(z)


@pytest.mark.parametrize("folder", CONVERSATIONS, ids=lambda p: p.name)
def test_an_export_reads_and_writes_back_byte_for_byte(folder: Path, tmp_path: Path) -> None:
    polis_csv.write_export(tmp_path, polis_csv.read_export(folder))
    for name in (polis_csv.COMMENTS, polis_csv.VOTES, polis_csv.PARTICIPANTS_VOTES, polis_csv.SUMMARY):
        assert filecmp.cmp(folder / name, tmp_path / name, shallow=False), name

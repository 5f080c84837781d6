"""Computing maps: the debounced recompute task finds the planted groups, starts from the last snapshot, and
the voting order favours new, divisive and under-voted statements."""

from __future__ import annotations

import random
from collections import Counter

import numpy as np
import pytest

from dalun.engines.opinion_map import adjusted_rand_index, compute_opinion_map, vote_matrix
from dalun.opinions import analysis, selectors, services, tasks, warm
from dalun.opinions.models import OpinionMap, Participant, Snapshot, Statement
from dalun.org.policy import SYSTEM

from .conftest import COMMON_GROUND, STATEMENTS, planted_votes

pytestmark = pytest.mark.django_db


def groups_found(opinion_map: OpinionMap, truth: dict[str, int]) -> tuple[float, np.ndarray, np.ndarray]:
    """The adjusted Rand index of the snapshot's groups against the planted ones, over clustered rows."""
    snapshot = analysis.latest_snapshot(opinion_map, with_warm=True)
    rows = dict(Participant.objects.filter(opinion_map=opinion_map, key__in=truth).values_list("key", "row"))
    found = analysis.group_of_rows(snapshot, max(rows.values()) + 1)
    keys = [key for key in truth if found[rows[key]] >= 0]
    planted = np.array([truth[key] for key in keys])
    ours = np.array([found[rows[key]] for key in keys])
    return adjusted_rand_index(planted, ours), planted, ours


@pytest.fixture
def computations(monkeypatch):
    """Count the engine's runs and the warm starts they got."""
    calls: list[bool] = []
    real = analysis.compute_opinion_map

    def spy(votes, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(kwargs.get("warm_start") is not None)
        return real(votes, **kwargs)

    monkeypatch.setattr(analysis, "compute_opinion_map", spy)
    return calls


def test_a_burst_of_votes_is_computed_once_into_the_planted_groups(
    opinion_map, computations, django_capture_on_commit_callbacks
):
    votes, planted = planted_votes()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        services.votes_load(actor=SYSTEM, opinion_map=opinion_map, votes=votes)
        for column in range(5):
            services.vote_cast(
                opinion_map=opinion_map,
                statement=Statement.objects.get(opinion_map=opinion_map, column=column),
                value=1,
                participant_key="latecomer",
            )
    assert len(callbacks) == 1 and computations == [False]  # thousands of votes, one computation
    snapshot = Snapshot.objects.get(opinion_map=opinion_map)
    assert snapshot.n_votes == len({(key, column) for key, column, _value in votes}) + 5
    display = snapshot.display
    assert display["k"] == 3 and len(display["groups"]) == 3
    assert sorted(group["size"] for group in display["groups"]) == pytest.approx([35, 45, 61], abs=4)
    assert all(group["representative"] for group in display["groups"])
    consensus = {row["column"] for row in display["consensus"] if row["direction"] == "agree"}
    assert consensus & COMMON_GROUND  # the statements all three groups agree with
    informed = [row["column"] for row in display["informed_consensus"]]
    assert set(informed[:3]) <= COMMON_GROUND
    ari, _planted, _ours = groups_found(opinion_map, planted)
    assert ari > 0.9
    opinion_map.refresh_from_db()
    assert opinion_map.dirty_since is None and opinion_map.computed_at == snapshot.computed_at


def test_the_next_computation_starts_from_the_last_snapshot_and_groups_keep_their_ids(
    opinion_map, planted, computations
):
    first = tasks.recompute_opinion_map.call(opinion_map.pk)
    assert first is not None and computations == [False]
    _ari, planted_before, ours_before = groups_found(opinion_map, planted)
    assert tasks.recompute_opinion_map.call(opinion_map.pk) is None  # nothing changed: nothing to do
    more, truth = planted_votes((12, 9, 7), seed=9, prefix="q")
    services.votes_load(actor=SYSTEM, opinion_map=opinion_map, votes=more)
    second = tasks.recompute_opinion_map.call(opinion_map.pk)
    assert computations == [False, True]
    snapshot = Snapshot.objects.get(pk=second)
    assert snapshot.warm_started and snapshot.n_participants == 140 + 28
    _ari, planted_after, ours_after = groups_found(opinion_map, planted)
    # the same planted group carries the same group id before and after
    before = {g: Counter(ours_before[planted_before == g]).most_common(1)[0][0] for g in range(3)}
    after = {g: Counter(ours_after[planted_after == g]).most_common(1)[0][0] for g in range(3)}
    assert before == after
    ari_new, _p, _o = groups_found(opinion_map, truth)
    assert ari_new > 0.8
    assert Statement.objects.filter(opinion_map=opinion_map, extremity__gt=0).exists()


def test_snapshots_are_pruned_and_a_warm_state_that_no_longer_fits_is_ignored(opinion_map, planted):
    for _ in range(5):
        analysis.recompute(opinion_map_id=opinion_map.pk, force=True)
    assert Snapshot.objects.filter(opinion_map=opinion_map).count() == analysis.KEEP_SNAPSHOTS
    latest = analysis.latest_snapshot(opinion_map, with_warm=True)
    assert analysis.warm_start_of(latest, (10, 3)) is None  # smaller than the snapshot: not a warm start
    assert analysis.warm_start_of(latest, (500, 50)) is not None
    latest.warm = b"not an npz"
    assert analysis.warm_start_of(latest, (500, 50)) is None


def test_rejecting_a_voted_statement_schedules_a_computation_that_leaves_it_out(
    opinion_map, planted, persona, django_capture_on_commit_callbacks
):
    analysis.recompute(opinion_map_id=opinion_map.pk)
    with django_capture_on_commit_callbacks(execute=True):
        services.statement_moderate(
            actor=persona("moderator"),
            statement=Statement.objects.get(opinion_map=opinion_map, column=0),
            decision="reject",
        )
    display = analysis.latest_snapshot(opinion_map).display
    shown = {row["column"] for row in display["consensus"]} | {
        row["column"] for group in display["groups"] for row in group["representative"]
    }
    assert 0 not in shown and 0 not in {row["column"] for row in display["informed_consensus"]}


def test_the_map_view_reads_texts_and_hides_statements_rejected_since(opinion_map, planted, persona):
    analysis.recompute(opinion_map_id=opinion_map.pk)
    view = selectors.map_view(opinion_map=opinion_map)
    assert view.computed and len(view.groups) == 3 and view.voters == 140
    assert {s.text for s in view.consensus_agree} <= set(STATEMENTS)
    assert len(view.chart["points"]) == 140
    top = view.consensus_agree[0]
    services.statement_moderate(
        actor=persona("moderator"),
        statement=Statement.objects.get(opinion_map=opinion_map, column=top.column),
        decision="reject",
    )
    again = selectors.map_view(opinion_map=opinion_map)
    assert top.text not in {s.text for s in again.consensus_agree}


def set_counts(opinion_map, column, *, agree=0, disagree=0, passed=0, extremity=0.0):  # type: ignore[no-untyped-def]
    Statement.objects.filter(opinion_map=opinion_map, column=column).update(
        agree_count=agree, disagree_count=disagree, pass_count=passed, extremity=extremity
    )


def test_new_divisive_and_under_voted_statements_weigh_more(opinion_map):
    set_counts(opinion_map, 0, agree=60, disagree=30)  # seen by many
    set_counts(opinion_map, 1, agree=2, disagree=1)  # as much agreement, seen by few
    set_counts(opinion_map, 2, agree=40, disagree=40, extremity=1.5)  # divisive
    set_counts(opinion_map, 3, agree=40, disagree=40, extremity=0.1)  # as many votes, near the centre
    set_counts(opinion_map, 4, agree=5, disagree=5, passed=90)  # mostly passed
    statements = list(Statement.objects.filter(opinion_map=opinion_map).order_by("column"))
    weights = selectors.statement_weights(statements)
    assert weights[1] > weights[0] and weights[len(STATEMENTS) - 1] > weights[0]  # few or no votes first
    assert weights[2] > weights[3]
    assert weights[4] < weights[3]


def test_the_ballot_draws_by_weight_and_skips_what_the_participant_voted(opinion_map):
    for column in range(len(STATEMENTS) - 1):
        set_counts(opinion_map, column, agree=80, disagree=20)
    newest = Statement.objects.get(opinion_map=opinion_map, column=len(STATEMENTS) - 1)
    rng = random.Random(3)
    draws = Counter(
        selectors.ballot(opinion_map=opinion_map, key="k", rng=rng).statement.pk for _ in range(400)
    )
    assert draws.most_common(1)[0][0] == newest.pk and draws[newest.pk] > 100
    for statement in Statement.objects.filter(opinion_map=opinion_map).exclude(pk=newest.pk):
        services.vote_cast(opinion_map=opinion_map, statement=statement, value=1, participant_key="k")
    ballot = selectors.ballot(opinion_map=opinion_map, key="k")
    assert ballot.statement == newest and (ballot.voted, ballot.total) == (
        len(STATEMENTS) - 1,
        len(STATEMENTS),
    )
    services.vote_cast(opinion_map=opinion_map, statement=newest, value=0, participant_key="k")
    done = selectors.ballot(opinion_map=opinion_map, key="k")
    assert done.statement is None and done.voted == done.total == len(STATEMENTS)


def test_between_computations_the_order_follows_fresh_counts(opinion_map):
    a, b = (Statement.objects.get(opinion_map=opinion_map, column=c) for c in (0, 1))
    before = selectors.statement_weights([a, b])
    assert before[0] == pytest.approx(before[1])
    for number in range(30):
        services.vote_cast(opinion_map=opinion_map, statement=a, value=1, participant_key=f"v{number}")
    a.refresh_from_db()
    after = selectors.statement_weights([a, b])
    assert after[0] < after[1]  # no computation ran: the counts kept with the votes moved it down


def test_meta_statements_are_shown_with_the_meta_priority(opinion_map, persona):
    meta = services.statement_submit(
        opinion_map=opinion_map, text="这个讨论能否分主题？", participant_key="c"
    )
    services.statement_moderate(actor=persona("moderator"), statement=meta, decision="meta")
    statements = list(Statement.objects.filter(opinion_map=opinion_map).order_by("column"))
    weights = selectors.statement_weights(statements)
    assert weights[-1] == pytest.approx(49.0)


def test_scheduling_defers_where_the_backend_can(settings, monkeypatch):
    enqueued = []
    monkeypatch.setattr(
        tasks.recompute_opinion_map.__class__, "enqueue", lambda self, *args: enqueued.append(self)
    )
    tasks.schedule_recompute(1)
    assert enqueued[-1].run_after is None  # the immediate backend cannot defer
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    tasks.schedule_recompute(1)
    assert enqueued[-1].run_after is not None


def test_the_saved_warm_state_starts_the_engine_as_the_live_result_does():
    votes, _truth = planted_votes()
    keys = {key: row for row, key in enumerate(dict.fromkeys(key for key, _c, _v in votes))}
    matrix = vote_matrix([keys[k] for k, _c, _v in votes], [c for _k, c, _v in votes], [v for *_, v in votes])
    first = compute_opinion_map(matrix)
    restored = warm.load(warm.dump(first))
    assert restored.k == first.k and np.array_equal(restored.group_of, first.group_of)
    live = compute_opinion_map(matrix, warm_start=first)
    saved = compute_opinion_map(matrix, warm_start=restored)
    assert np.array_equal(live.group_of, saved.group_of)
    assert np.allclose(live.projection, saved.projection)
    assert live.state.smoothed_k == saved.state.smoothed_k

"""The demo's opinion map: Chinese statements, planted groups found at load, quick and idempotent."""

from __future__ import annotations

import time

import pytest

from dalun.opinions import demo, selectors
from dalun.opinions.choices import MapStatus, StatementStatus
from dalun.opinions.models import OpinionMap, Snapshot, Vote

pytestmark = pytest.mark.django_db


def test_the_demo_map_shows_its_groups_at_once_and_loads_once(campaign):
    started = time.monotonic()
    made = demo.ensure_opinion_map(campaign)
    assert time.monotonic() - started < 5
    assert made.status == MapStatus.OPEN and made.dirty_since is None
    assert made.statements.filter(status=StatementStatus.ACCEPTED).count() == len(demo.STATEMENTS)
    assert made.statements.filter(status=StatementStatus.PENDING).count() == len(demo.PENDING)
    assert made.n_participants == sum(demo.GROUP_SIZES) + len(demo.PENDING)
    snapshot = Snapshot.objects.get(opinion_map=made)
    assert snapshot.display["k"] == 3
    view = selectors.map_view(opinion_map=made)
    assert sorted(group.size for group in view.groups) == pytest.approx(sorted(demo.GROUP_SIZES), abs=8)
    agreed = {text for text, stances in demo.STATEMENTS if stances == (1, 1, 1)}
    assert {s.text for s in view.consensus_agree} & agreed
    votes = Vote.objects.count()
    again = demo.ensure_opinion_map(campaign)
    assert again.pk == made.pk and OpinionMap.objects.count() == 1 and Vote.objects.count() == votes

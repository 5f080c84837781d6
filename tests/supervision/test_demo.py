"""The demo's supervision: Taiyuan's liaison group, a recorded inspection of Xiaodian with two findings
(one rectified on time through the ledger, one open), a notice and a planned spot check; loaded once."""

from __future__ import annotations

import pytest

from dalun.demo.supervision import ensure_supervision
from dalun.ledger import rollups
from dalun.ledger.choices import ProblemSource
from dalun.org import policy
from dalun.supervision import selectors
from dalun.supervision.models import Finding, Inspection, RectificationNotice, SupervisionGroup

pytestmark = pytest.mark.django_db


def test_demo_supervision_shows_every_step_and_is_idempotent(campaign, unit, persona):
    group = ensure_supervision(campaign)
    assert ensure_supervision(campaign) == group
    assert SupervisionGroup.objects.count() == 1
    assert list(group.members.values_list("person__username", "role")) == [("taiyuan_supervisor", "leader")]
    assert policy.allows(persona("taiyuan_supervisor"), "supervision.inspect", unit("140105"))

    recorded = Inspection.objects.get(status="recorded")
    assert recorded.unit == unit("140105") and recorded.kind == "announced"
    spot = Inspection.objects.get(status="planned")
    assert spot.unit == unit("140106") and spot.kind == "spot"

    findings = list(
        selectors.findings_for_unit(actor=persona("xiaodian_clerk"), unit=unit("140105"), campaign=campaign)
    )
    assert len(findings) == 2
    assert all(finding.problem.source == ProblemSource.SUPERVISION for finding in findings)
    assert sorted(selectors.rectification_state(finding) for finding in findings) == [
        "open",
        "rectified_on_time",
    ]
    assert RectificationNotice.objects.get().findings.count() == 2
    assert Finding.objects.filter(evidence__isnull=False).count() == 1
    board = selectors.dashboard(actor=persona("office"), unit=unit("14"), campaign=campaign)
    assert (board.total, board.rectified, board.on_time_rate) == (2, 1, 100)
    assert rollups.differences(campaign_id=campaign.pk) == []  # the findings' problems are counted exactly

"""A supervisor's units overview: each covered unit's own figures, in a number of queries that does not
grow with the number of units covered."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from dalun.supervision import selectors, services

pytestmark = pytest.mark.django_db


def test_my_units_counts_each_covered_subtree_separately(group, make_finding, unit, persona, campaign):
    services.coverage_add(actor=persona("office"), group=group, unit=unit("1404"))
    make_finding()
    make_finding(text="第二条", deadline=timezone.localdate())
    supervisor = persona("taiyuan_supervisor")
    rows = {row.unit.code: row for row in selectors.my_units(actor=supervisor, campaign=campaign)}
    assert set(rows) == {"1401", "1404"}
    taiyuan, changzhi = rows["1401"], rows["1404"]
    assert (taiyuan.problems, taiyuan.findings_open, taiyuan.findings_overdue) == (2, 2, 0)
    assert (changzhi.problems, changzhi.findings_open) == (0, 0)
    assert taiyuan.keylinks_total > 0 and changzhi.keylinks_total == 0  # the campaign went to Taiyuan only
    assert taiyuan.groups == [group]
    later = timezone.localdate() + datetime.timedelta(days=1)
    rows = {
        row.unit.code: row for row in selectors.my_units(actor=supervisor, campaign=campaign, today=later)
    }
    assert rows["1401"].findings_overdue == 1


def test_my_units_queries_do_not_grow_with_coverage(group, unit, persona, campaign):
    supervisor = persona("taiyuan_supervisor")
    with CaptureQueriesContext(connection) as one:
        selectors.my_units(actor=supervisor, campaign=campaign)
    for code in ("1404", "140105", "140106"):
        services.coverage_add(actor=persona("office"), group=group, unit=unit(code))
    with CaptureQueriesContext(connection) as four:
        assert len(selectors.my_units(actor=supervisor, campaign=campaign)) == 4
    assert len(four) == len(one)


def test_someone_in_no_group_has_no_units(campaign, persona):
    assert selectors.my_units(actor=persona("xiaodian_clerk"), campaign=campaign) == []

"""The scan raises each kind of alert on the planted cases, explains it, and leaves clean records alone."""

import datetime

import pytest
from django.core.management import call_command
from django.utils import timezone
from tests.ledger.conftest import pdf_upload

from dalun.demo import formalism as demo
from dalun.formalism.choices import AlertStatus
from dalun.formalism.models import Alert
from dalun.formalism.services import scan_campaign
from dalun.ledger import services as ledger_services
from dalun.ledger.models import Measure, Problem
from dalun.org.policy import SYSTEM
from dalun.supervision import services as supervision


def alerts_of(code, rule=None):
    found = Alert.objects.filter(unit__code=code)
    return found.filter(rule=rule) if rule else found


def test_copied_pair_between_two_districts_with_passages_highlighted(scan):
    run = scan()
    alert = alerts_of(demo.YINGZE, "copied_pair").get(records__0__ref__startswith="ledger.problem")
    assert alert.kind == "copied" and alert.status == AlertStatus.OPEN
    original, copy = alert.explanation["texts"]
    assert original["text"] == demo.ORIGINAL_PROBLEM and copy["text"] == demo.COPIED_PROBLEM
    assert original["unit_name"] == "杏花岭区" and copy["unit_name"] == "迎泽区"
    assert 0.8 <= alert.explanation["similarity"] < 1.0
    # The highlighted passages are the shared wording, on both sides, at offsets into the texts as written.
    start, end = original["spans"][0][:2]
    assert "政务服务中心不动产登记窗口" in original["text"][start:end]
    assert all(
        copy["text"][s:e].replace("迎泽区", "杏花岭区") in demo.ORIGINAL_PROBLEM for s, e in copy["spans"]
    )
    # The measure was copied too; the original unit gets no alert of its own for the same pair.
    assert alerts_of(demo.YINGZE, "copied_pair").count() == 2
    assert not alerts_of(demo.XINGHUALING, "copied_pair").exists()
    assert run.counts["copied"] >= 3 and run.counts["new"] == Alert.objects.count()


def test_copy_of_a_template_example(scan):
    scan()
    alert = alerts_of(demo.WANBAILIN, "copied_template").get()
    template, text = alert.explanation["texts"]
    assert template["source"] == "template" and "以文件落实文件" in template["text"]
    assert text["text"] == demo.TEMPLATE_COPY


def test_slogan_only_self_examination(scan, unit):
    scan()
    alert = Alert.objects.get(rule="slogan_ledger")
    assert alert.unit.is_within(unit(demo.YINGZE)) and alert.unit.depth == 5
    assert alert.explanation["slogan_texts"] == 4 and alert.explanation["share"] == 1.0
    first = alert.explanation["texts"][0]
    assert any(kind == "stock" for _s, _e, kind in first["spans"])
    assert set(first["missing"]) == {"number", "date", "place", "name"}


def test_blame_shifting_problems_and_not_the_self_critical_one(scan):
    scan()
    alerts = alerts_of(demo.QINGXU, "blame_problem")
    assert alerts.count() == 2
    kinds = {kind for alert in alerts for _s, _e, kind in alert.explanation["texts"][0]["spans"]}
    assert {"higher_level", "objective"} & kinds
    # Xinghualing's own, concrete problem is neither a slogan nor blame-shifting nor copied from the template.
    assert not alerts_of(demo.XINGHUALING).exclude(kind="neglect").exists()


def test_motions_without_action(scan):
    scan()
    assert alerts_of(demo.YANGQU, "closed_without_evidence").get().explanation["count"] == 8
    on_day = alerts_of(demo.YANGQU, "closed_on_deadline").get()
    assert on_day.explanation["on_deadline"] == 8
    burst = alerts_of(demo.YANGQU, "closing_burst").get()
    assert burst.explanation["in_window"] == 8
    assert alerts_of(demo.YANGQU, "keylink_without_evidence").exists()
    few = Alert.objects.get(rule="few_problems")
    assert few.explanation["problems"] == 0 and few.unit.depth == 5
    # Units that closed nothing, or closed with evidence, are not flagged.
    assert (
        not Alert.objects.filter(rule__in=["closing_burst", "closed_on_deadline"])
        .exclude(unit__code=demo.YANGQU)
        .exists()
    )


def test_neglect_is_escalated_to_the_level_above(scan):
    scan()
    alert = alerts_of("1401", "overdue_measures").get()
    assert alert.kind == "neglect" and alert.escalated_to.code == "1401"
    assert alert.explanation["count"] == 3 and alert.explanation["oldest_days_overdue"] == 34
    assert alert.explanation["units"] == [{"unit": alert.records[0]["unit"], "name": "娄烦县", "count": 3}]
    # Nothing is raised on the neglecting unit itself, and Yingze's measures are not due yet.
    assert not alerts_of(demo.LOUFAN, "overdue_measures").exists()
    assert all(record["unit"] != alert.unit_id for record in alert.records)


def test_rescan_updates_in_place_and_resolves_what_is_fixed(scan):
    scan()
    total = Alert.objects.count()
    second = scan()
    assert Alert.objects.count() == total and second.counts["new"] == 0
    assert second.counts["texts_hashed"] == 0  # the index persisted: nothing was hashed again
    Measure.objects.filter(unit__code=demo.LOUFAN).update(
        deadline=datetime.date.today() + datetime.timedelta(days=9)
    )
    scan()
    assert alerts_of("1401", "overdue_measures").get().status == AlertStatus.RESOLVED


def test_a_changed_text_is_hashed_again_and_compared(scan, persona):
    scan()
    problem = Problem.objects.get(manifestation=demo.COPIED_PROBLEM)
    Problem.objects.filter(pk=problem.pk).update(
        manifestation="迎泽区柳巷商圈夜间停车难，周边3个停车场晚上8点后不开放。"
    )
    run = scan()
    assert run.counts["texts_hashed"] == 1
    alert = alerts_of(demo.YINGZE, "copied_pair").get(records__0__ref__startswith="ledger.problem")
    assert alert.status == AlertStatus.RESOLVED


def test_scan_command_prints_counts_and_alerts(planted, capsys):
    call_command("scan", "--campaign", planted.key)
    out = capsys.readouterr().out
    assert f"campaign {planted.key}" in out and "copied: " in out and "copied/copied_pair 迎泽区" in out
    call_command("scan", "--json")
    import json

    report = json.loads(capsys.readouterr().out)
    assert report[0]["counts"]["new"] == 0 and report[0]["open"] > 0


def test_scan_command_refuses_an_unknown_campaign(planted):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="no campaign"):
        call_command("scan", "--campaign", "nope")


def test_thresholds_are_settings(scan, settings):
    settings.DALUN_FORMALISM = {**settings.DALUN_FORMALISM, "burst_min": 9, "deadline_day_min": 9}
    scan()
    assert not alerts_of(demo.YANGQU, "closing_burst").exists()
    assert not alerts_of(demo.YANGQU, "closed_on_deadline").exists()
    settings.DALUN_FORMALISM = {"no_such_key": 1}
    with pytest.raises(ValueError, match="no_such_key"):
        scan()


def test_measures_rushed_closed_just_before_an_inspection_fire_with_the_inspection_named(
    campaign, ledger, make_problem, make_measure, persona, unit
):
    clerk, supervisor, office = persona("xiaodian_clerk"), persona("taiyuan_supervisor"), persona("office")
    for number in range(3):  # fewer than burst_min: no burst on their own
        measure = make_measure(make_problem(ledger, text=f"第{number + 1}项问题：窗口办件超时。"))
        ledger_services.evidence_attach(actor=clerk, measure=measure, upload=pdf_upload())
        ledger_services.measure_request_close(actor=clerk, measure=measure)
        ledger_services.measure_verify(actor=supervisor, measure=measure, approve=True)

    def burst_alerts():
        scan_campaign(actor=SYSTEM, campaign=campaign)
        return Alert.objects.filter(unit=unit("140105"), rule="closing_burst")

    assert not burst_alerts().exists()
    group = supervision.group_create(actor=office, campaign=campaign, name="督导组", leading_unit=unit("14"))
    supervision.coverage_add(actor=office, group=group, unit=unit("1401"))
    inspection_day = timezone.localdate() + datetime.timedelta(days=2)
    supervision.inspection_plan(actor=office, group=group, unit=unit("140105"), planned_on=inspection_day)
    alert = burst_alerts().get()
    assert alert.explanation["in_window"] == 3
    assert alert.explanation["inspection_on"] == inspection_day.isoformat()

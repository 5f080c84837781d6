"""Confirming turns an alert into a supervision finding in the unit's ledger; dismissing remembers why,
and a dismissed alert comes back only when its records change."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from dalun.audit.models import AuditEntry
from dalun.demo import formalism as demo
from dalun.formalism import selectors, services
from dalun.formalism.choices import AlertStatus
from dalun.formalism.models import Alert
from dalun.ledger.models import Problem


@pytest.fixture
def copied(scan):
    scan()
    return Alert.objects.get(
        unit__code=demo.YINGZE, rule="copied_pair", records__0__ref__startswith="ledger.problem"
    )


def test_dismissed_alert_is_not_raised_again_while_the_records_are_unchanged(copied, scan, persona):
    services.alert_dismiss(actor=persona("taiyuan_supervisor"), alert=copied, reason="两区联合制定的统一方案")
    scan()
    copied.refresh_from_db()
    assert copied.status == AlertStatus.DISMISSED and copied.dismissal_reason == "两区联合制定的统一方案"
    assert copied.decided_by == persona("taiyuan_supervisor")
    assert AuditEntry.objects.filter(action="alert.dismiss", object_id=str(copied.pk)).exists()


def test_dismissed_alert_opens_again_after_the_records_change(copied, scan, persona):
    services.alert_dismiss(actor=persona("taiyuan_supervisor"), alert=copied, reason="统一方案")
    Problem.objects.filter(manifestation=demo.COPIED_PROBLEM).update(
        manifestation=demo.COPIED_PROBLEM.replace("6个工作日", "5个工作日")
    )
    run = scan()
    copied.refresh_from_db()
    assert copied.status == AlertStatus.OPEN and copied.dismissal_reason == ""
    assert "5个工作日" in copied.explanation["texts"][1]["text"]
    assert copied.explanation["similarity"] == 1.0
    assert run.counts["reopened"] >= 1


def test_dismissing_needs_a_reason(copied, persona):
    with pytest.raises(ValidationError) as error:
        services.alert_dismiss(actor=persona("taiyuan_supervisor"), alert=copied, reason="  ")
    assert "reason" in error.value.message_dict


def test_confirm_creates_the_finding_and_the_ledger_problem(copied, persona):
    from dalun.supervision.models import Finding

    supervisor = persona("taiyuan_supervisor")
    confirmed = services.alert_confirm(actor=supervisor, alert=copied, text="迎泽区查摆问题照抄杏花岭区")
    assert confirmed.status == AlertStatus.CONFIRMED
    finding = Finding.objects.get(pk=confirmed.finding_id)
    assert finding.unit.code == demo.YINGZE and finding.origin_ref == f"alert:{copied.pk}"
    assert (
        finding.problem.source == "supervision"
        and finding.problem.manifestation == "迎泽区查摆问题照抄杏花岭区"
    )
    assert Problem.objects.filter(unit__code=demo.YINGZE, source="supervision").count() == 1
    with pytest.raises(ValidationError):
        services.alert_confirm(actor=supervisor, alert=copied)


def test_confirm_without_text_names_the_rule(copied, persona):
    from dalun.supervision.models import Finding

    confirmed = services.alert_confirm(actor=persona("taiyuan_supervisor"), alert=copied)
    assert "Near-duplicate" in Finding.objects.get(pk=confirmed.finding_id).text


def test_only_reviewers_over_the_unit_decide(copied, persona):
    for username in ("xiaodian_head", "yingze_clerk", "changzhi_head", "moderator"):
        with pytest.raises(PermissionDenied):
            services.alert_dismiss(actor=persona(username), alert=copied, reason="x")
    services.alert_dismiss(actor=persona("office"), alert=copied, reason="省办复核")


def test_scoping_of_lists_and_counts(scan, persona, unit, planted):
    scan()
    supervisor = selectors.alert_list(actor=persona("taiyuan_supervisor"))
    assert supervisor.count() == Alert.objects.filter(unit__path__startswith=unit("1401").path).count() > 0
    head = selectors.alert_list(actor=persona("xiaodian_head"))
    assert head.exists() and all(alert.unit.is_within(unit("140105")) for alert in head)
    assert not selectors.alert_list(actor=persona("changzhi_head")).exists()
    assert not selectors.alert_list(actor=persona("yingze_clerk")).exists()
    counts = selectors.alert_counts(actor=persona("taiyuan_supervisor"), unit=unit("1401"), campaign=planted)
    assert counts["copied"]["open"] == Alert.objects.filter(kind="copied").count()
    assert counts["motions"]["open"] >= 4 and set(counts) == {
        "copied",
        "slogan",
        "blame_shifting",
        "motions",
        "neglect",
    }
    outside = selectors.alert_counts(actor=persona("changzhi_head"), unit=unit("1401"), campaign=planted)
    assert all(value == 0 for kinds in outside.values() for value in kinds.values())

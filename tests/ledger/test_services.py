"""Ledger services: recording, rectifying with evidence, sign-off, key links, and exact rollups."""

import datetime
import random
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from dalun.audit.models import AuditEntry
from dalun.campaigns.models import KeyLinkObligation
from dalun.ledger import rollups, services
from dalun.ledger.choices import EventKind, LedgerStatus, MeasureStatus, ProblemStatus
from dalun.ledger.models import Counter, Event

from .conftest import pdf_upload

pytestmark = pytest.mark.django_db


def test_clerk_records_a_problem_and_a_measure_counted_in_working_days(ledger, make_problem, make_measure):
    problem = make_problem(ledger)
    measure = make_measure(problem, working_days=15)
    assert measure.deadline > timezone.localdate()
    assert measure.deadline.weekday() < 5 or measure.deadline_estimated is False  # a working day
    assert problem.status == ProblemStatus.OPEN
    assert AuditEntry.objects.filter(action="measure.create", object_id=str(measure.pk)).exists()
    assert Event.objects.filter(measure=measure, kind=EventKind.CREATED).exists()


def test_others_cannot_write_into_xiaodians_ledger(ledger, make_problem, persona, campaign):
    with pytest.raises(PermissionDenied):
        services.problem_create(
            actor=persona("yingze_clerk"),
            ledger=ledger,
            category=campaign.categories.first(),
            manifestation="x",
            source="self",
            visibility="public",
        )
    with pytest.raises(PermissionDenied):
        services.ledger_submit(
            actor=persona("xiaodian_clerk"), ledger=ledger, expected_version=ledger.version
        )


def test_a_measure_closes_only_with_evidence_and_verification_from_above(
    ledger, make_problem, make_measure, persona
):
    measure = make_measure(make_problem(ledger))
    with pytest.raises(ValidationError, match="evidence"):
        services.measure_request_close(actor=persona("xiaodian_clerk"), measure=measure)
    services.evidence_attach(actor=persona("xiaodian_clerk"), measure=measure, upload=pdf_upload())
    services.measure_request_close(actor=persona("xiaodian_clerk"), measure=measure)
    with pytest.raises(PermissionDenied):  # the unit's own head is not "the level above"
        services.measure_verify(actor=persona("xiaodian_head"), measure=measure, approve=True)
    closed = services.measure_verify(actor=persona("taiyuan_supervisor"), measure=measure, approve=True)
    assert closed.status == MeasureStatus.CLOSED and closed.closed_on == timezone.localdate()
    closed.problem.refresh_from_db()
    assert closed.problem.status == ProblemStatus.RECTIFIED


def test_a_refused_verification_needs_a_reason_and_reopens_the_measure(
    ledger, make_problem, make_measure, persona
):
    measure = make_measure(make_problem(ledger))
    services.evidence_attach(actor=persona("xiaodian_clerk"), measure=measure, upload=pdf_upload())
    services.measure_request_close(actor=persona("xiaodian_clerk"), measure=measure)
    with pytest.raises(ValidationError):
        services.measure_verify(actor=persona("office"), measure=measure, approve=False)
    reopened = services.measure_verify(
        actor=persona("office"), measure=measure, approve=False, comment="证据不足"
    )
    assert reopened.status == MeasureStatus.OPEN


def test_evidence_type_is_checked_by_content_not_by_name(ledger, make_problem, make_measure, persona):
    measure = make_measure(make_problem(ledger))
    fake = SimpleUploadedFile("report.pdf", b"MZ\x90\x00" + b"\x00" * 100)
    with pytest.raises(ValidationError):
        services.evidence_attach(actor=persona("xiaodian_clerk"), measure=measure, upload=fake)
    assert not measure.evidence.exists()


def test_sign_off_submit_return_and_accept(ledger, make_problem, make_measure, persona):
    problem = make_problem(ledger)
    with pytest.raises(ValidationError, match="measure"):
        services.ledger_submit(actor=persona("xiaodian_head"), ledger=ledger, expected_version=ledger.version)
    make_measure(problem)
    ledger.refresh_from_db()
    submitted = services.ledger_submit(
        actor=persona("xiaodian_head"), ledger=ledger, expected_version=ledger.version
    )
    assert submitted.status == LedgerStatus.SUBMITTED
    with pytest.raises(PermissionDenied):  # reviewing is for the level above
        services.ledger_review(
            actor=persona("xiaodian_head"), ledger=submitted, expected_version=submitted.version, accept=True
        )
    returned = services.ledger_review(
        actor=persona("office"),
        ledger=submitted,
        expected_version=submitted.version,
        accept=False,
        comment="问题查摆不够具体",
    )
    assert returned.status == LedgerStatus.RETURNED
    again = services.ledger_submit(
        actor=persona("xiaodian_head"), ledger=returned, expected_version=returned.version
    )
    accepted = services.ledger_review(
        actor=persona("office"), ledger=again, expected_version=again.version, accept=True
    )
    assert accepted.status == LedgerStatus.ACCEPTED
    kinds = list(Event.objects.filter(ledger=ledger, measure=None).values_list("kind", flat=True))
    assert kinds == ["submitted", "returned", "submitted", "accepted"]


def test_a_new_problem_after_acceptance_sends_the_ledger_back_to_draft(
    ledger, make_problem, make_measure, persona
):
    make_measure(make_problem(ledger))
    ledger.refresh_from_db()
    ledger = services.ledger_submit(
        actor=persona("xiaodian_head"), ledger=ledger, expected_version=ledger.version
    )
    ledger = services.ledger_review(
        actor=persona("office"), ledger=ledger, expected_version=ledger.version, accept=True
    )
    make_problem(ledger, text="新发现的问题")
    ledger.refresh_from_db()
    assert ledger.status == LedgerStatus.DRAFT


def test_stale_versions_are_refused_with_the_current_values(ledger, make_problem, make_measure, persona):
    measure = make_measure(make_problem(ledger))
    services.measure_update(
        actor=persona("xiaodian_clerk"), measure=measure, expected_version=measure.version, owner="张三"
    )
    with pytest.raises(services.ConcurrentEditError) as conflict:
        services.measure_update(
            actor=persona("xiaodian_head"), measure=measure, expected_version=measure.version, owner="李四"
        )
    assert conflict.value.current["owner"] == "张三"
    measure.refresh_from_db()
    assert measure.owner == "张三"


def test_key_link_progress_within_its_window_with_evidence(ledger, persona, unit, campaign):
    obligation = KeyLinkObligation.objects.get(unit=unit("140105"), key_link__key="mobilisation")
    link = obligation.key_link
    with pytest.raises(ValidationError, match="window"):
        services.keylink_report(
            actor=persona("xiaodian_clerk"),
            obligation=obligation,
            status="done",
            reported_on=link.ends_on + datetime.timedelta(days=1),
            upload=pdf_upload(),
        )
    with pytest.raises(ValidationError, match="evidence"):
        services.keylink_report(
            actor=persona("xiaodian_clerk"), obligation=obligation, status="done", reported_on=link.starts_on
        )
    progress = services.keylink_report(
        actor=persona("xiaodian_clerk"),
        obligation=obligation,
        status="done",
        reported_on=link.starts_on,
        note="召开动员大会",
        upload=pdf_upload(),
    )
    assert progress.evidence.count() == 1
    counters = dict(
        Counter.objects.filter(unit=unit("1401"), campaign=campaign, metric="keylink").values_list(
            "key", "value"
        )
    )
    assert counters["mobilisation|done"] == 1


def test_rollups_stay_exact_after_randomized_writes(
    ledger, campaign, make_problem, make_measure, persona, unit
):
    """Any mix of writes leaves the maintained counters equal to a recount from the rows."""
    rng = random.Random(7)
    clerk, supervisor = persona("xiaodian_clerk"), persona("taiyuan_supervisor")
    categories = list(campaign.categories.values_list("key", flat=True))
    measures = []
    for step in range(40):
        choice = rng.random()
        if choice < 0.25 or not measures:
            problem = make_problem(ledger, category_key=rng.choice(categories), text=f"问题{step}")
            measures.append(make_measure(problem, working_days=rng.randint(1, 30)))
        elif choice < 0.45:
            measures.append(
                make_measure(
                    rng.choice(measures).problem,
                    deadline=timezone.localdate() - datetime.timedelta(days=rng.randint(1, 20)),
                )
            )
        elif choice < 0.65:
            measure = rng.choice(measures)
            measure.refresh_from_db()
            if measure.status == MeasureStatus.OPEN:
                services.evidence_attach(actor=clerk, measure=measure, upload=pdf_upload())
                services.measure_request_close(actor=clerk, measure=measure)
        elif choice < 0.8:
            measure = rng.choice(measures)
            measure.refresh_from_db()
            if measure.status == MeasureStatus.CLOSING:
                services.measure_verify(
                    actor=supervisor, measure=measure, approve=rng.random() < 0.7, comment="x"
                )
        elif choice < 0.9:
            measure = rng.choice(measures)
            measure.refresh_from_db()
            if measure.status != MeasureStatus.CLOSED:
                services.measure_update(
                    actor=clerk,
                    measure=measure,
                    expected_version=measure.version,
                    deadline=timezone.localdate() + datetime.timedelta(days=rng.randint(-5, 5)),
                )
        else:
            problem = rng.choice(measures).problem
            problem.refresh_from_db()
            services.problem_update(
                actor=clerk,
                problem=problem,
                expected_version=problem.version,
                category_id=campaign.categories.get(key=rng.choice(categories)).pk,
            )
    assert rollups.differences(campaign_id=campaign.pk) == []
    province_total = Counter.objects.filter(unit=unit("14"), campaign=campaign, metric="measures")
    assert sum(province_total.values_list("value", flat=True)) == len({m.pk for m in measures})


def test_verify_reports_a_tampered_counter(ledger, campaign, make_problem, make_measure, unit):
    make_measure(make_problem(ledger))
    Counter.objects.filter(unit=unit("1401"), campaign=campaign, metric="measures").update(value=99)
    assert rollups.differences(campaign_id=campaign.pk)
    rollups.rebuild(campaign_id=campaign.pk)
    assert rollups.differences(campaign_id=campaign.pk) == []


def test_measure_target_must_be_a_number(ledger, make_problem, make_measure):
    with pytest.raises(ValidationError):
        make_measure(make_problem(ledger), target=Decimal("1e20"))


def test_rollups_command_verifies_and_rebuilds(ledger, campaign, make_problem, make_measure, unit, capsys):
    from django.core.management import CommandError, call_command

    make_measure(make_problem(ledger))
    call_command("rollups", "verify")
    assert "rollups exact" in capsys.readouterr().out
    Counter.objects.filter(unit=unit("14"), campaign=campaign, metric="problems").update(value=5)
    with pytest.raises(CommandError, match="differ"):
        call_command("rollups", "verify", "--campaign", campaign.key)
    call_command("rollups", "rebuild")
    call_command("rollups", "verify")

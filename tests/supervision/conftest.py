"""A liaison group of the province covering Taiyuan, with the Taiyuan supervisor as its leader, and
helpers to plan and record inspections and to rectify a finding through the ledger."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from dalun.ledger import services as ledger_services
from dalun.supervision import services

PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


def pdf_upload(name: str = "photo.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


@pytest.fixture
def group(campaign, unit, persona):
    office = persona("office")
    group = services.group_create(
        actor=office, campaign=campaign, name="省第一联络督导组", leading_unit=unit("14")
    )
    services.member_add(actor=office, group=group, person=persona("taiyuan_supervisor"), role="leader")
    services.coverage_add(actor=office, group=group, unit=unit("1401"))
    return group


@pytest.fixture
def planned(group, unit, persona):
    """An announced inspection of Xiaodian planned for today."""
    return services.inspection_plan(
        actor=persona("office"), group=group, unit=unit("140105"), planned_on=timezone.localdate()
    )


@pytest.fixture
def recorded(planned, persona):
    return services.inspection_record(
        actor=persona("taiyuan_supervisor"),
        inspection=planned,
        inspected_on=timezone.localdate(),
        method="document_review",
        checked="问题清单、整改台账、群众意见办理",
        answers={"ledger_specific": ("no", "问题清单以口号代替问题"), "leadership": ("yes", "")},
    )


@pytest.fixture
def make_finding(recorded, persona, unit, campaign):
    def make(text: str = "问题清单空泛，以口号代替具体问题。", **extra):
        values = {"unit": unit("140105"), "campaign": campaign, "inspection": recorded}
        values.update(extra)
        return services.finding_record(actor=persona("taiyuan_supervisor"), text=text, **values)

    return make


@pytest.fixture
def rectify(persona):
    """Rectify a finding's problem the ordinary way: a measure, evidence, closing, verification."""

    def run(finding, *, closed_on: datetime.date | None = None):
        clerk = persona("xiaodian_clerk")
        measure = ledger_services.measure_create(
            actor=clerk,
            problem=finding.problem,
            action="逐条细化问题清单",
            indicator="具体问题条数",
            target=Decimal("10"),
            owner="刘芳",
            working_days=10,
        )
        ledger_services.evidence_attach(actor=clerk, measure=measure, upload=pdf_upload("list.pdf"))
        ledger_services.measure_request_close(actor=clerk, measure=measure)
        ledger_services.measure_verify(actor=persona("taiyuan_supervisor"), measure=measure, approve=True)
        if closed_on is not None:  # the day it closed, for on-time tests (a fact, not a domain write)
            type(measure).objects.filter(pk=measure.pk).update(closed_on=closed_on)
        finding.problem.refresh_from_db()
        return measure

    return run

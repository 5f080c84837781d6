"""A campaign in its rectification phase, deployed to Taiyuan, and helpers to fill a ledger."""

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from dalun.ledger import services

# The smallest well-formed PDF a content check accepts.
PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


@pytest.fixture
def ledger(campaign, unit, persona):
    return services.ledger_open(actor=persona("xiaodian_clerk"), unit=unit("140105"), campaign=campaign)


def pdf_upload(name: str = "evidence.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


@pytest.fixture
def make_problem(campaign, persona):
    def make(
        ledger,
        category_key: str = "reform_awareness",
        text: str = "审批事项办理时限长，群众反映多次跑腿。",
        visibility: str = "public",
    ):
        return services.problem_create(
            actor=persona("xiaodian_clerk"),
            ledger=ledger,
            category=campaign.categories.get(key=category_key),
            manifestation=text,
            source="self",
            visibility=visibility,
        )

    return make


@pytest.fixture
def make_measure(persona):
    def make(problem, **overrides):
        values = {
            "action": "推行一窗受理、限时办结",
            "indicator": "平均办理时限",
            "baseline": Decimal("15"),
            "target": Decimal("5"),
            "target_unit": "个工作日",
            "owner": "刘芳",
            "working_days": 20,
        }
        values.update(overrides)
        return services.measure_create(actor=persona("xiaodian_clerk"), problem=problem, **values)

    return make

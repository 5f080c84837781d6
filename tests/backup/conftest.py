"""Installations to back up: the demo loaded on the test slice, with uploads made through the services."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command

from dalun.backup.tables import EXCLUDED_MODELS, INSTALLATION_MODELS

PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


def pdf(name: str, mark: str) -> SimpleUploadedFile:
    """A small PDF whose bytes differ by ``mark``, so files can be told apart byte for byte."""
    return SimpleUploadedFile(name, PDF + f"% {mark}\n".encode(), content_type="application/pdf")


def _plain(value: Any) -> Any:
    return bytes(value) if isinstance(value, memoryview) else value


def database_rows() -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table of every installed model, in primary-key order (read independently of the
    backup code: all concrete columns through the ORM)."""
    rows = {}
    for model in apps.get_models(include_auto_created=True):
        label = model._meta.label_lower
        if label in EXCLUDED_MODELS or model._meta.proxy or not model._meta.managed:
            continue
        names = [field.attname for field in model._meta.concrete_fields]
        queryset = model._base_manager.order_by("pk").values_list(*names)
        rows[label] = [tuple(_plain(value) for value in row) for row in queryset]
    return rows


def media_contents(root: Path) -> dict[str, bytes]:
    return {
        path.relative_to(root).as_posix(): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def domain_row_count() -> int:
    """Rows outside what ``migrate`` creates by itself: zero in an empty installation."""
    return sum(len(rows) for label, rows in database_rows().items() if label not in INSTALLATION_MODELS)


def empty_installation(settings, media_root: Path) -> None:
    """Turn the test database into a fresh installation: no rows but migrate's, an empty MEDIA_ROOT."""
    call_command("flush", interactive=False, verbosity=0)
    settings.MEDIA_ROOT = media_root
    assert domain_row_count() == 0


@pytest.fixture
def demo_installation(seeded_transactional_db):
    """The demo (the real loaders, on the test slice) plus evidence and attachments uploaded by people."""
    from dalun.demo.campaign import ensure_campaign
    from dalun.demo.ledgers import ensure_ledgers, ensure_xiaodian_ledger
    from dalun.demo.suggestions import ensure_suggestions
    from dalun.ledger import services as ledger_services
    from dalun.ledger.models import Measure
    from dalun.opinions.demo import ensure_opinion_map
    from dalun.org.models import Person
    from dalun.voices import services as voice_services

    campaign = ensure_campaign()
    ensure_ledgers(campaign)
    ensure_xiaodian_ledger(campaign)
    ensure_suggestions(campaign)
    ensure_opinion_map(campaign)
    clerk = Person.objects.get(username="xiaodian_clerk")
    measure = Measure.objects.filter(unit__code="140105").order_by("pk").first()
    assert measure is not None
    ledger_services.evidence_attach(actor=clerk, measure=measure, upload=pdf("整改前后对比.pdf", "evidence"))
    voice_services.suggestion_submit(
        campaign=campaign,
        title="建议公开窗口排队情况",
        text="希望在网上实时公布政务服务中心各窗口排队人数。",
        contact="13800138000",
        attachments=[pdf("排队照片.pdf", "attachment-1"), pdf("说明.pdf", "attachment-2")],
    )
    return campaign


@pytest.fixture
def small_installation(seeded_transactional_db):
    """The test slice with the personas and one uploaded evidence file: quick to back up many times."""
    from dalun.demo.campaign import ensure_campaign
    from dalun.demo.ledgers import ensure_xiaodian_ledger
    from dalun.ledger import services as ledger_services
    from dalun.ledger.models import Measure
    from dalun.org.models import Person

    campaign = ensure_campaign(root_code="140105")
    ensure_xiaodian_ledger(campaign)
    measure = Measure.objects.filter(unit__code="140105").order_by("pk").first()
    assert measure is not None
    clerk = Person.objects.get(username="xiaodian_clerk")
    ledger_services.evidence_attach(actor=clerk, measure=measure, upload=pdf("evidence.pdf", "small"))
    return campaign

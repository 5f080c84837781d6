"""A snapshot taken by another installation on SQLite restores here (on PostgreSQL: across vendors)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from django.db import connection

from dalun.backup.manifest import read_manifest
from dalun.backup.restore import restore_snapshot
from dalun.backup.snapshot import take_snapshot

from .conftest import empty_installation, media_contents

# Runs in a separate process with the embedded profile (its own SQLite file under a temporary var/):
# migrate, load two districts with the personas, a campaign and a ledger with uploaded evidence, back up.
EMBEDDED_INSTALLATION = """
import django
django.setup()
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
call_command("migrate", verbosity=0)
from dalun.demo.campaign import ensure_campaign
from dalun.demo.ledgers import ensure_xiaodian_ledger
from dalun.demo.personas import ensure_personas
from dalun.demo.province import load_province
from dalun.ledger.models import Measure
from dalun.ledger.services import evidence_attach
from dalun.org.models import Person
load_province(keep=lambda row: len(row["code"]) <= 4 or row["code"][:6] in {"140105", "140106"})
ensure_personas()
campaign = ensure_campaign(root_code="1401")
ensure_xiaodian_ledger(campaign)
evidence_attach(
    actor=Person.objects.get(username="xiaodian_clerk"),
    measure=Measure.objects.filter(unit__code="140105").order_by("pk").first(),
    upload=SimpleUploadedFile("台账照片.pdf", b"%PDF-1.4\\n%%EOF\\n% embedded\\n", "application/pdf"),
)
call_command("backup", "snapshot.tar.gz")
"""


def test_a_snapshot_from_an_embedded_installation_restores_here_value_for_value(
    seeded_transactional_db, settings, tmp_path
):
    source = tmp_path / "embedded"
    source.mkdir()
    environment = {
        key: value for key, value in os.environ.items() if not key.startswith(("DALUN_", "DJANGO_"))
    }
    environment.update(
        DJANGO_SETTINGS_MODULE="dalun.settings",
        DALUN_VAR_DIR=str(source / "var"),
        DALUN_TASK_BACKEND="immediate",
    )
    done = subprocess.run(
        [sys.executable, "-c", EMBEDDED_INSTALLATION],
        cwd=source,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    archive = source / "snapshot.tar.gz"

    empty_installation(settings, tmp_path / "media")
    restored = restore_snapshot(archive)
    assert restored.vendor == "sqlite"
    assert restored.row_count > 1000

    # Back up what this database now holds and compare with the embedded installation's snapshot.
    again = tmp_path / "again"
    take_snapshot(again)
    assert read_manifest(again).vendor == connection.vendor
    original = tmp_path / "original"
    original.mkdir()
    subprocess.run(["tar", "-xzf", str(archive), "-C", str(original)], check=True)
    for entry in read_manifest(original).tables:
        first = (original / entry.file).read_text(encoding="utf-8").splitlines()
        second = (again / entry.file).read_text(encoding="utf-8").splitlines()
        # Equal as values: PostgreSQL's jsonb may give a JSON column's keys back in another order.
        assert [json.loads(line) for line in first] == [json.loads(line) for line in second], entry.model
    assert media_contents(original / "media") == media_contents(Path(settings.MEDIA_ROOT))
    assert media_contents(again / "media") == media_contents(original / "media")

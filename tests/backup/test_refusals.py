"""A restore refuses damaged snapshots, other migrations and non-empty installations, and writes nothing."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from dalun.backup.manifest import BackupError
from dalun.backup.restore import restore_snapshot
from dalun.backup.snapshot import take_snapshot
from dalun.org.models import Unit

from .conftest import database_rows, domain_row_count, empty_installation, media_contents


def flip_one_byte(path: Path, *, near: bytes) -> None:
    """Change one byte (a digit to another digit, so the file still parses) just after ``near``."""
    data = bytearray(path.read_bytes())
    index = data.index(near) + len(near)
    while not chr(data[index]).isdigit():
        index += 1
    data[index] = ord("7") if data[index] != ord("7") else ord("3")
    path.write_bytes(bytes(data))


def rewrite_manifest(root: Path, change) -> None:
    manifest = json.loads((root / "manifest.json").read_text(encoding="utf-8"))
    change(manifest)
    (root / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")


def assert_nothing_restored(media_root: Path) -> None:
    assert domain_row_count() == 0
    if media_root.exists():
        assert not media_contents(media_root)


@pytest.fixture
def snapshot(small_installation, tmp_path) -> Path:
    path = tmp_path / "snapshot"
    take_snapshot(path)
    return path


def test_damaged_table_dump_is_refused_by_name_and_nothing_is_written(snapshot, settings, tmp_path):
    flip_one_byte(snapshot / "tables" / "org.unit.jsonl", near=b"\n[")
    empty_installation(settings, tmp_path / "fresh-media")
    with pytest.raises(CommandError, match=r"tables/org\.unit\.jsonl: checksum mismatch"):
        call_command("restore", str(snapshot))
    assert_nothing_restored(tmp_path / "fresh-media")


def test_damaged_uploaded_file_is_refused_by_name_and_nothing_is_written(snapshot, settings, tmp_path):
    manifest = json.loads((snapshot / "manifest.json").read_text(encoding="utf-8"))
    evidence = next(
        entry["path"] for entry in manifest["files"] if entry["path"].startswith("media/evidence/")
    )
    flip_one_byte(snapshot / evidence, near=b"%PDF-")
    empty_installation(settings, tmp_path / "fresh-media")
    with pytest.raises(BackupError) as refused:
        restore_snapshot(snapshot)
    assert evidence in str(refused.value) and "checksum mismatch" in str(refused.value)
    assert_nothing_restored(tmp_path / "fresh-media")


def test_verify_only_checks_the_snapshot_without_writing(snapshot, settings, tmp_path, capsys):
    empty_installation(settings, tmp_path / "fresh-media")
    call_command("restore", str(snapshot), "--verify-only")
    assert "is intact" in capsys.readouterr().out
    assert_nothing_restored(tmp_path / "fresh-media")
    (snapshot / "tables" / "org.person.jsonl").unlink()
    with pytest.raises(CommandError, match=r"tables/org\.person\.jsonl: listed in the manifest but missing"):
        call_command("restore", str(snapshot), "--verify-only")


def test_restore_into_a_non_empty_installation_is_refused(snapshot, settings):
    rows = database_rows()
    with pytest.raises(CommandError, match=r"not empty \(rows in [^)]*org\.unit"):
        call_command("restore", str(snapshot))
    assert database_rows() == rows


def test_other_migrations_are_refused_by_app(snapshot, settings, tmp_path):
    rewrite_manifest(snapshot, lambda manifest: manifest["migrations"].update(ledger="0999_from_the_future"))
    empty_installation(settings, tmp_path / "fresh-media")
    with pytest.raises(BackupError, match=r"migrations differ.*ledger \(0999_from_the_future / 0"):
        restore_snapshot(snapshot)
    assert_nothing_restored(tmp_path / "fresh-media")


def test_paths_outside_the_snapshot_are_refused(snapshot, settings, tmp_path):
    rewrite_manifest(snapshot, lambda manifest: manifest["files"][0].update(path="media/../../outside.pdf"))
    empty_installation(settings, tmp_path / "fresh-media")
    with pytest.raises(BackupError, match=r"outside media/"):
        restore_snapshot(snapshot)
    assert not (tmp_path / "outside.pdf").exists()


def test_rows_the_database_rejects_roll_the_whole_restore_back(snapshot, settings, tmp_path):
    """Checksums can be right and the content still wrong (a foreign key to nowhere): all or nothing."""
    dump = snapshot / "tables" / "org.roleassignment.jsonl"
    lines = dump.read_bytes().splitlines(keepends=True)
    row = json.loads(lines[-1])
    unit_column = json.loads((snapshot / "manifest.json").read_text())["tables"]
    columns = next(entry["columns"] for entry in unit_column if entry["model"] == "org.roleassignment")
    row[columns.index("unit_id")] = 987654321
    lines[-1] = (json.dumps(row, ensure_ascii=False) + "\n").encode()
    dump.write_bytes(b"".join(lines))

    def fix_checksum(manifest: dict) -> None:
        entry = next(entry for entry in manifest["tables"] if entry["model"] == "org.roleassignment")
        entry["sha256"] = hashlib.sha256(dump.read_bytes()).hexdigest()
        entry["size"] = dump.stat().st_size

    rewrite_manifest(snapshot, fix_checksum)
    empty_installation(settings, tmp_path / "fresh-media")
    with pytest.raises(
        BackupError, match=r"(?s)refused the snapshot.*org_roleassignment.*nothing was restored"
    ):
        restore_snapshot(snapshot)
    assert_nothing_restored(tmp_path / "fresh-media")
    assert not Unit.objects.exists()


def test_backup_never_overwrites_and_is_private_to_its_owner(small_installation, tmp_path):
    target = tmp_path / "taken"
    take_snapshot(target)
    assert target.stat().st_mode & 0o777 == 0o700
    archive = tmp_path / "taken.tar"
    take_snapshot(archive)
    assert archive.stat().st_mode & 0o777 == 0o600
    with pytest.raises(BackupError, match="already exists"):
        take_snapshot(target)
    assert not (tmp_path / "taken.partial").exists()

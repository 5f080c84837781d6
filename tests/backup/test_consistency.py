"""A snapshot sees the database at one instant, even while people keep writing."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections

from dalun.backup.manifest import read_manifest
from dalun.backup.snapshot import take_snapshot
from dalun.voices import services as voice_services
from dalun.voices.models import Suggestion


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="the SQLite test database lives in memory, where a second connection cannot write beside a reader",
)
def test_rows_committed_while_the_snapshot_runs_are_not_in_it(small_installation, tmp_path):
    before = Suggestion.objects.count()
    written: list[int] = []

    def write_elsewhere() -> None:
        try:
            suggestion = voice_services.suggestion_submit(
                campaign=small_installation,
                title="备份进行中提交的建议",
                text="这条建议在备份读取数据库的时候提交，不应出现在备份里。",
            )
            written.append(suggestion.pk)
        finally:
            connections.close_all()

    def after_each_table(line: str) -> None:
        if not written:  # after the first table: another connection commits a suggestion and its audit entry
            worker = threading.Thread(target=write_elsewhere)
            worker.start()
            worker.join()
            assert written

    take_snapshot(tmp_path / "snapshot", progress=after_each_table)

    rows = {entry.model: entry.rows for entry in read_manifest(tmp_path / "snapshot").tables}
    assert Suggestion.objects.count() == before + 1  # the write did commit...
    assert rows["voices.suggestion"] == before  # ...after the instant the snapshot shows

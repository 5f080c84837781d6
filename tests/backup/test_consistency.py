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


def test_every_table_is_read_inside_one_read_only_transaction(small_installation, tmp_path):
    seen: list[tuple[str, object]] = []

    def after_each_table(line: str) -> None:
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT current_setting('transaction_isolation'), "
                    "current_setting('transaction_read_only'), pg_current_snapshot()::text"
                )
                seen.append((line, cursor.fetchone()))
        else:  # SQLite: the deferred read transaction opened by the backup is still open
            seen.append((line, connection.connection.in_transaction))

    take_snapshot(tmp_path / "snapshot", progress=after_each_table)

    assert len(seen) == len(read_manifest(tmp_path / "snapshot").tables)
    states = {state for _line, state in seen}
    assert len(states) == 1  # the same transaction (on PostgreSQL: the same snapshot) for every table
    if connection.vendor == "postgresql":
        assert states.pop()[:2] == ("repeatable read", "on")
    else:
        assert states == {True}
    if connection.vendor == "sqlite":
        assert not connection.connection.in_transaction  # and it is closed afterwards

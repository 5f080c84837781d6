"""Committed writes: concurrent writers on PostgreSQL keep every chain gap-free without waiting for each
other across chains, and the migration links entries written before chains existed."""

from __future__ import annotations

import threading
import time
from contextlib import nullcontext

import pytest
from django.conf import settings
from django.db import DatabaseError, connection, connections, transaction
from django.db.migrations.executor import MigrationExecutor

from dalun.audit.models import AuditChain, AuditEntry
from dalun.audit.selectors import audit_verify
from dalun.audit.services import audit_one_chain, audit_record
from dalun.org.policy import SYSTEM

from .conftest import objects_on

on_postgresql = pytest.mark.skipif(
    "postgresql" not in settings.DATABASES["default"]["ENGINE"], reason="row locks: PostgreSQL only"
)


def _in_thread(work, errors: list[BaseException]) -> threading.Thread:
    def run() -> None:
        try:
            work()
        except BaseException as error:  # reported by the test
            errors.append(error)
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


@on_postgresql
def test_concurrent_writers_lose_no_sequence_number(transactional_db):
    targets = {"s01": objects_on("s01", 3), "s02": objects_on("s02", 3)}
    before = {key: AuditEntry.objects.filter(chain=key).count() for key in targets}
    errors: list[BaseException] = []

    def writer(key: str, worker: int) -> None:
        for number in range(15):
            with transaction.atomic():
                obj = targets[key][number % 3]
                audit_record(actor=SYSTEM, action="unit.update", obj=obj, changes={"n": [worker, number]})
                time.sleep(0.001)  # hold the head a moment so writers really overlap

    threads = [_in_thread(lambda k=key, w=w: writer(k, w), errors) for key in targets for w in range(4)]
    for thread in threads:
        thread.join(60)
    assert not errors
    for key in targets:
        seqs = list(AuditEntry.objects.filter(chain=key).order_by("seq").values_list("seq", flat=True))
        assert len(seqs) == before[key] + 4 * 15
        assert seqs == list(range(1, len(seqs) + 1))  # gap-free, no duplicate
        assert AuditChain.objects.get(key=key).last_seq == len(seqs)
    assert audit_verify().ok


@on_postgresql
def test_a_writer_waits_only_for_writers_on_its_own_chain(transactional_db):
    holder_obj, same_obj = objects_on("s03", 2)
    (other_obj,) = objects_on("s04", 1)
    holding, release = threading.Event(), threading.Event()
    finished: dict[str, float] = {}
    errors: list[BaseException] = []

    def holder() -> None:
        with transaction.atomic():
            audit_record(actor=SYSTEM, action="unit.update", obj=holder_obj)
            holding.set()
            release.wait(20)
        finished["holder"] = time.monotonic()

    def writer(name: str, obj) -> None:
        with transaction.atomic():
            audit_record(actor=SYSTEM, action="unit.update", obj=obj)
        finished[name] = time.monotonic()

    threads = [_in_thread(holder, errors)]
    assert holding.wait(20)
    threads.append(_in_thread(lambda: writer("same", same_obj), errors))
    threads.append(_in_thread(lambda: writer("other", other_obj), errors))
    time.sleep(1.0)
    assert "other" in finished  # another chain: not held up
    assert "same" not in finished  # same chain: waits for the head
    release.set()
    for thread in threads:
        thread.join(30)
    assert not errors and finished["same"] >= finished["holder"]
    assert audit_verify().ok


@on_postgresql
@pytest.mark.parametrize("one_chain", [False, True])
def test_bulk_writers_in_opposite_order_deadlock_unless_each_keeps_to_one_chain(transactional_db, one_chain):
    (a,) = objects_on("s11", 1)
    (b,) = objects_on("s12", 1)
    barrier = threading.Barrier(2, timeout=20)
    errors: list[BaseException] = []

    def bulk(objects) -> None:
        with transaction.atomic(), audit_one_chain() if one_chain else nullcontext():
            audit_record(actor=SYSTEM, action="unit.update", obj=objects[0])
            barrier.wait()  # each now holds the head of its first object's chain
            audit_record(actor=SYSTEM, action="unit.update", obj=objects[1])

    threads = [_in_thread(lambda: bulk([a, b]), errors), _in_thread(lambda: bulk([b, a]), errors)]
    for thread in threads:
        thread.join(60)
    if one_chain:
        assert not errors
        assert AuditEntry.objects.filter(object_id__in=[str(a.pk), str(b.pk)]).count() == 4
    else:  # the reason for audit_one_chain(): PostgreSQL aborts one of the two
        assert len(errors) == 1 and isinstance(errors[0], DatabaseError) and "deadlock" in str(errors[0])
    assert audit_verify().ok


def test_the_migration_links_entries_written_before_chains(transactional_db):
    executor = MigrationExecutor(connection)
    executor.migrate([("audit", "0002_initial")])
    old = executor.loader.project_state([("audit", "0002_initial")]).apps.get_model("audit", "AuditEntry")
    objects = objects_on("s07", 2) + objects_on("s08", 1)
    for number in range(6):
        obj = objects[number % 3]
        old.objects.create(
            actor_label="system",
            action="unit.update",
            object_type="org.unit",
            object_id=str(obj.pk),
            object_repr=str(obj),
            changes={"n": [number, number + 0.5], "k": 2.0},
        )
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())

    ids = [str(obj.pk) for obj in objects]
    entries = list(AuditEntry.objects.filter(object_id__in=ids).order_by("chain", "seq"))
    s07 = [entry for entry in entries if entry.chain == "s07"]
    assert len(entries) == 6 and len(s07) == 4 and {entry.chain for entry in entries} == {"s07", "s08"}
    assert [entry.pk for entry in s07] == sorted(entry.pk for entry in s07)  # oldest first
    first = s07[0].seq
    assert [entry.seq for entry in s07] == [first, first + 1, first + 2, first + 3]
    assert all(entry.hash and entry.prev_hash for entry in entries)
    assert AuditChain.objects.get(key="s07").last_hash == s07[-1].hash
    assert audit_verify().ok
    # and the writer continues the backfilled chain
    new = audit_record(actor=SYSTEM, action="unit.update", obj=objects[0])
    assert (new.chain, new.seq, new.prev_hash) == ("s07", first + 4, s07[-1].hash)
    assert audit_verify(chain_key="s07").ok

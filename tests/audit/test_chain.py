"""The hash chain: written gap-free per chain, re-derived identically from the database, and broken by
any direct change to the table, which ``dalun audit verify`` names."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import CommandError, call_command

from dalun.audit import chain
from dalun.audit.models import AppendOnlyError, AuditChain, AuditEntry
from dalun.audit.selectors import audit_verify
from dalun.audit.services import audit_one_chain, audit_record, chain_count
from dalun.org.policy import SYSTEM

from .conftest import fake_unit, objects_on, sql, verify_fails


def recomputed(entry: AuditEntry) -> str:
    return chain.entry_hash(
        actor_id=entry.actor_id,
        actor_label=entry.actor_label,
        action=entry.action,
        object_type=entry.object_type,
        object_id=entry.object_id,
        object_repr=entry.object_repr,
        changes=entry.changes,
        created_at=entry.created_at,
        chain=entry.chain,
        seq=entry.seq,
        prev_hash=entry.prev_hash,
    )


def test_each_entry_links_to_the_one_before_it_in_its_chain(chain_entries):
    seqs = [entry.seq for entry in chain_entries]
    assert seqs == list(range(seqs[0], seqs[0] + 5))
    assert {entry.chain for entry in chain_entries} == {"s05"}
    for before, after in zip(chain_entries, chain_entries[1:], strict=False):
        assert after.prev_hash == before.hash
    for entry in chain_entries:  # the hash re-derives from what the database gives back
        assert len(entry.hash) == 64 and recomputed(entry) == entry.hash
    head = AuditChain.objects.get(key="s05")
    assert (head.last_seq, head.last_hash) == (chain_entries[-1].seq, chain_entries[-1].hash)


def test_json_numbers_and_keys_hash_the_same_after_the_round_trip(db):
    obj = fake_unit(9_100_000)
    entry = audit_record(
        actor=SYSTEM,
        action="unit.update",
        obj=obj,
        changes={"b": [1.0, 2.5], "a": {"2": 1e20, "1": [None, True, "全角ＡＢＣ"]}, "c": [-0.0, 1e-7]},
    )
    stored = AuditEntry.objects.get(pk=entry.pk)
    assert stored.changes["b"] == [1, 2.5] and stored.changes["a"]["2"] == 10**20
    assert recomputed(stored) == entry.hash
    assert audit_verify(chain_key=entry.chain).ok


def test_an_objects_entries_stay_in_one_chain_and_chains_differ_by_object(db):
    entries = [audit_record(actor=SYSTEM, action="unit.update", obj=fake_unit(9_200_000)) for _ in range(3)]
    assert len({entry.chain for entry in entries}) == 1
    keys = {chain.chain_for("org.unit", str(pk), chain_count()) for pk in range(200)}
    assert len(keys) == chain_count()  # spread over every chain


def test_entries_written_outside_a_transaction_still_chain(db):
    first = audit_record(actor=SYSTEM, action="unit.update", obj=fake_unit(9_300_000))
    second = audit_record(actor=SYSTEM, action="unit.update", obj=fake_unit(9_300_000))
    assert second.seq == first.seq + 1 and second.prev_hash == first.hash


def test_model_code_cannot_change_or_delete_an_entry(chain_entries):
    entry = chain_entries[0]
    entry.action = "forged"
    with pytest.raises(AppendOnlyError):
        entry.save()
    with pytest.raises(AppendOnlyError):
        entry.delete()


def test_verify_reports_an_intact_trail_and_exits_zero(chain_entries):
    out = io.StringIO()
    call_command("audit", "verify", stdout=out)
    text = out.getvalue()
    assert "Audit trail intact" in text
    assert "chain s05: " in text and "ok" in text
    report = audit_verify()
    assert report.ok and report.entries == AuditEntry.objects.count()


def test_verify_names_an_entry_edited_with_raw_sql(chain_entries):
    target = chain_entries[2]
    sql("UPDATE audit_auditentry SET object_repr = %s WHERE id = %s", ["伪造", target.pk])
    message = verify_fails()
    assert f"chain s05, seq {target.seq}, entry id {target.pk}: altered" in message
    problem = audit_verify(chain_key="s05").problems[0]
    assert (problem.kind, problem.seq, problem.entry_id) == ("altered", target.seq, target.pk)


def test_verify_names_an_entry_whose_changes_or_time_were_edited(chain_entries):
    target = chain_entries[1]
    AuditEntry.objects.filter(pk=target.pk).update(changes={"progress": [10, 90]})  # bypasses save()
    assert audit_verify(chain_key="s05").problems[0].entry_id == target.pk
    AuditEntry.objects.filter(pk=target.pk).update(changes=target.changes)
    assert audit_verify(chain_key="s05").ok  # restored exactly: intact again
    AuditEntry.objects.filter(pk=target.pk).update(
        created_at=target.created_at + dt.timedelta(microseconds=1)
    )
    problem = audit_verify(chain_key="s05").problems[0]
    assert (problem.kind, problem.entry_id) == ("altered", target.pk)


def test_verify_names_the_gap_left_by_a_deleted_entry(chain_entries):
    gone, following = chain_entries[1], chain_entries[2]
    sql("DELETE FROM audit_auditentry WHERE id = %s", [gone.pk])
    message = verify_fails("--chain", "s05")
    assert f"chain s05, seq {following.seq}, entry id {following.pk}: deleted" in message
    assert f"seq {gone.seq}..{gone.seq} missing" in message


def test_verify_notices_entries_deleted_from_the_end(chain_entries):
    last = chain_entries[-1]
    sql("DELETE FROM audit_auditentry WHERE id = %s", [last.pk])
    problem = audit_verify(chain_key="s05").problems[0]
    assert (problem.kind, problem.seq) == ("missing", last.seq)
    assert "at the end of the chain" in verify_fails()


def test_verify_names_a_row_inserted_beyond_the_head_even_with_a_correct_hash(chain_entries):
    last = chain_entries[-1]
    forged = dict(
        actor_id=None,
        actor_label="system",
        action="unit.update",
        object_type="org.unit",
        object_id=last.object_id,
        object_repr="伪造",
        changes={},
        created_at=last.created_at,
        chain="s05",
        seq=last.seq + 1,
        prev_hash=last.hash,
    )
    sql(
        "INSERT INTO audit_auditentry (actor_id, actor_label, action, object_type, object_id, object_repr, "
        "changes, created_at, chain, seq, prev_hash, hash) "
        "VALUES (NULL, %s, %s, %s, %s, %s, '{}', %s, %s, %s, %s, %s)",
        [
            "system",
            "unit.update",
            "org.unit",
            last.object_id,
            "伪造",
            last.created_at,
            "s05",
            last.seq + 1,
            last.hash,
            chain.entry_hash(**forged),
        ],
    )
    inserted = AuditEntry.objects.get(chain="s05", seq=last.seq + 1)
    message = verify_fails()
    assert f"chain s05, seq {last.seq + 1}, entry id {inserted.pk}: inserted" in message


def test_verify_names_entries_put_in_a_different_order(chain_entries):
    second, third = chain_entries[1], chain_entries[2]
    # Swap the places of two entries (through a free number, as the pair (chain, seq) is unique).
    sql("UPDATE audit_auditentry SET seq = %s WHERE id = %s", [10**12, second.pk])
    sql("UPDATE audit_auditentry SET seq = %s WHERE id = %s", [second.seq, third.pk])
    sql("UPDATE audit_auditentry SET seq = %s WHERE id = %s", [third.seq, second.pk])
    problem = audit_verify(chain_key="s05").problems[0]
    assert (problem.seq, problem.entry_id) == (second.seq, third.pk)
    assert problem.kind == "relinked"


def test_verify_names_the_entry_after_one_rewritten_with_a_fresh_hash(chain_entries):
    target, following = chain_entries[1], chain_entries[2]
    AuditEntry.objects.filter(pk=target.pk).update(object_repr="伪造")
    target.refresh_from_db()
    AuditEntry.objects.filter(pk=target.pk).update(hash=recomputed(target))
    problem = audit_verify(chain_key="s05").problems[0]
    assert (problem.kind, problem.seq, problem.entry_id) == ("relinked", following.seq, following.pk)


def test_other_chains_still_verify_when_one_is_broken(chain_entries):
    other = audit_record(actor=SYSTEM, action="unit.update", obj=objects_on("s06", 1)[0])
    sql("UPDATE audit_auditentry SET action = %s WHERE id = %s", ["x", chain_entries[0].pk])
    report = audit_verify()
    assert [problem.chain for problem in report.problems] == ["s05"]
    assert audit_verify(chain_key=other.chain).ok


def test_verify_of_an_unknown_chain_is_an_error(db):
    with pytest.raises(CommandError) as failure:
        call_command("audit", "verify", "--chain", "nope")
    assert failure.value.returncode == 2 and "nope" in str(failure.value)


def test_verify_streams_in_chunks(chain_entries, django_assert_max_num_queries):
    with django_assert_max_num_queries(3):  # heads, then the entries (a cursor, fetched in chunks)
        report = audit_verify(chunk_size=2)
    assert report.ok and report.entries >= 5


def test_a_block_sends_all_its_entries_to_the_chain_of_its_first(db):
    (first,) = objects_on("s09", 1)
    (second,) = objects_on("s10", 1)
    with audit_one_chain():
        entries = [
            audit_record(actor=SYSTEM, action="unit.update", obj=obj) for obj in (first, second, first)
        ]
    assert [entry.chain for entry in entries] == ["s09"] * 3
    assert [entry.seq - entries[0].seq for entry in entries] == [0, 1, 2]
    after = audit_record(actor=SYSTEM, action="unit.update", obj=second)
    assert after.chain == "s10"  # outside the block, the object's own chain again
    assert audit_verify().ok

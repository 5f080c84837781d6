"""Helpers for the audit trail tests: entries about throw-away objects, raw SQL tampering, verification."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from dalun.audit.chain import chain_for
from dalun.audit.models import AuditEntry
from dalun.audit.services import audit_record, chain_count
from dalun.org.models import Unit
from dalun.org.policy import SYSTEM


def fake_unit(pk: int, name: str = "测试单位") -> Unit:
    """An unsaved unit with a key: audit_record only needs a label, a key and a text."""
    return Unit(pk=pk, name=name, path="0001", depth=1, kind="county")


def objects_on(chain_key: str, count: int, start: int = 9_000_000) -> list[Unit]:
    """``count`` fake units whose entries all go to ``chain_key``."""
    found: list[Unit] = []
    pk = start
    while len(found) < count:
        if chain_for("org.unit", str(pk), chain_count()) == chain_key:
            found.append(fake_unit(pk, f"单位{pk}"))
        pk += 1
    return found


def sql(statement: str, params: list | tuple = ()) -> None:
    """Tamper with the trail the way someone with database access would: raw SQL, no model code."""
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


def verify_fails(*args: str) -> str:
    """Run ``dalun audit verify`` expecting failure; return its message."""
    with pytest.raises(CommandError) as failure:
        call_command("audit", "verify", *args)
    assert failure.value.returncode == 1
    return str(failure.value)


@pytest.fixture
def chain_entries(db):
    """Five entries on one chain, about three objects of that chain, oldest first."""
    first, second, third = objects_on("s05", 3)
    written = [
        audit_record(actor=SYSTEM, action="unit.create", obj=first, changes={"name": [None, "甲"]}),
        audit_record(actor=SYSTEM, action="unit.update", obj=second, changes={"progress": [10, 20.0]}),
        audit_record(actor=None, action="unit.update", obj=third, changes={"ratio": [0.1, 1e20]}),
        audit_record(actor=SYSTEM, action="unit.update", obj=first, changes={"name": ["甲", "乙"]}),
        audit_record(actor=SYSTEM, action="unit.update", obj=second, changes={}),
    ]
    return [AuditEntry.objects.get(pk=entry.pk) for entry in written]

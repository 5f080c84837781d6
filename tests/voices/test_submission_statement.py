"""The public submission's hand-built INSERT stores exactly what the ORM would, on both databases, and the
instance built from it is the row as stored."""

import dataclasses

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from dalun.voices import contact
from dalun.voices.models import Suggestion
from dalun.voices.submission_statement import FloodLimit, Submission, insert_submission, saved

pytestmark = pytest.mark.django_db

UNLIMITED = FloodLimit(limit=1000, window=3600)
CONTACT = "13800138000"


def every_column(pk: int) -> dict[str, object]:
    values = Suggestion.objects.filter(pk=pk).values().get()
    values["contact_encrypted"] = bytes(values["contact_encrypted"])  # memoryview on PostgreSQL
    del values["id"]
    return values


def submission(campaign, unit, *, key: str, receipt: str, sealed: bytes | None = None) -> Submission:
    return Submission(
        campaign_id=campaign.pk,
        title="建议<b>周末</b>开放 ☕",
        text="上班族工作日没时间办事。\n第二行 'quoted' \"double\" \\ 反斜杠 $1 %s",
        category_id=campaign.categories.first().pk,
        concerns_unit_id=unit("140105").pk,
        receipt_code=receipt,
        contact_encrypted=sealed,
        submitted_at=timezone.now(),
        idempotency_key=key,
        request_hash="ab" * 32,
        network="2001:db8::/64",
    )


def test_the_statement_stores_every_column_as_the_orm_saves_it(campaign, unit):
    sealed = contact.encrypt(CONTACT)  # one token for both: encryption is randomised
    row = submission(campaign, unit, key="by-statement", receipt="DDDD-EEEE-FFFF", sealed=sealed)
    by_orm = Suggestion(
        **dataclasses.asdict(row) | {"idempotency_key": "by-orm", "receipt_code": "AAAA-BBBB-CCCC"}
    )
    by_orm.save()
    Suggestion.objects.filter(pk=by_orm.pk).update(submitted_at=row.submitted_at)  # save() stamps its own
    pk = insert_submission(row, UNLIMITED)
    assert pk is not None and pk != by_orm.pk
    orm, statement = every_column(by_orm.pk), every_column(pk)
    assert (statement.pop("idempotency_key"), orm.pop("idempotency_key")) == ("by-statement", "by-orm")
    assert (statement.pop("receipt_code"), orm.pop("receipt_code")) == ("DDDD-EEEE-FFFF", "AAAA-BBBB-CCCC")
    assert statement == orm
    assert contact.decrypt(Suggestion.objects.get(pk=pk).contact_encrypted) == CONTACT


def test_the_instance_built_after_the_insert_is_the_row_as_stored(campaign, unit):
    row = submission(campaign, unit, key="built", receipt="GGGG-HHHH-JJJJ")
    pk = insert_submission(row, UNLIMITED)
    built = saved(row, pk, campaign=campaign)
    stored = Suggestion.objects.get(pk=pk)
    for field in Suggestion._meta.concrete_fields:
        assert getattr(built, field.attname) == getattr(stored, field.attname), field.name
    assert not built._state.adding and built.campaign is campaign


def test_a_taken_key_and_a_network_over_its_limit_write_nothing(campaign, unit):
    assert insert_submission(submission(campaign, unit, key="once", receipt="KKKK-LLLL-MMMM"), UNLIMITED)
    twin = submission(campaign, unit, key="once", receipt="NNNN-PPPP-QQQQ")
    assert insert_submission(twin, UNLIMITED) is None
    over = submission(campaign, unit, key="fresh", receipt="RRRR-SSSS-TTTT")
    assert insert_submission(over, FloodLimit(limit=1, window=3600)) is None
    assert Suggestion.objects.count() == 1


def test_a_database_error_comes_as_django_reports_it(campaign, unit):
    assert insert_submission(submission(campaign, unit, key="first", receipt="UUUU-VVVV-WWWW"), UNLIMITED)
    same_receipt = submission(campaign, unit, key="second", receipt="UUUU-VVVV-WWWW")
    with pytest.raises(IntegrityError), transaction.atomic():
        insert_submission(same_receipt, UNLIMITED)
    assert Suggestion.objects.count() == 1

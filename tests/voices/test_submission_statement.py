"""The public submission's hand-built INSERT stores exactly what the ORM would, on both databases, and the
instance built from it is the row as stored.

Each test runs twice: inside a transaction (Django's cursor) and in autocommit, where on PostgreSQL the
statement goes to libpq directly, prepared.
"""

import dataclasses

import pytest
from django.db import DataError, IntegrityError, connection, transaction
from django.utils import timezone

from dalun.voices import contact
from dalun.voices.models import Suggestion
from dalun.voices.submission_statement import FloodLimit, Submission, _on_its_own, insert_submission, saved

pytestmark = pytest.mark.django_db


@pytest.fixture(
    autouse=True,
    params=[
        pytest.param("in a transaction", id="in-transaction"),
        pytest.param("on its own", id="autocommit", marks=pytest.mark.django_db(transaction=True)),
    ],
)
def statement_path(request):
    """Which way the statement goes (checked once the database is set up), so that each is tested."""
    request.getfixturevalue("seeded_transactional_db" if request.param == "on its own" else "db")
    on_its_own = request.param == "on its own" and connection.vendor == "postgresql"
    assert _on_its_own(connection) is on_its_own
    return request.param


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


def test_the_statement_joins_the_transaction_it_is_written_in(campaign, unit):
    with pytest.raises(RuntimeError), transaction.atomic():
        assert insert_submission(
            submission(campaign, unit, key="undone", receipt="XXXX-YYYY-ZZZZ"), UNLIMITED
        )
        raise RuntimeError("the rest of the submission failed")
    assert not Suggestion.objects.exists()


on_postgresql = pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's text and libpq")


@on_postgresql
def test_text_with_a_nul_character_is_refused_not_cut(campaign, unit):
    row = dataclasses.replace(
        submission(campaign, unit, key="nul", receipt="ABAB-CDCD-EFEF"), text="前\x00后"
    )
    with pytest.raises(DataError, match="NUL"):
        insert_submission(row, UNLIMITED)
    assert not Suggestion.objects.exists()


@on_postgresql
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("statement_path", ["on its own"], indirect=True)
def test_the_prepared_statement_is_prepared_again_when_the_server_forgets_it(campaign, unit):
    def prepared() -> int:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_prepared_statements WHERE name = 'dalun_public_submission'"
            )
            return cursor.fetchone()[0]

    assert insert_submission(submission(campaign, unit, key="a", receipt="AAAA-AAAA-AAAA"), UNLIMITED)
    assert insert_submission(submission(campaign, unit, key="b", receipt="BBBB-BBBB-BBBB"), UNLIMITED)
    assert prepared() == 1
    with connection.cursor() as cursor:
        cursor.execute("DEALLOCATE ALL")
    assert insert_submission(submission(campaign, unit, key="c", receipt="CCCC-CCCC-CCCC"), UNLIMITED)
    assert prepared() == 1 and Suggestion.objects.count() == 3

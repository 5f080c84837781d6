"""API tokens: made by their person or a system administrator, stored only as a hash, audited, revocable,
and authenticating their person (with that person's roles) on the staff routes."""

from __future__ import annotations

import datetime
import io

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import timezone

from dalun.apikeys.models import ApiToken
from dalun.apikeys.services import SECRET_PREFIX, hash_secret, token_authenticate, token_create, token_revoke
from dalun.audit.models import AuditEntry
from dalun.org.models import Person
from dalun.org.policy import SYSTEM

pytestmark = pytest.mark.django_db


def test_a_person_makes_their_own_token_and_only_its_hash_is_kept(persona):
    clerk = persona("xiaodian_clerk")
    token, secret = token_create(actor=clerk, person=clerk, name="  reporting   script ")
    assert secret.startswith(SECRET_PREFIX) and len(secret) > 40
    assert token.name == "reporting script" and secret.startswith(token.prefix)
    stored = ApiToken.objects.filter(pk=token.pk).values().get()
    assert secret not in {str(value) for value in stored.values()}
    assert stored["key_hash"] == hash_secret(secret)
    entry = AuditEntry.objects.get(action="apitoken.create")
    assert (
        entry.actor == clerk and secret not in str(entry.changes) and token.key_hash not in str(entry.changes)
    )
    assert token_authenticate(secret=secret) == clerk


def test_only_the_person_or_a_system_administrator_may_make_or_revoke_a_token(persona):
    clerk, other = persona("xiaodian_clerk"), persona("yingze_clerk")
    with pytest.raises(PermissionDenied):
        token_create(actor=other, person=clerk, name="not mine")
    with pytest.raises(PermissionDenied):
        token_create(actor=persona("office"), person=clerk, name="the office is not a system administrator")
    token, secret = token_create(actor=SYSTEM, person=clerk, name="made by the system")
    with pytest.raises(PermissionDenied):
        token_revoke(actor=other, token=token)
    assert token_authenticate(secret=secret) == clerk
    token_revoke(actor=clerk, token=token)
    assert token_authenticate(secret=secret) is None
    assert ApiToken.objects.get(pk=token.pk).revoked
    assert AuditEntry.objects.filter(action="apitoken.revoke").count() == 1
    token_revoke(actor=clerk, token=token)  # again: nothing changes, nothing is audited
    assert AuditEntry.objects.filter(action="apitoken.revoke").count() == 1


@pytest.mark.parametrize("name", ["", "   ", "x" * 101])
def test_a_token_needs_a_name(persona, name):
    clerk = persona("xiaodian_clerk")
    with pytest.raises(ValidationError) as refused:
        token_create(actor=clerk, person=clerk, name=name)
    assert "name" in refused.value.message_dict
    assert not ApiToken.objects.exists()


@pytest.mark.parametrize("secret", ["", "dln_unknown", "x" * 10_000, "dln_\ud800", "dln_\x00"])
def test_unknown_or_malformed_secrets_authenticate_nobody(persona, secret):
    token_create(actor=SYSTEM, person=persona("xiaodian_clerk"), name="real")
    assert token_authenticate(secret=secret) is None


def test_a_disabled_account_cannot_use_its_token(persona):
    clerk = persona("xiaodian_clerk")
    _token, secret = token_create(actor=clerk, person=clerk, name="script")
    # There is no service to disable an account yet; this stands for an administrator doing it.
    Person.objects.filter(pk=clerk.pk).update(is_active=False)
    assert token_authenticate(secret=secret) is None
    with pytest.raises(ValidationError):
        token_create(actor=SYSTEM, person=Person.objects.get(pk=clerk.pk), name="again")


def test_use_is_noted_at_most_every_few_minutes(persona, django_assert_num_queries):
    clerk = persona("xiaodian_clerk")
    token, secret = token_create(actor=clerk, person=clerk, name="script")
    with django_assert_num_queries(2):  # look up, note the first use
        token_authenticate(secret=secret)
    first = ApiToken.objects.get(pk=token.pk).last_used_at
    assert first is not None
    with django_assert_num_queries(1):  # just the look-up
        token_authenticate(secret=secret)
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now() - datetime.timedelta(hours=1))
    token_authenticate(secret=secret)
    assert ApiToken.objects.get(pk=token.pk).last_used_at > first


def test_the_command_prints_the_secret_once_and_it_works_on_the_api(persona, unit):
    out, err = io.StringIO(), io.StringIO()
    call_command("create_api_token", "moderator", "queue robot", stdout=out, stderr=err)
    secret = out.getvalue().strip()
    token = ApiToken.objects.get(person=persona("moderator"))
    assert token.name == "queue robot" and token.key_hash == hash_secret(secret)
    assert "shown only once" in err.getvalue() and secret not in err.getvalue()
    response = Client().get("/api/staff/suggestions/queue", headers={"Authorization": f"Bearer {secret}"})
    assert response.status_code == 200
    with pytest.raises(CommandError):
        call_command("create_api_token", "nobody", "x", stdout=io.StringIO())
    with pytest.raises(CommandError):
        call_command("create_api_token", "moderator", "   ", stdout=io.StringIO())
    assert ApiToken.objects.count() == 1


def test_a_token_acts_with_its_persons_roles_only(persona, unit):
    _token, secret = token_create(actor=SYSTEM, person=persona("yingze_clerk"), name="script")
    client = Client(headers={"Authorization": f"Bearer {secret}"})
    assert client.get("/api/staff/suggestions/inbox").status_code == 200
    assert client.get("/api/staff/suggestions/queue").status_code == 403

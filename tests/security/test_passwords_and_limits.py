"""Passwords are stored with Argon2 (older hashes are upgraded at the next sign-in), and public endpoints
answer floods from one address with 429 and Retry-After, counted per client address."""

from __future__ import annotations

import pytest
from django.test import Client

from dalun import settings as dalun_settings
from dalun.org.policy import SYSTEM
from dalun.org.services import person_create

ARGON2 = "django.contrib.auth.hashers.Argon2PasswordHasher"


@pytest.fixture
def argon2(settings):  # type: ignore[no-untyped-def]
    """The configured hashers (the shared test setup swaps them for a fast one)."""
    assert dalun_settings.PASSWORD_HASHERS[0] == ARGON2
    settings.PASSWORD_HASHERS = dalun_settings.PASSWORD_HASHERS
    return settings


@pytest.mark.django_db
def test_new_passwords_are_hashed_with_argon2id(argon2):
    person = person_create(
        actor=SYSTEM, username="new_clerk", display_name="新 clerk", password="s3cret-pass-1"
    )
    assert person.password.startswith("argon2$argon2id$")
    assert "s3cret-pass-1" not in person.password
    client = Client()
    signed_in = client.post("/accounts/login/", {"username": "new_clerk", "password": "s3cret-pass-1"})
    assert signed_in.status_code == 302 and client.session["_auth_user_id"] == str(person.pk)


@pytest.mark.django_db
def test_an_older_hash_is_upgraded_to_argon2_at_the_next_sign_in(argon2, persona):
    from django.contrib.auth.hashers import make_password

    clerk = persona("yingze_clerk")
    type(clerk).objects.filter(pk=clerk.pk).update(
        password=make_password("old-pass-123", hasher="pbkdf2_sha256")
    )
    client = Client()
    assert (
        client.post("/accounts/login/", {"username": "yingze_clerk", "password": "old-pass-123"}).status_code
        == 302
    )
    clerk.refresh_from_db()
    assert clerk.password.startswith("argon2$")


def _flood(client: Client, path: str, limit: int, **extra: str) -> None:
    for _ in range(limit):
        assert client.get(path, **extra).status_code == 200


@pytest.mark.django_db
def test_public_api_answers_a_flood_with_429_and_retry_after(client, campaign, settings):
    settings.DALUN_API_READ_LIMIT, settings.DALUN_API_READ_LIMIT_WINDOW = 4, 60
    _flood(client, "/api/suggestions?q=公交", 4)
    flooded = client.get("/api/suggestions")
    assert flooded.status_code == 429
    assert 0 < int(flooded["Retry-After"]) <= 60
    assert flooded.json()["error"]["code"] == "rate_limited"
    # Another address has its own budget.
    assert Client(REMOTE_ADDR="10.1.2.3").get("/api/suggestions").status_code == 200


@pytest.mark.django_db
def test_the_public_suggestion_form_answers_a_flood_with_429_and_retry_after(client, campaign):
    from dalun.voices.models import Suggestion
    from dalun.voices.services.submission import flood_limit

    flood = flood_limit()  # the default: 10 an hour
    assert (flood.limit, flood.window) == (10, 3600)
    form = {"title": "建议增加夜间公交线路", "text": "晚上九点以后没有公交车，建议增开夜班线路。"}
    for _ in range(flood.limit):
        assert client.post("/portal/suggest/", form).status_code == 302
    flooded = client.post("/portal/suggest/", form)
    assert flooded.status_code == 429
    assert 0 < int(flooded["Retry-After"]) <= flood.window
    assert Suggestion.objects.count() == flood.limit


@pytest.mark.django_db
def test_behind_the_proxy_limits_count_per_forwarded_client(client, campaign, settings):
    settings.DALUN_TRUST_X_FORWARDED_FOR = True
    settings.DALUN_API_READ_LIMIT, settings.DALUN_API_READ_LIMIT_WINDOW = 2, 60
    proxy = Client(REMOTE_ADDR="127.0.0.1")
    _flood(proxy, "/api/suggestions", 2, HTTP_X_FORWARDED_FOR="198.51.100.1")
    assert proxy.get("/api/suggestions", HTTP_X_FORWARDED_FOR="198.51.100.1").status_code == 429
    assert proxy.get("/api/suggestions", HTTP_X_FORWARDED_FOR="198.51.100.2").status_code == 200


@pytest.mark.django_db
def test_a_forged_first_forwarded_entry_does_not_escape_the_limit(client, campaign, settings):
    """The proxy appends the peer it saw; what the client wrote before it must not make a new network."""
    settings.DALUN_TRUST_X_FORWARDED_FOR = True
    settings.DALUN_API_READ_LIMIT, settings.DALUN_API_READ_LIMIT_WINDOW = 2, 60
    proxy = Client(REMOTE_ADDR="127.0.0.1")
    codes = [
        proxy.get("/api/suggestions", HTTP_X_FORWARDED_FOR=f"10.0.0.{i}, 198.51.100.7").status_code
        for i in range(3)
    ]
    assert codes == [200, 200, 429]

"""Login throttling: wrong passwords for one username from one address lock that pair out (429 with
Retry-After and a page saying when to try again), even with the right password; other addresses and other
usernames are not affected. Runs with both stores of the failure count (database and shared cache)."""

from __future__ import annotations

import io
import time
from datetime import timedelta

import pytest
from django.test import Client

from dalun.demo.personas import DEMO_PASSWORD

LOGIN = "/accounts/login/"


def sign_in(client: Client, username: str, password: str, **extra: str):  # type: ignore[no-untyped-def]
    return client.post(
        LOGIN, {"username": username, "password": password}, HTTP_ACCEPT_LANGUAGE="en", **extra
    )


@pytest.fixture
def limits(settings):  # type: ignore[no-untyped-def]
    settings.AXES_FAILURE_LIMIT = 3
    settings.AXES_COOLOFF_TIME = timedelta(minutes=10)
    return settings


@pytest.mark.django_db
def test_wrong_passwords_lock_the_username_at_that_address_with_429_and_retry_after(
    axes_handler, limits, persona
):
    client = Client(REMOTE_ADDR="198.51.100.7")
    for _ in range(2):
        refused = sign_in(client, "xiaodian_clerk", "guess")
        assert refused.status_code == 200 and not refused.wsgi_request.user.is_authenticated
    locked = sign_in(client, "xiaodian_clerk", "guess")  # the third failure locks
    assert locked.status_code == 429
    assert locked["Retry-After"] == "600"
    # The right password does not help while locked out, and the lockout page says why and how long.
    again = sign_in(client, "xiaodian_clerk", DEMO_PASSWORD)
    assert again.status_code == 429 and again["Retry-After"] == "600"
    assert "_auth_user_id" not in client.session
    page = again.content.decode()
    assert "Sign-in paused" in page and "Try again in 10 minutes." in page
    assert "wrong password 3 times" in page


@pytest.mark.django_db
def test_a_lockout_touches_neither_other_addresses_nor_other_usernames(axes_handler, limits, persona):
    attacker = Client(REMOTE_ADDR="198.51.100.7")
    for _ in range(3):
        sign_in(attacker, "xiaodian_clerk", "guess")
    assert sign_in(attacker, "xiaodian_clerk", DEMO_PASSWORD).status_code == 429
    # The clerk at her own desk still signs in.
    clerk = Client(REMOTE_ADDR="203.0.113.20")
    assert sign_in(clerk, "xiaodian_clerk", DEMO_PASSWORD).status_code == 302
    assert clerk.session["_auth_user_id"] == str(persona("xiaodian_clerk").pk)
    # Another account from the attacker's address is not locked by the first one's failures.
    assert sign_in(attacker, "yingze_clerk", DEMO_PASSWORD).status_code == 302


@pytest.mark.django_db
def test_the_lockout_ends_after_the_cool_off(axes_handler, settings, persona):
    settings.AXES_FAILURE_LIMIT = 2
    settings.AXES_COOLOFF_TIME = timedelta(seconds=1)
    client = Client(REMOTE_ADDR="198.51.100.8")
    sign_in(client, "yingze_clerk", "guess")
    assert sign_in(client, "yingze_clerk", "guess").status_code == 429
    time.sleep(1.2)
    assert sign_in(client, "yingze_clerk", DEMO_PASSWORD).status_code == 302


@pytest.mark.django_db
def test_a_successful_sign_in_forgets_earlier_failures(axes_handler, limits, persona):
    client = Client(REMOTE_ADDR="198.51.100.9")
    for _ in range(2):
        sign_in(client, "moderator", "guess")
    assert sign_in(client, "moderator", DEMO_PASSWORD).status_code == 302
    client.logout()
    for _ in range(2):
        assert sign_in(client, "moderator", "guess").status_code == 200
    assert sign_in(client, "moderator", DEMO_PASSWORD).status_code == 302


@pytest.mark.django_db
def test_behind_the_proxy_the_client_address_is_the_forwarded_one(axes_handler, limits, persona):
    """All traffic reaches the app from the proxy; the throttle must count per client, not per proxy."""
    limits.DALUN_TRUST_X_FORWARDED_FOR = True
    proxy = Client(REMOTE_ADDR="127.0.0.1")
    for _ in range(3):
        sign_in(proxy, "office", "guess", HTTP_X_FORWARDED_FOR="198.51.100.10")
    assert sign_in(proxy, "office", DEMO_PASSWORD, HTTP_X_FORWARDED_FOR="198.51.100.10").status_code == 429
    # A client cannot escape by forging the header: the proxy appends the address it saw, and that counts.
    forged = "203.0.113.99, 198.51.100.10"
    assert sign_in(proxy, "office", DEMO_PASSWORD, HTTP_X_FORWARDED_FOR=forged).status_code == 429
    assert sign_in(proxy, "office", DEMO_PASSWORD, HTTP_X_FORWARDED_FOR="203.0.113.30").status_code == 302


@pytest.mark.django_db
def test_without_a_trusted_proxy_the_forwarded_header_is_ignored(axes_handler, limits, persona):
    client = Client(REMOTE_ADDR="198.51.100.11")
    for n in range(3):
        sign_in(client, "assessor", "guess", HTTP_X_FORWARDED_FOR=f"203.0.113.{n}")
    assert sign_in(client, "assessor", DEMO_PASSWORD, HTTP_X_FORWARDED_FOR="203.0.113.50").status_code == 429


@pytest.mark.django_db
def test_the_lockout_page_speaks_chinese_to_a_chinese_browser(axes_handler, limits, persona):
    client = Client(REMOTE_ADDR="198.51.100.12")
    for _ in range(3):
        client.post(LOGIN, {"username": "field_cadre", "password": "guess"}, HTTP_ACCEPT_LANGUAGE="zh-CN")
    locked = client.post(
        LOGIN, {"username": "field_cadre", "password": DEMO_PASSWORD}, HTTP_ACCEPT_LANGUAGE="zh-CN"
    )
    assert locked.status_code == 429
    assert '<html lang="zh-hans">' in locked.content.decode()


@pytest.mark.django_db
def test_the_office_can_lift_a_lockout_from_the_command_line(axes_handler, limits, persona):
    """docs/deployment.md: `dalun axes-reset-ip-username ADDRESS USERNAME` ends a lockout early."""
    from django.core.management import call_command

    client = Client(REMOTE_ADDR="198.51.100.13")
    for _ in range(3):
        sign_in(client, "changzhi_head", "guess")
    assert sign_in(client, "changzhi_head", DEMO_PASSWORD).status_code == 429
    call_command("axes_reset_ip_username", "198.51.100.13", "changzhi_head", stdout=io.StringIO())
    assert sign_in(client, "changzhi_head", DEMO_PASSWORD).status_code == 302

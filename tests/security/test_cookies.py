"""In production every cookie is Secure over HTTPS, the public's participant cookie included; the
embedded profile (plain HTTP on loopback) leaves cookies as they are."""

from __future__ import annotations

import pytest

from dalun.voices import services


@pytest.fixture
def published(submit, persona):  # type: ignore[no-untyped-def]
    return services.suggestion_publish(actor=persona("moderator"), suggestion=submit())


@pytest.mark.django_db
def test_over_https_in_production_the_participant_cookie_is_secure(client, published, settings):
    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = True
    response = client.post(f"/portal/suggestions/{published.pk}/support/", secure=True)
    assert response.status_code == 302
    cookie = response.cookies["dalun_participant"]
    assert cookie["secure"] is True and cookie["httponly"] is True


@pytest.mark.django_db
def test_the_embedded_profile_keeps_its_cookies_usable_over_plain_http(client, published, settings):
    assert settings.SESSION_COOKIE_SECURE is False
    response = client.post(f"/portal/suggestions/{published.pk}/support/")
    assert response.status_code == 302
    assert not response.cookies["dalun_participant"]["secure"]


@pytest.mark.django_db
def test_over_https_in_production_the_session_cookie_is_secure_and_httponly(client, persona, settings):
    from dalun.demo.personas import DEMO_PASSWORD

    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = True
    response = client.post(
        "/accounts/login/", {"username": "moderator", "password": DEMO_PASSWORD}, secure=True
    )
    assert response.status_code == 302
    session = response.cookies["sessionid"]
    assert session["secure"] is True and session["httponly"] is True and session["samesite"] == "Lax"

"""One database setup for the whole matrix module: the world is built once inside a transaction that is
rolled back when the module ends; each test runs in a savepoint inside it (pytest-django's ``db``)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from django.db import transaction
from django.test import override_settings

from .world import World, build_world


@pytest.fixture(scope="module")
def authz_media(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("authz-media")


@pytest.fixture(autouse=True)
def _isolated_media(settings, authz_media: Path) -> None:
    """The world's files live for the whole module (the shared fixture would give each test a new folder);
    the formalism scan keeps its near-duplicate index beside them."""
    settings.MEDIA_ROOT = authz_media
    settings.DALUN_FORMALISM = {"index_dir": str(authz_media / "formalism")}


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, authz_media: Path) -> Iterator[World]:
    from django.core.cache import caches
    from django.utils import translation

    with (
        django_db_blocker.unblock(),
        override_settings(
            MEDIA_ROOT=authz_media,
            DALUN_FORMALISM={"index_dir": str(authz_media / "formalism")},
            TASKS={"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}},
            CACHES={
                "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "authz"}
            },
        ),
        translation.override("en"),
    ):
        caches["default"].clear()
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            yield build_world()
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


@pytest.fixture(scope="module")
def sessions(world: World, django_db_blocker) -> dict[str, str]:
    """A signed-in session per actor, made once: each case only sets the cookie (no login per request)."""
    from django.test import Client

    keys = {}
    with django_db_blocker.unblock():
        for name, person in world.people.items():
            client = Client()
            client.force_login(person, backend="django.contrib.auth.backends.ModelBackend")
            key = client.session.session_key
            assert key is not None
            keys[name] = key
    return keys


@pytest.fixture(scope="module")
def tokens(world: World, django_db_blocker) -> dict[str, str]:
    """An API token per actor, made as a system administrator makes one; name -> secret."""
    from dalun.apikeys.services import token_create
    from dalun.org.policy import SYSTEM

    with django_db_blocker.unblock():
        return {
            name: token_create(actor=SYSTEM, person=person, name="authorization matrix")[1]
            for name, person in world.people.items()
        }

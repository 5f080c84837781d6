"""Both catalogues are complete and up to date with every translatable string in the source."""

import shutil
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from django.conf import settings
from django.core.management import call_command

from dalun.web.management.commands.syncmessages import untranslated

LOCALES = ("zh_Hans", "en")


def catalogue_path(root: Path, locale: str) -> Path:
    return root / locale / "LC_MESSAGES" / "django.po"


def message_ids(po_path: Path) -> set[str]:
    with open(po_path, "rb") as handle:
        return {
            message.id if isinstance(message.id, str) else message.id[0]
            for message in read_po(handle)
            if message.id
        }


@pytest.mark.parametrize("locale", LOCALES)
def test_every_message_is_translated_and_none_is_fuzzy(locale):
    assert untranslated(catalogue_path(Path(settings.LOCALE_PATHS[0]), locale)) == []


@pytest.mark.skipif(shutil.which("xgettext") is None, reason="needs GNU gettext, which ./run test installs")
def test_catalogues_hold_every_string_of_the_source(tmp_path, monkeypatch):
    """Extract the strings afresh into a copy of the package and compare with the committed catalogues."""
    copy = tmp_path / "dalun"
    shutil.copytree(settings.PACKAGE_DIR, copy, ignore=shutil.ignore_patterns("data", "*.mo", "__pycache__"))
    monkeypatch.chdir(copy)
    call_command(
        "makemessages",
        locale=["zh_Hans"],
        no_obsolete=True,
        verbosity=0,
        ignore_patterns=["campaign_templates/*"],
    )
    fresh = message_ids(catalogue_path(copy / "locale", "zh_Hans"))
    committed = message_ids(catalogue_path(Path(settings.LOCALE_PATHS[0]), "zh_Hans"))
    assert fresh - committed == set(), "run `dalun syncmessages` and translate the new strings"


@pytest.mark.django_db
def test_a_page_speaks_chinese_by_default_and_english_when_asked(client):
    assert "组织架构" in client.get("/units/").content.decode()
    assert "Organisation" in client.get("/units/", HTTP_ACCEPT_LANGUAGE="en").content.decode()

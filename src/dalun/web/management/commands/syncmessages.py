"""Refresh the message catalogues from the source and list what still needs a Chinese translation.

English is the source language, so the English catalogue is completed by copying each message; the Chinese
one is completed by a person. Needs GNU gettext (xgettext), as Django's makemessages does.
"""

import contextlib
from pathlib import Path

from babel.messages.pofile import read_po, write_po
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand


def untranslated(po_path: Path) -> list[str]:
    with open(po_path, "rb") as handle:
        catalog = read_po(handle)
    missing = []
    for message in catalog:
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if message.id and (message.fuzzy or not all(strings)):
            missing.append(message.id if isinstance(message.id, str) else message.id[0])
    return missing


def complete_english(po_path: Path) -> None:
    with open(po_path, "rb") as handle:
        catalog = read_po(handle)
    for message in catalog:
        if not message.id:
            continue
        message.string = message.id if isinstance(message.id, str) else tuple(message.id)
        message.flags.discard("fuzzy")
    with open(po_path, "wb") as handle:
        write_po(handle, catalog, width=110)


class Command(BaseCommand):
    help = "Run makemessages for zh_Hans and en, complete the English catalogue, list untranslated Chinese."

    def handle(self, *args, **options):
        locale_dir = Path(settings.LOCALE_PATHS[0])
        with contextlib.chdir(settings.PACKAGE_DIR):  # makemessages reads the current directory
            call_command(
                "makemessages",
                locale=["zh_Hans", "en"],
                no_obsolete=True,
                verbosity=0,
                ignore_patterns=["demo/data/*", "campaign_templates/*"],
            )
        complete_english(locale_dir / "en/LC_MESSAGES/django.po")
        missing = untranslated(locale_dir / "zh_Hans/LC_MESSAGES/django.po")
        for message_id in missing:
            self.stdout.write(f"untranslated: {message_id}")
        self.stdout.write(f"{len(missing)} Chinese message(s) to translate")

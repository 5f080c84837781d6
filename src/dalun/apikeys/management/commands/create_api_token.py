"""``dalun create-api-token USERNAME NAME``: make an API token for a person and print its secret once."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from dalun.apikeys.services import token_create
from dalun.org.models import Person
from dalun.org.policy import SYSTEM


class Command(BaseCommand):
    help = "Make an API token for a person and print its secret (shown only this once)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("name", help="what the token is for, e.g. 'office reporting script'")

    def handle(self, *args: Any, **options: Any) -> None:
        person = Person.objects.filter(username=options["username"]).first()
        if person is None:
            raise CommandError(f"No person has the username {options['username']!r}.")
        try:
            token, secret = token_create(actor=SYSTEM, person=person, name=options["name"])
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
        self.stdout.write(secret)
        self.stderr.write(
            f"Token {token.prefix}… ({token.name}) for {person.username}: "
            "the secret above is shown only once. Send it as 'Authorization: Bearer <secret>'."
        )

"""The platform's one inbox: in-app notifications (``Notification``) and the e-mail that goes with them."""

from __future__ import annotations

from collections.abc import Iterable

from django.core.mail import send_mail
from django.db import transaction

from dalun.org.models import Person
from dalun.voices.models import Notification


def notify(people: Iterable[Person], text: str, url: str) -> None:
    """An in-app notice to each person and an e-mail to those with an address, sent after commit."""
    people = list({person.pk: person for person in people}.values())
    Notification.objects.bulk_create(
        Notification(recipient=person, text=text[:300], url=url) for person in people
    )
    addresses = [person.email for person in people if person.email]
    if addresses:
        transaction.on_commit(
            lambda: send_mail(text[:150], f"{text}\n{url}", None, addresses, fail_silently=True)
        )

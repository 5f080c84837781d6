"""``dalun escalate-suggestions``: send overdue suggestions to the routed unit's parent (run it daily)."""

from django.core.management.base import BaseCommand

from dalun.voices.services import suggestions_escalate


class Command(BaseCommand):
    help = (
        "Escalate every suggestion not answered by its deadline to the parent of the unit it was routed to."
    )

    def handle(self, *args, **options):
        self.stdout.write(f"{suggestions_escalate()} suggestion(s) escalated")

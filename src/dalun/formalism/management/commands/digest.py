"""``dalun digest``: send today's formalism digests (once per person per day)."""

from django.core.management.base import BaseCommand

from dalun.formalism.digest import digests_send


class Command(BaseCommand):
    help = "Send each supervisor and first responsible person today's digest of new alerts and deadlines."

    def handle(self, *args, **options):
        sent = digests_send()
        self.stdout.write(f"digests sent: {sent}")

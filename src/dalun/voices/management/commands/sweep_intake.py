"""``dalun sweep-intake``: enqueue again the intake of suggestions left pending (a task lost in a crash).

Run it from cron every minute or two, or keep it running beside the task worker with ``--every 30``.
"""

import datetime
import time

from django.core.management.base import BaseCommand, CommandParser
from django.db import close_old_connections

from dalun.voices.tasks import GRACE, sweep_pending_intake


class Command(BaseCommand):
    help = "Enqueue the intake (routing proposals, moderators' notices) of suggestions still pending."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--older-than",
            type=float,
            default=GRACE.total_seconds(),
            help="seconds a suggestion must have been pending (default %(default)s)",
        )
        parser.add_argument(
            "--every", type=float, default=0, help="sweep again every so many seconds, until stopped"
        )

    def handle(self, *args: object, **options: float) -> None:
        older_than = datetime.timedelta(seconds=options["older_than"])
        while True:
            self.stdout.write(f"{sweep_pending_intake(older_than=older_than)} intake task(s) enqueued")
            if not options["every"]:
                return
            time.sleep(options["every"])
            close_old_connections()  # a long-running sweeper outlives a database restart

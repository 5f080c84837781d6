"""``dalun dispatch-intake``: enqueue the intake of suggestions waiting for it (voices/tasks.py).

Keep it running beside the task worker with ``--every 1`` (``dalun serve`` does); run once, it also takes
in what a crash left behind (``--redispatch-after 0`` after an incident: everything pending, now).
"""

import datetime
import time

from django.core.management.base import BaseCommand, CommandParser
from django.db import close_old_connections

from dalun.voices.tasks import REDISPATCH_AFTER, dispatch_pending_intake


class Command(BaseCommand):
    help = "Enqueue the intake (routing proposals, moderators' notices) of suggestions still pending."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--every", type=float, default=0, help="dispatch again every so many seconds, until stopped"
        )
        parser.add_argument(
            "--redispatch-after",
            type=float,
            default=REDISPATCH_AFTER.total_seconds(),
            help="seconds before a dispatched intake still pending is dispatched again (default %(default)s)",
        )

    def handle(self, *args: object, **options: float) -> None:
        redispatch_after = datetime.timedelta(seconds=options["redispatch_after"])
        while True:
            dispatched = dispatch_pending_intake(redispatch_after=redispatch_after)
            if dispatched or not options["every"]:
                self.stdout.write(f"{dispatched} suggestion(s) dispatched to intake")
            if not options["every"]:
                return
            time.sleep(options["every"])
            close_old_connections()  # a long-running dispatcher outlives a database restart

"""Serve Dalun: the web server plus, with the database task queue, a task worker and the intake dispatcher."""

import signal
import subprocess
import sys

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Serve the web application (and run the task worker) on ADDRESS:PORT."

    def add_arguments(self, parser):
        parser.add_argument("addrport", nargs="?", default="127.0.0.1:8000")
        parser.add_argument("--no-worker", action="store_true", help="do not start a task worker")

    def handle(self, *args, **options):
        # A SIGTERM (kill, a service manager) unwinds like Ctrl-C, so the helpers below are stopped too.
        signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(0))
        helpers: list[subprocess.Popen[bytes]] = []
        if settings.TASK_BACKEND == "database" and not options["no_worker"]:
            dalun = [sys.executable, "-m", "dalun.cli"]
            helpers.append(subprocess.Popen([*dalun, "db_worker", "--interval", "0.5"]))
            # Enqueues the intake of new suggestions (and of those whose task a crash lost): docs/intake.md.
            helpers.append(
                subprocess.Popen([*dalun, "dispatch_intake", "--every", "1"], stdout=subprocess.DEVNULL)
            )
        try:
            call_command("runserver", options["addrport"], use_reloader=False, use_threading=True)
        finally:
            for helper in helpers:
                helper.terminate()
            for helper in helpers:
                helper.wait(timeout=10)

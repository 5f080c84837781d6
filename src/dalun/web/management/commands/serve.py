"""Serve Dalun: the web server plus, with the database task queue, a task worker beside it."""

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
        worker = None
        if settings.TASK_BACKEND == "database" and not options["no_worker"]:
            worker = subprocess.Popen([sys.executable, "-m", "dalun.cli", "db_worker", "--interval", "0.5"])
        try:
            call_command("runserver", options["addrport"], use_reloader=False, use_threading=True)
        finally:
            if worker is not None:
                worker.terminate()
                worker.wait(timeout=10)

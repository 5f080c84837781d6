"""Crash safety of public intake: kill a web worker and the task worker mid-run, lose nothing.

Serves Dalun in its production profile on loopback, as ``bench/intake.py`` does (gunicorn with 4 sync
workers, PostgreSQL in a throwaway database ``dalun_bench_crash_<pid>``, Redis as the cache), plus what
that benchmark leaves out: the database task queue, one task worker (``dalun db_worker``) as a separate
process and the intake dispatcher (``dalun dispatch-intake``) beside it. Client threads send a bounded
number of suggestions to ``POST /api/suggestions``, each with its own ``Idempotency-Key``, and behave as a
careful client does: when a request fails (connection reset by a killed worker, 5xx, time-out) they send it
again with the same key until a 201 answer acknowledges it.

Mid-run (at a third and at two thirds of the submissions) the script sends SIGKILL to one gunicorn worker
(its master starts a new one) and to the task worker, which it starts again a moment later. After the
load, it waits for the queue to drain, dispatches what is still pending once more, as after an incident
(tasks the killed worker was running stay "running" in the queue forever; their suggestions are still
marked pending), waits again, and checks the database against every acknowledged receipt:

- ``acknowledged``, ``stored``, ``lost``, ``duplicated`` (a submission stored twice, or two receipts for
  one key), ``stored_unacknowledged`` (committed while its client was being cut off; retried, then
  replayed, so normally 0);
- ``intake_done``, ``routed`` (routing proposals stored), ``notified`` (exactly one moderator notice),
  ``notified_twice``, ``intake_missing``: the intake task of every acknowledged suggestion ran, once;
- ``web_workers_killed``, ``task_workers_killed``, ``client_retries``, ``replayed`` (retries answered with
  the first answer), ``tasks_left_running`` (killed mid-task) and ``intake_redispatched`` (enqueued
  again).

Exit status 0 when nothing was lost or duplicated and every acknowledged suggestion was routed and
notified exactly once; 1 otherwise.

    .venv/bin/python bench/crash_safety.py            # 3,000 submissions by 16 clients
    .venv/bin/python bench/crash_safety.py --small    # 300 by 8: the CI smoke run (well under a minute)
"""

import argparse
import http.client
import json
import os
import random
import signal
import sys
import tempfile
import threading
import time
import zlib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import _django
import intake
from _stack import TaskWorker, task_worker

DATABASE_PREFIX = "dalun_bench_crash_"
FULL, SMALL = (3000, 16), (300, 8)  # submissions, client threads
DRAIN_TIMEOUT = 120.0


def main() -> None:
    arguments = _arguments()
    total, clients = SMALL if arguments.small else FULL
    total, clients = arguments.submissions or total, arguments.clients or clients
    intake._require_tools(False)
    intake._stop_on_sigterm()
    with (
        tempfile.TemporaryDirectory(prefix="dalun-bench-crash-") as scratch,
        _django.postgres_database(f"{intake.POSTGRES_SERVER}/{DATABASE_PREFIX}{os.getpid()}") as database_url,
        intake._cache_keys_removed() as cache_prefix,
    ):
        work = Path(scratch)
        os.environ.update(intake._server_environment(database_url, work, cache_prefix))
        os.environ["DALUN_TASK_BACKEND"] = "database"
        started = time.monotonic()
        intake._prepare_database()
        server_arguments = argparse.Namespace(workers=arguments.workers, threads=1)
        with intake._gunicorn(server_arguments, work) as server, task_worker(work) as worker:
            load = Load(server.url, total, clients)
            timings = {"seconds_setup": time.monotonic() - started}
            kills = _run_with_kills(load, server, worker)
            timings["seconds_load"] = time.monotonic() - started - timings["seconds_setup"]
            lines, ok = _check(load, kills, worker)
            timings["seconds_check"] = time.monotonic() - started - sum(timings.values())
        lines += [f"{name}: {value:.1f}" for name, value in timings.items()]
        intake._close_database_connections()
    for line in lines:
        print(line, flush=True)
    if not ok:
        raise SystemExit("crash_safety: acknowledged suggestions were lost, duplicated or not taken in")


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.partition("\n")[0])
    parser.add_argument("--small", action="store_true", help="smoke size: 300 submissions by 8 clients")
    parser.add_argument("--submissions", type=int, help="how many suggestions to send")
    parser.add_argument("--clients", type=int, help="client threads")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers (default 4)")
    return parser.parse_args()


# --- the load ------------------------------------------------------------------------------------------


@dataclass
class Load:
    """Clients that send every submission until it is acknowledged, retrying with the same key."""

    url: str
    total: int
    clients: int
    receipts: dict[str, set[str]] = field(default_factory=dict)  # key -> receipt codes answered
    retries: int = 0
    replayed: int = 0
    gave_up: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)
    tag: str = field(default_factory=lambda: f"crash{random.randrange(10**6)}")

    @property
    def acknowledged(self) -> int:
        with self.lock:
            return len(self.receipts)

    def run(self) -> None:
        keys = iter(range(self.total))
        keys_lock = threading.Lock()

        def client() -> None:
            while True:
                with keys_lock:
                    number = next(keys, None)
                if number is None:
                    return
                self._send(f"{self.tag}-{number}")

        threads = [threading.Thread(target=client) for _ in range(self.clients)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    def _send(self, key: str, attempts: int = 200) -> None:
        host, port = self.url.removeprefix("http://").split(":")
        body = json.dumps(
            {
                "title": f"建议延长周末开放时间 {key}",
                "text": f"上班族工作日没时间办事，建议周六上午开放综合窗口（{key}）",
            },
            ensure_ascii=False,
        ).encode()
        # Each submission from an address of its own, as the proxy reports it (the flood limit is real).
        client = f"fd00::{zlib.crc32(key.encode()):x}"
        headers = {"Content-Type": "application/json", "Idempotency-Key": key, "X-Forwarded-For": client}
        for attempt in range(attempts):
            if attempt:
                with self.lock:
                    self.retries += 1
                time.sleep(min(0.05 * attempt, 0.5))
            connection = http.client.HTTPConnection(host, int(port), timeout=15)
            try:
                connection.request("POST", "/api/suggestions", body, headers)
                answer = connection.getresponse()
                payload = answer.read()
            except (OSError, http.client.HTTPException):
                continue  # reset by a killed worker, refused while it restarts, timed out: send again
            finally:
                connection.close()
            if answer.status != 201:
                continue
            code = json.loads(payload)["receipt_code"]
            with self.lock:
                self.receipts.setdefault(key, set()).add(code)
                self.replayed += answer.getheader("Idempotent-Replayed") == "true"
            return
        with self.lock:
            self.gave_up += 1


def _run_with_kills(load: Load, server: intake.Server, worker: TaskWorker) -> int:
    """Send the load; at a third and two thirds of it, SIGKILL a web worker and the task worker."""
    runner = threading.Thread(target=load.run)
    runner.start()
    killed_web = 0
    for fraction in (1 / 3, 2 / 3):
        while runner.is_alive() and load.acknowledged < load.total * fraction:
            time.sleep(0.02)
        if not runner.is_alive():
            break
        web_workers = intake._children(server.process.pid)
        if web_workers:
            os.kill(random.choice(web_workers), signal.SIGKILL)  # the master starts another
            killed_web += 1
        worker.kill()
        time.sleep(0.5)
        worker.start()
    runner.join()
    return killed_web


# --- the check -----------------------------------------------------------------------------------------


def _wait_for_intake(timeout: float = DRAIN_TIMEOUT) -> None:
    """Until nothing is left undispatched and the task worker has taken every waiting task (or the
    time-out); what is then still pending had its task lost, which a later dispatch takes up again."""
    from django_tasks_db.models import DBTaskResult

    from dalun.voices.models import Suggestion

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and (
        DBTaskResult.objects.filter(status="READY").exists()
        or Suggestion.objects.filter(intake_done_at__isnull=True, intake_dispatched_at__isnull=True).exists()
    ):
        time.sleep(0.2)
    time.sleep(0.5)  # the last task taken finishes


def _check(load: Load, killed_web: int, worker: TaskWorker) -> tuple[list[str], bool]:
    import datetime

    from django.db.models import Count
    from django_tasks_db.models import DBTaskResult

    from dalun.audit.models import AuditEntry
    from dalun.voices.models import Notification, Suggestion
    from dalun.voices.tasks import dispatch_pending_intake

    _wait_for_intake()
    tasks_left_running = DBTaskResult.objects.filter(status="RUNNING").count()
    redispatched = dispatch_pending_intake(redispatch_after=datetime.timedelta(0))  # as after an incident
    _wait_for_intake()

    codes = [code for answered in load.receipts.values() for code in answered]
    acknowledged = set(codes)
    rows = {
        row["receipt_code"]: row
        for row in Suggestion.objects.values(
            "pk", "receipt_code", "title", "intake_done_at", "routing_proposals"
        )
    }
    stored = [rows[code] for code in acknowledged if code in rows]
    copies = Suggestion.objects.values("title").annotate(n=Count("id")).filter(n__gt=1)
    duplicated = sum(row["n"] - 1 for row in copies) + (len(codes) - len(load.receipts))
    lost = len(acknowledged) - len(stored)
    notices = Counter()
    for text in Notification.objects.filter(recipient__username="moderator").values_list("text", flat=True):
        notices[text.rpartition(" ")[2]] += 1  # the title ends with the submission's unique key
    audits = Counter(
        AuditEntry.objects.filter(action="suggestion.intake").values_list("object_id", flat=True)
    )
    intake_done = sum(row["intake_done_at"] is not None for row in stored)
    routed = sum(bool(row["routing_proposals"]) for row in stored)
    keys = [row["title"].rpartition(" ")[2] for row in stored]
    notified = sum(notices[key] == 1 for key in keys)
    notified_twice = sum(notices[key] > 1 for key in keys) + sum(audits[str(row["pk"])] > 1 for row in stored)
    lines = [
        f"submissions: {load.total}",
        f"clients: {load.clients}",
        f"web_workers_killed: {killed_web}",
        f"task_workers_killed: {worker.killed}",
        f"client_retries: {load.retries}",
        f"replayed: {load.replayed}",
        f"gave_up: {load.gave_up}",
        f"acknowledged: {len(acknowledged)}",
        f"stored: {len(stored)}",
        f"duplicated: {duplicated}",
        f"lost: {lost}",
        f"stored_unacknowledged: {len(set(rows) - acknowledged)}",
        f"tasks_left_running: {tasks_left_running}",
        f"intake_redispatched: {redispatched}",
        f"intake_done: {intake_done}",
        f"routed: {routed}",
        f"notified: {notified}",
        f"notified_twice: {notified_twice}",
        f"intake_missing: {len(stored) - intake_done}",
    ]
    ok = (
        lost == 0
        and duplicated == 0
        and load.gave_up == 0
        and len(acknowledged) == load.total
        and intake_done == routed == notified == len(stored)
        and notified_twice == 0
    )
    return lines, ok


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        print(
            "crash_safety: interrupted; server, worker, database and cache keys cleaned up", file=sys.stderr
        )
        sys.exit(130)

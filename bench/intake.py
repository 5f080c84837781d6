"""Public intake under load: ``POST /api/suggestions`` served by gunicorn on PostgreSQL, against a bare view.

Serves Dalun production-style on loopback: gunicorn (4 sync workers by default) at a free port of
127.0.0.1, DEBUG off, PostgreSQL in a throwaway database ``dalun_bench_intake_<pid>`` at 127.0.0.1:5432 (user
postgres, trust auth; created, migrated and seeded for the run, dropped after it), Redis at
127.0.0.1:6379/14 as the cache, and the database task queue of production. The server trusts
X-Forwarded-For as behind the reverse proxy (``bench/_intake_settings.py``), and wrk sends every request as
the proxy would, from simulated people who send 5 suggestions each from an address of their own: the
flood limit (10 an hour per network) runs at its real setting and counts their real earlier suggestions.
A submission leaves its intake (routing proposals, the moderators' notices) pending in the database, which
the intake dispatcher enqueues and the task worker runs. By default neither runs during the measured runs
(on a 2-core machine they would take the cores the web workers are measured on; production runs them
elsewhere); ``--task-worker`` runs both beside the server, and ``bench/crash_safety.py`` checks that the
intake of every suggestion completes, crashes included. The database holds a slice of the demo province
(312 units), the demo personas (one of them the moderator every new suggestion notifies) and the demo
campaign in a phase that takes suggestions.

wrk then drives, for a bounded time at 16 and then 64 connections (2 wrk threads), three routes of the same
server, each after a one-second warm-up; before every run the server's queue is let drain (no connection of
it busy in PostgreSQL) and a CHECKPOINT flushes the dirty pages, so no run pays for the previous one. The
three routes run in rounds (5 by default, each route first in turn), so that the ratios compare runs
made seconds apart: on a shared virtual machine the speed drifts from minute to minute, and one long run per
route measured the drift as much as the routes:

- ``bare``: ``POST /bench/bare/``, a Django view that answers without database or cache (the baseline);
- ``insert``: ``POST /bench/insert/``, a view that inserts one row through the ORM (the naive write path);
- ``submit``: ``POST /api/suggestions``, the public submission, every request with its own body and its own
  ``Idempotency-Key``; wrk's Lua script records the receipt code of every 201 answer.

For each route and each connection count it prints ``<route>_rps_<n>`` (over all its rounds),
``<route>_p50_ms_<n>`` and ``<route>_p99_ms_<n>`` (wrk's latency percentiles: the median round's p50, the
worst round's p99) and ``<route>_failed_<n>`` (answers other than 201 plus socket errors), and
``insert_vs_bare_ratio_<n>`` and ``submit_vs_bare_ratio_<n>`` (requests/s over the bare view's: the median
of the rounds' ratios, each round's printed in ``..._rounds``). ``<route>_cpu_us_per_request_<n>`` is
the CPU time (user and system) a request took, in microseconds, over every process that served it, and
``..._<n>_web``, ``_postgres``, ``_redis`` and ``_wrk`` split it: the web workers, all PostgreSQL
processes, Redis and the load tool. Other work on the machine lowers requests/s far more than what a
request costs, so these figures compare better across runs (on this virtual machine they still move by
about 15% from run to run).

Then it checks the database against what was acknowledged, warm-ups included: ``acknowledged`` (201 answers),
``stored`` (acknowledged receipt codes found in the database), ``lost`` (acknowledged, not stored) and
``duplicated`` (extra copies: a submission, whose title carries its unique key, stored more than once, or a
receipt code acknowledged twice). Submissions the server committed while wrk was cutting the run short are
stored but not acknowledged; ``stored_unacknowledged`` counts them. ``intake_pending`` counts the suggestions
whose intake has not run yet (all of them without ``--task-worker``).

It prints first what it ran with: ``workers``, ``threads_per_worker``, ``seconds_per_run``, ``rounds`` and
``load_average_1m`` (other work on the machine lowers every figure; compare runs made on a quiet one).

With ``--profile DIR``, one more submit run at 64 connections follows with py-spy sampling every worker
(its figures are not printed: the sampling takes CPU from the workers); ``DIR/summary.txt`` says where the
workers' time goes, by group (PostgreSQL, Redis, ORM, ...) and by Dalun function.

Goals (the issue's): ``submit_vs_bare_ratio_64`` at least 0.4, ``submit_p99_ms_64`` under 250, ``lost`` and
``duplicated`` zero. A loss, a duplicate or a failed submission makes the run exit with status 1 after
printing its figures; a slow run does not.

Needs wrk (Debian: ``apt-get install -y wrk``), gunicorn in the virtual environment (``.venv/bin/pip
install gunicorn``), PostgreSQL and Redis on loopback; without any of them it stops and says so.

Run from the project root::

    .venv/bin/python bench/intake.py                 # 5 rounds of 5 s runs (about 5 minutes in all)
    .venv/bin/python bench/intake.py --small         # 1 round of 3 s runs: the CI smoke run
    .venv/bin/python bench/intake.py --workers 5 --threads 2    # other gunicorn settings
    .venv/bin/python bench/intake.py --profile var/intake-profile   # and where a worker's time goes

Why 4 sync workers on a 2-core machine: a request's time is Python (CPU) plus round trips to PostgreSQL
and Redis (waits), so with 4 workers two compute while the others wait, and the cores stay busy without
the switching of more processes (8 sync workers measured no better; 5, the deployment guide's two per
core plus one, measured the same ratios). gthread (``--threads``) measured about 10% more on every route
alike, most of it from HTTP keep-alive, which the production set-up does not have (the reverse proxy
opens a connection per request to gunicorn, as sync workers expect): the ratios, which are what the goal
is about, do not change. ``--workers``/``--threads`` let this be measured again.
"""

import argparse
import contextlib
import os
import resource
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import _django
from _stack import task_worker

BENCH_DIR = Path(__file__).resolve().parent
# A database per run (named after the process), so that a CI smoke run and a full run on the same machine
# never drop each other's; a run killed before its clean-up leaves one, dropped by the next run.
POSTGRES_SERVER = "postgres://postgres@127.0.0.1:5432"
DATABASE_PREFIX = "dalun_bench_intake_"
REDIS_URL = "redis://127.0.0.1:6379/14"
CONNECTIONS = (16, 64)
FULL_SECONDS, SMALL_SECONDS = 5, 3
FULL_ROUNDS, SMALL_ROUNDS = 5, 1
WARM_UP_SECONDS = 1
WRK_THREADS = 2
ROUTES = {"bare": "/bench/bare/", "insert": "/bench/insert/", "submit": "/api/suggestions"}

# The wrk script. Each thread numbers its requests; a request's key (run tag, thread, number) makes its
# Idempotency-Key and its title unique. response() keeps every receipt code of a 201 answer and counts the
# statuses; done() (in wrk's main thread) gathers them from every thread into the codes file and prints
# one line of figures for the parent to read.
WRK_SCRIPT = r"""
local threads = {}

function setup(thread)
  table.insert(threads, thread)
  thread:set("id", #threads)
end

function init(args)
  tag, codes_path = args[1], args[2]
  counter, codes, statuses = 0, {}, {}
  run = 0
  for i = 1, #tag do run = (run * 31 + tag:byte(i)) % 65536 end
end

local CLIENT_REQUESTS = 5

local text = "上班族工作日没时间办事，建议政务服务中心周六上午开放综合窗口，并在网上公布各窗口的排队人数，"
  .. "方便群众错峰前往。社区卫生服务中心也可以试行预约挂号，减少老人排队等候的时间。"

function request()
  counter = counter + 1
  local key = string.format("%s-%d-%d", tag, id, counter)
  local body = string.format('{"title":"建议延长周末开放时间 %s","text":"%s（%s）"}', key, text, key)
  -- Each simulated person sends CLIENT_REQUESTS suggestions from an address of their own, as the proxy
  -- reports it: the flood limit runs at its real setting and counts real earlier suggestions.
  local client = string.format("fd00::%x:%x:%x", run, id, math.floor(counter / CLIENT_REQUESTS))
  local headers = {["Content-Type"] = "application/json", ["Idempotency-Key"] = key,
                   ["X-Forwarded-For"] = client}
  return wrk.format("POST", nil, headers, body)
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
  if status == 201 then
    local code = string.match(body, '"receipt_code":%s*"([^"]+)"')
    if code then codes[#codes + 1] = code end
  end
end

function done(summary, latency, requests)
  local out = io.open(threads[1]:get("codes_path"), "w")
  local answered = {}
  for _, thread in ipairs(threads) do
    for _, code in ipairs(thread:get("codes")) do out:write(code, "\n") end
    for status, count in pairs(thread:get("statuses")) do
      answered[status] = (answered[status] or 0) + count
    end
  end
  out:close()
  local created = answered[201] or 0
  local errors = summary.errors
  io.write(string.format(
    "WRK requests=%d duration_us=%d p50_us=%d p99_us=%d created=%d socket_errors=%d\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99), created,
    errors.connect + errors.read + errors.write + errors.timeout))
end
"""


@dataclass(frozen=True)
class Run:
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    created: int
    failed: int
    cpu_seconds: dict[str, float]  # CPU time spent during the run, by process group (CPU_GROUPS)

    @property
    def rps(self) -> float:
        return self.requests / self.seconds


def main() -> None:
    arguments = _arguments()
    _require_tools(arguments.profile is not None)
    seconds = arguments.duration or (SMALL_SECONDS if arguments.small else FULL_SECONDS)
    arguments.rounds = arguments.rounds or (SMALL_ROUNDS if arguments.small else FULL_ROUNDS)
    _stop_on_sigterm()
    _drop_abandoned_databases()
    with (
        tempfile.TemporaryDirectory(prefix="dalun-bench-intake-") as scratch,
        _django.postgres_database(f"{POSTGRES_SERVER}/{DATABASE_PREFIX}{os.getpid()}") as database_url,
        _cache_keys_removed() as cache_prefix,
    ):
        work = Path(scratch)
        os.environ.update(_server_environment(database_url, work, cache_prefix))
        _prepare_database()
        with (
            _gunicorn(arguments, work) as server,
            task_worker(work) if arguments.task_worker else contextlib.nullcontext(),
        ):
            lines, ok = _measure(server, arguments, seconds, work)
        _close_database_connections()
    for line in lines:
        print(line, flush=True)
    if not ok:
        raise SystemExit("intake: acknowledged suggestions were lost or duplicated, or submissions failed")


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.partition("\n")[0])
    parser.add_argument("--small", action="store_true", help=f"smoke size: {SMALL_SECONDS} s per run")
    parser.add_argument("--duration", type=int, help=f"seconds per measured run (default {FULL_SECONDS})")
    parser.add_argument(
        "--rounds", type=int, help=f"rounds of the three routes per connection count (default {FULL_ROUNDS})"
    )
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers (default 4)")
    parser.add_argument(
        "--threads", type=int, default=1, help="threads per worker; over 1 means gthread (default 1: sync)"
    )
    parser.add_argument(
        "--task-worker",
        action="store_true",
        help="run a task worker beside the server during the runs (it competes for the same cores)",
    )
    parser.add_argument(
        "--profile",
        type=Path,
        help="then profile the workers with py-spy in one more submit run at 64 connections",
    )
    return parser.parse_args()


# --- preconditions and clean-up --------------------------------------------------------------------------


def _require_tools(profile: bool) -> None:
    """Stop, saying what to install, when a tool is missing: a skipped run would measure nothing."""
    missing = []
    if shutil.which("wrk") is None:
        missing.append("wrk, the load generator: apt-get install -y wrk")
    if subprocess.run([sys.executable, "-c", "import gunicorn"], capture_output=True).returncode:
        missing.append(f"gunicorn, the server: {Path(sys.executable).parent}/pip install gunicorn")
    if profile and shutil.which("py-spy", path=f"{Path(sys.executable).parent}:{os.environ['PATH']}") is None:
        missing.append(f"py-spy, for --profile: {Path(sys.executable).parent}/pip install py-spy")
    if missing:
        raise SystemExit("intake benchmark: missing\n  " + "\n  ".join(missing))
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3).ping()
    except redis.RedisError as error:
        raise SystemExit(
            f"Redis at {urlsplit(REDIS_URL).netloc} is unreachable: {error}\n"
            "Start it (Debian: apt-get install -y redis-server && redis-server --daemonize yes)."
        ) from error


def _drop_abandoned_databases() -> None:
    """Drop the databases of earlier runs whose process is gone (killed before it could clean up)."""
    import psycopg
    from psycopg import sql

    try:
        admin = psycopg.connect(f"{POSTGRES_SERVER}/postgres", autocommit=True, connect_timeout=5)
    except psycopg.OperationalError:
        return  # postgres_database says what is wrong
    with admin:
        rows = admin.execute(
            "SELECT datname FROM pg_database WHERE starts_with(datname, %s)", [DATABASE_PREFIX]
        )
        for (name,) in rows.fetchall():
            pid = name.removeprefix(DATABASE_PREFIX)
            if pid.isdigit() and not Path(f"/proc/{pid}").exists():
                admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def _stop_on_sigterm() -> None:
    """A SIGTERM (a CI timeout, kill) unwinds like Ctrl-C, so the server and the database are cleaned up."""

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupt)


@contextlib.contextmanager
def _cache_keys_removed() -> Iterator[str]:
    """A cache key prefix of the run's own; its keys are deleted from Redis afterwards."""
    import redis

    prefix = f"bench-intake-{os.getpid()}-{secrets.token_hex(4)}"
    try:
        yield prefix
    finally:
        client = redis.Redis.from_url(REDIS_URL)
        keys = list(client.scan_iter(match=f"{prefix}:*", count=1000))
        if keys:
            client.delete(*keys)


def _server_environment(database_url: str, work: Path, cache_prefix: str) -> dict[str, str]:
    return {
        "DJANGO_SETTINGS_MODULE": "_intake_settings",
        "PYTHONPATH": os.pathsep.join(filter(None, [str(BENCH_DIR), os.environ.get("PYTHONPATH")])),
        "DALUN_DATABASE_URL": database_url,
        "DALUN_CACHE_URL": REDIS_URL,
        "DALUN_BENCH_CACHE_PREFIX": cache_prefix,
        "DALUN_SECRET_KEY": secrets.token_urlsafe(40),
        "DALUN_TASK_BACKEND": "database",  # production's queue: intake tasks wait for a worker
        "DALUN_ALLOWED_HOSTS": "127.0.0.1",
        "DALUN_VAR_DIR": str(work / "var"),
        "DALUN_DEBUG": "0",
    }


# --- the database --------------------------------------------------------------------------------------


def in_slice(row: dict[str, str]) -> bool:
    """The tests' slice of the demo province: cities, two counties, the villages of two districts."""
    code = row["code"]
    return (
        len(code) <= 4
        or (len(code) == 6 and code[:4] in {"1401", "1404"})
        or code[:6] in {"140105", "140106"}
    )


def _prepare_database() -> None:
    """Migrate, then load the slice, the personas and the demo campaign, which takes suggestions today."""
    _django.setup()
    from dalun.campaigns.services import phase_allows
    from dalun.demo.campaign import ensure_campaign
    from dalun.demo.personas import ensure_personas
    from dalun.demo.province import load_province

    load_province(keep=in_slice)
    ensure_personas()
    campaign = ensure_campaign(root_code="14")
    _check(phase_allows(campaign, "suggestion.create"), "the demo campaign does not take suggestions today")
    _close_database_connections()


def _close_database_connections() -> None:
    from django.db import connections

    connections.close_all()


def _checkpoint() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("CHECKPOINT")


def _count(codes: list[str]) -> tuple[list[str], bool]:
    """Compare the acknowledged receipt codes with the suggestions in the database."""
    from django.db.models import Count

    from dalun.voices.models import Suggestion

    acknowledged = set(codes)
    stored_codes = set(Suggestion.objects.values_list("receipt_code", flat=True))
    stored = len(acknowledged & stored_codes)
    copies = Suggestion.objects.values("title").annotate(n=Count("id")).filter(n__gt=1)
    duplicated = sum(row["n"] - 1 for row in copies) + (len(codes) - len(acknowledged))
    lost = len(acknowledged) - stored
    lines = [
        f"acknowledged: {len(codes)}",
        f"stored: {stored}",
        f"lost: {lost}",
        f"duplicated: {duplicated}",
        f"stored_unacknowledged: {len(stored_codes - acknowledged)}",
        # Intake (routing proposals, moderators' notices) left to the task worker, in the same database.
        f"intake_pending: {Suggestion.objects.filter(intake_done_at__isnull=True).count()}",
    ]
    return lines, lost == 0 and duplicated == 0


# --- the server and the load ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Server:
    process: subprocess.Popen[bytes]
    url: str
    log: Path


@contextlib.contextmanager
def _gunicorn(arguments: argparse.Namespace, work: Path) -> Iterator[Server]:
    """gunicorn on a free loopback port, until every worker answers; stopped (and waited for) afterwards."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    log = work / "gunicorn.log"
    command = [sys.executable, "-m", "gunicorn", "dalun.wsgi:application", "--bind", f"127.0.0.1:{port}"]
    command += ["--workers", str(arguments.workers), "--backlog", "2048", "--timeout", "60"]
    if arguments.threads > 1:
        command += ["--worker-class", "gthread", "--threads", str(arguments.threads)]
    with log.open("wb") as log_file:
        # A session of its own: Ctrl-C in the terminal reaches this process only, which stops the server.
        process = subprocess.Popen(command, stdout=log_file, stderr=subprocess.STDOUT, start_new_session=True)
    server = Server(process, f"http://127.0.0.1:{port}", log)
    try:
        _wait_until_up(server)
        yield server
    finally:
        _stop(process)


def _wait_until_up(server: Server, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise SystemExit(f"gunicorn exited with status {server.process.returncode}:\n{_tail(server.log)}")
        try:
            with urllib.request.urlopen(server.url + ROUTES["bare"], timeout=2) as answer:
                if answer.status == 201:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.2)
    raise SystemExit(f"gunicorn did not answer within {timeout:.0f} s:\n{_tail(server.log)}")


def _stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM to the master (it stops its workers gracefully), then SIGKILL to its group if need be."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    with contextlib.suppress(ProcessLookupError):  # workers orphaned by a killed master
        os.killpg(process.pid, signal.SIGKILL)


def _tail(log: Path, lines: int = 30) -> str:
    return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])


def _measure(
    server: Server, arguments: argparse.Namespace, seconds: int, work: Path
) -> tuple[list[str], bool]:
    script = work / "intake.lua"
    script.write_text(WRK_SCRIPT, encoding="utf-8")
    lines = [
        f"workers: {arguments.workers}",
        f"threads_per_worker: {arguments.threads}",
        f"seconds_per_run: {seconds}",
        f"rounds: {arguments.rounds}",
        f"task_worker_during_runs: {int(bool(arguments.task_worker))}",
        f"load_average_1m: {os.getloadavg()[0]:.2f}",  # other work on the machine lowers every figure
    ]
    codes: list[str] = []
    failed_submissions = 0
    for connections in CONNECTIONS:
        rounds: list[dict[str, Run]] = []
        for number in range(arguments.rounds):
            runs: dict[str, Run] = {}
            names = list(ROUTES)
            for name in names[number % len(names) :] + names[: number % len(names)]:  # each first in turn
                tag = f"{name}{connections}r{number}"
                warm = _wrk(server, script, ROUTES[name], f"{tag}w", connections, WARM_UP_SECONDS, work)
                _pause()
                run = _wrk(server, script, ROUTES[name], tag, connections, seconds, work)
                _pause()
                runs[name] = run
                if name == "submit":
                    codes += _codes(work, f"{tag}w") + _codes(work, tag)
                    failed_submissions += warm.failed + run.failed
            rounds.append(runs)
        lines += _figures(connections, rounds)
    if arguments.profile:
        # A run of its own: sampling four workers takes CPU from them, so its figures are not printed.
        connections = CONNECTIONS[-1]
        with _profiled(server, arguments.profile, seconds):
            run = _wrk(server, script, ROUTES["submit"], "profiled", connections, seconds, work)
        codes += _codes(work, "profiled")
        failed_submissions += run.failed
    count_lines, consistent = _count(codes)
    return lines + count_lines, consistent and failed_submissions == 0


def _figures(connections: int, rounds: list[dict[str, Run]]) -> list[str]:
    """The figures of each route over the rounds: requests/s and CPU over all its runs, the median p50, the
    worst p99; each ratio is the median of the rounds' ratios (runs a few seconds apart, so that a change
    in the machine's speed between rounds moves both sides of a ratio alike)."""
    lines: list[str] = []
    for name in ROUTES:
        route = [runs[name] for runs in rounds]
        requests = sum(run.requests for run in route)
        cpu = {group: sum(run.cpu_seconds[group] for run in route) for group in CPU_GROUPS}
        lines += [
            f"{name}_rps_{connections}: {requests / sum(run.seconds for run in route):.1f}",
            f"{name}_p50_ms_{connections}: {statistics.median(run.p50_ms for run in route):.1f}",
            f"{name}_p99_ms_{connections}: {max(run.p99_ms for run in route):.1f}",
            f"{name}_failed_{connections}: {sum(run.failed for run in route)}",
            f"{name}_cpu_us_per_request_{connections}: {sum(cpu.values()) / requests * 1e6:.0f}",
        ]
        lines += [
            f"{name}_cpu_us_per_request_{connections}_{group}: {spent / requests * 1e6:.0f}"
            for group, spent in cpu.items()
        ]
    for name in ("insert", "submit"):
        ratios = [runs[name].rps / runs["bare"].rps for runs in rounds]
        lines.append(f"{name}_vs_bare_ratio_{connections}: {statistics.median(ratios):.3f}")
        lines.append(
            f"{name}_vs_bare_ratio_{connections}_rounds: {','.join(f'{ratio:.3f}' for ratio in ratios)}"
        )
    return lines


def _pause() -> None:
    """Let the server finish what a cut-short run left queued, then flush PostgreSQL's dirty pages."""
    _settle()
    _checkpoint()


def _settle(timeout: float = 20) -> None:
    """Wait until no connection of the server's is inside a query or a transaction, twice in a row."""
    from django.db import connection

    deadline, quiet = time.monotonic() + timeout, 0
    time.sleep(0.3)
    while quiet < 2 and time.monotonic() < deadline:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                " AND pid <> pg_backend_pid() AND state <> 'idle'"
            )
            (busy,) = cursor.fetchone()
        quiet = quiet + 1 if busy == 0 else 0
        time.sleep(0.1)


def _wrk(
    server: Server, script: Path, path: str, tag: str, connections: int, seconds: int, work: Path
) -> Run:
    command = ["wrk", "--threads", str(WRK_THREADS), "--connections", str(connections)]
    command += ["--duration", f"{seconds}s", "--timeout", "10s", "--script", str(script)]
    command += [server.url + path, "--", tag, str(work / f"codes-{tag}.txt")]
    before = _cpu_seconds(server)
    finished = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60)
    after = _cpu_seconds(server)
    figures = next((line for line in finished.stdout.splitlines() if line.startswith("WRK ")), None)
    if finished.returncode or figures is None:
        raise SystemExit(f"wrk failed ({finished.returncode}):\n{finished.stdout}{finished.stderr}")
    values = {key: int(value) for key, _, value in (item.partition("=") for item in figures.split()[1:])}
    return Run(
        requests=values["requests"],
        seconds=values["duration_us"] / 1e6,
        p50_ms=values["p50_us"] / 1000,
        p99_ms=values["p99_us"] / 1000,
        created=values["created"],
        failed=values["requests"] - values["created"] + values["socket_errors"],
        cpu_seconds=_cpu_spent(before, after),
    )


# What each request costs in CPU, whoever spends it: a figure that other work on the machine moves far less
# (it lowers requests/s, not the CPU a request takes), so runs on a busy machine can still be compared.
CPU_GROUPS = ("web", "postgres", "redis", "wrk")
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def _cpu_seconds(server: Server) -> dict[tuple[str, int], float]:
    """CPU time (user + system) so far of each web worker, PostgreSQL and Redis process, by (group, pid),
    and of the load tool (pid 0: the waited-for children of this process)."""
    spent: dict[tuple[str, int], float] = {}
    workers = {server.process.pid, *_children(server.process.pid)}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:  # gone meanwhile
            continue
        name = stat[stat.index("(") + 1 : stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2 :].split()
        pid = int(entry.name)
        group = "web" if pid in workers else {"postgres": "postgres", "redis-server": "redis"}.get(name)
        if group:
            spent[group, pid] = (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime, stime
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    spent["wrk", 0] = children.ru_utime + children.ru_stime
    return spent


def _cpu_spent(before: dict[tuple[str, int], float], after: dict[tuple[str, int], float]) -> dict[str, float]:
    """CPU time spent between two samples, by group. A process that ended in between (an autovacuum
    worker) is left out, one that started is counted whole."""
    spent = dict.fromkeys(CPU_GROUPS, 0.0)
    for (group, pid), seconds in after.items():
        spent[group] += seconds - before.get((group, pid), 0.0)
    return spent


def _codes(work: Path, tag: str) -> list[str]:
    return (work / f"codes-{tag}.txt").read_text(encoding="utf-8").split()


@contextlib.contextmanager
def _profiled(server: Server, directory: Path | None, seconds: int) -> Iterator[None]:
    """With ``--profile``: py-spy samples every worker while the block runs; prints where the time goes."""
    if directory is None:
        yield
        return
    directory.mkdir(parents=True, exist_ok=True)
    spy = shutil.which("py-spy", path=f"{Path(sys.executable).parent}:{os.environ['PATH']}")
    workers = _children(server.process.pid)
    recorders = [
        subprocess.Popen(
            [str(spy), "record", "--pid", str(pid), "--duration", str(seconds), "--rate", "250"]
            + [
                "--format",
                "raw",
                "--idle",
                "--nonblocking",
                "--output",
                str(directory / f"worker-{pid}.txt"),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for pid in workers
    ]
    try:
        yield
    finally:
        for recorder in recorders:
            try:
                recorder.wait(timeout=30)
            except subprocess.TimeoutExpired:
                recorder.kill()
                recorder.wait()
    _summarise_profile(directory)


def _children(pid: int) -> list[int]:
    return [int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


# Where a worker's time goes: each sample is counted once, in the group of the innermost frame that
# matches one (a sample inside psycopg called from the ORM called from Dalun counts as PostgreSQL).
PROFILE_GROUPS = {
    "PostgreSQL round trips (psycopg)": ("psycopg/",),
    "Redis round trips (redis-py)": ("redis/",),
    "Django ORM (django/db/)": ("django/db/",),
    "django-ninja and pydantic": ("ninja/", "pydantic"),
    "Dalun's own code (dalun/)": ("dalun/",),
}
OTHER_GROUP = "HTTP, middleware, gunicorn and the rest"


def _summarise_profile(directory: Path, top: int = 30) -> None:
    """Shares of the workers' samples (py-spy's folded stacks, idle included): by group, then per Dalun
    function (inclusive); written to ``summary.txt`` beside the raw files."""
    inclusive: Counter[str] = Counter()
    groups: Counter[str] = Counter()
    files = sorted(directory.glob("worker-*.txt"))
    for path in files:
        for line in path.read_text(errors="replace").splitlines():
            stack, _, count = line.rpartition(" ")
            if not count.isdigit():
                continue
            frames = stack.split(";")
            for frame in set(frames):
                inclusive[frame] += int(count)
            groups[_group(frames)] += int(count)
    total = sum(groups.values())
    if not total:
        print(f"profile: no samples in {directory}", file=sys.stderr)
        return
    report = [f"{total} samples of {len(files)} workers, each counted in one group:"]
    report += [f"{100 * groups[group] / total:5.1f}%  {group}" for group in [*PROFILE_GROUPS, OTHER_GROUP]]
    report += ["", "Dalun's functions, inclusive (a function with everything it calls):"]
    dalun = [(frame, n) for frame, n in inclusive.most_common() if "dalun/" in frame][:top]
    report += [f"{100 * n / total:5.1f}%  {frame}" for frame, n in dalun]
    (directory / "summary.txt").write_text("\n".join(report) + "\n", encoding="utf-8")
    print(f"profile: {total} samples; summary in {directory / 'summary.txt'}", file=sys.stderr)


def _group(frames: list[str]) -> str:
    for frame in reversed(frames):
        for group, markers in PROFILE_GROUPS.items():
            if any(marker in frame for marker in markers):
                return group
    return OTHER_GROUP


def _check(condition: bool, message: str) -> None:
    """Like assert, but kept under ``python -O``."""
    if not condition:
        raise AssertionError(message)


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        print("intake: interrupted; server, database and cache keys cleaned up", file=sys.stderr)
        sys.exit(130)

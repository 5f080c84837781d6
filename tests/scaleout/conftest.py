"""The scale-out profile on loopback: two gunicorn web processes and one task worker, configured only by
environment variables, against PostgreSQL and Redis, exactly as in production behind a reverse proxy
(the tests play the proxy: they send X-Forwarded-Proto and X-Forwarded-For).

PostgreSQL and Redis must answer (``./run test`` starts them): if either is missing the tests fail, they
never skip. The database (``dalun_h5scale_<pid>`` unless DALUN_SCALEOUT_DATABASE_URL says otherwise) is
created for the run and dropped after it; the Redis keys live under a prefix of the run's own and are deleted.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).parents[2]
BIN = Path(sys.executable).parent
# A database of the run's own, so that runs on one machine (the SQLite and the PostgreSQL pass) never meet.
DATABASE_URL = os.environ.get(
    "DALUN_SCALEOUT_DATABASE_URL", f"postgres://postgres@127.0.0.1:5432/dalun_h5scale_{os.getpid()}"
)
REDIS_URL = os.environ.get("DALUN_SCALEOUT_REDIS_URL", "redis://127.0.0.1:6379/14")
OFFICE_PASSWORD = secrets.token_urlsafe(12)

SEED = f"""
from django.core.management import call_command
call_command("migrate", interactive=False, verbosity=0)
from dalun.demo.personas import ensure_personas
from dalun.demo.province import load_province
load_province(keep=lambda row: len(row["code"]) <= 4 or row["code"] == "140105")
ensure_personas(password={OFFICE_PASSWORD!r})
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _require_services() -> None:
    import psycopg
    import redis

    admin_url = DATABASE_URL.rsplit("/", 1)[0] + "/postgres"
    try:
        psycopg.connect(admin_url, connect_timeout=3).close()
    except psycopg.Error as error:
        pytest.fail(f"PostgreSQL does not answer at {admin_url} (./run test starts it): {error}")
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3).ping()
    except redis.RedisError as error:
        pytest.fail(f"Redis does not answer at {REDIS_URL} (./run test starts it): {error}")


def _recreate_database(*, drop_only: bool = False) -> None:
    import psycopg

    admin_url, name = DATABASE_URL.rsplit("/", 1)
    with psycopg.connect(admin_url + "/postgres", autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if not drop_only:
            connection.execute(f'CREATE DATABASE "{name}"')


@dataclass
class Cluster:
    """The running processes and how to reach them as the reverse proxy would."""

    web: list[str]
    password: str
    environ: dict[str, str]
    logs: Path
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def headers(self, client: str = "198.51.100.1", **extra: str) -> dict[str, str]:
        return {"X-Forwarded-Proto": "https", "X-Forwarded-For": client, "Accept-Language": "en", **extra}

    def log(self, name: str) -> str:
        return (self.logs / f"{name}.log").read_text(encoding="utf-8", errors="replace")


def _start(cluster: Cluster, name: str, argv: list[str]) -> None:
    out = open(cluster.logs / f"{name}.log", "wb")  # noqa: SIM115 (closed with the process)
    cluster.processes.append(
        subprocess.Popen(
            argv, cwd=ROOT, env=cluster.environ, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    )


def _wait_ready(cluster: Cluster, url: str, deadline: float) -> None:
    while time.monotonic() < deadline:
        for process in cluster.processes:
            if process.poll() is not None:
                raise AssertionError(f"{process.args} exited early:\n" + _all_logs(cluster))
        # Not listening yet, or still loading the application: ask again shortly.
        with contextlib.suppress(requests.RequestException):
            answer = requests.get(url + "/accounts/login/", headers=cluster.headers(), timeout=10)
            if answer.status_code == 200:
                return
        time.sleep(0.2)
    raise AssertionError(f"{url} did not answer in time:\n" + _all_logs(cluster))


def _all_logs(cluster: Cluster) -> str:
    return "\n".join(
        f"--- {p.name}\n{p.read_text(errors='replace')[-3000:]}" for p in cluster.logs.glob("*.log")
    )


def _stop(cluster: Cluster) -> None:
    for process in cluster.processes:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
    for process in cluster.processes:
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


@pytest.fixture(scope="module")
def cluster(tmp_path_factory) -> Iterator[Cluster]:
    import redis

    _require_services()
    work = tmp_path_factory.mktemp("scaleout")
    prefix = f"scaleout-{secrets.token_hex(4)}"
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("DALUN_", "DJANGO_"))}
    environ.update(
        DALUN_PROFILE="production",
        DALUN_SECRET_KEY=secrets.token_urlsafe(50),
        DALUN_DATABASE_URL=DATABASE_URL,
        DALUN_CACHE_URL=REDIS_URL,
        DALUN_CACHE_KEY_PREFIX=prefix,
        DALUN_ALLOWED_HOSTS="127.0.0.1",
        DALUN_TASK_BACKEND="database",
        DALUN_VAR_DIR=str(work / "var"),  # uploads: one shared folder, as on a shared volume
        DALUN_API_READ_LIMIT="5",
        DALUN_API_READ_LIMIT_WINDOW="300",
        DALUN_LOGIN_FAILURE_LIMIT="3",
        DALUN_LOG_LEVEL="INFO",
        DJANGO_SETTINGS_MODULE="dalun.settings",
    )
    ports = [_free_port(), _free_port()]
    cluster = Cluster(
        web=[f"http://127.0.0.1:{port}" for port in ports],
        password=OFFICE_PASSWORD,
        environ=environ,
        logs=work,
    )
    _recreate_database()
    try:
        seed = subprocess.run(
            [str(BIN / "dalun"), "shell", "-c", SEED], cwd=ROOT, env=environ, capture_output=True
        )
        assert seed.returncode == 0, seed.stderr.decode()
        for name, port in zip("ab", ports, strict=True):
            _start(
                cluster,
                f"web-{name}",
                [
                    str(BIN / "gunicorn"),
                    "dalun.wsgi:application",
                    "--bind",
                    f"127.0.0.1:{port}",
                    "--workers",
                    "1",
                ],
            )
        _start(
            cluster, "worker", [str(BIN / "dalun"), "db_worker", "--interval", "0.2", "--no-startup-delay"]
        )
        deadline = time.monotonic() + 30
        for url in cluster.web:
            _wait_ready(cluster, url, deadline)
        yield cluster
    finally:
        _stop(cluster)
        store = redis.Redis.from_url(REDIS_URL)
        keys = list(store.scan_iter(match=f"{prefix}:*", count=1000))
        if keys:
            store.delete(*keys)
        _recreate_database(drop_only=True)

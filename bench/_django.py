"""Shared bootstrap for benchmarks: a throwaway database, and Dalun configured against it and migrated.

The parent process makes the database (``sqlite_url`` or ``postgres_database``) and runs the measuring
code in a child process whose ``DALUN_DATABASE_URL`` names it; the child calls ``setup``.
"""

import argparse
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path
from urllib.parse import urlsplit

import django
import psycopg
from django.core.management import call_command
from psycopg import sql


def sqlite_url(directory: Path) -> str:
    return f"sqlite:///{directory / 'bench.sqlite3'}"


@contextmanager
def postgres_database(url: str) -> Iterator[str]:
    """Create the database ``url`` names for the run and drop it afterwards.

    A database left behind by an interrupted run is dropped first, so every run starts empty.
    """
    parts = urlsplit(url)
    name = sql.Identifier(parts.path.lstrip("/"))
    try:
        admin = psycopg.connect(parts._replace(path="/postgres").geturl(), autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as error:
        raise SystemExit(
            f"PostgreSQL at {parts.netloc} is unreachable: {error}\nStart it, or run with --databases sqlite."
        ) from error
    with admin:
        admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(name))
        admin.execute(sql.SQL("CREATE DATABASE {}").format(name))
        try:
            yield url
        finally:
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(name))


def setup() -> None:
    """In the child: configure Django from the environment the parent set, and migrate the empty database."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dalun.settings")
    django.setup()
    call_command("migrate", verbosity=0)


DATABASES = ("sqlite", "postgresql")


def database_list(value: str) -> list[str]:
    """Parse ``--databases sqlite,postgresql``."""
    names = [name.strip() for name in value.split(",") if name.strip()]
    unknown = sorted(set(names) - set(DATABASES))
    if unknown or not names:
        raise argparse.ArgumentTypeError(f"choose among {', '.join(DATABASES)} (got {value!r})")
    return names


def run_in_child(
    script: str, database: str, arguments: list[str], *, postgres_url: str, suffix: bool = True
) -> list[str]:
    """Run ``script --worker ARGUMENTS`` against a fresh database and return its figures.

    PostgreSQL figures get the suffix ``_pg``, so one run can print both databases side by side; with
    ``suffix=False`` the lines come back as the worker printed them (a worker that names the database
    itself, where the names an issue gives put it elsewhere than at the end).
    """
    with tempfile.TemporaryDirectory(prefix="dalun-bench-") as var_dir:
        location: AbstractContextManager[str] = (
            postgres_database(postgres_url)
            if database == "postgresql"
            else nullcontext(sqlite_url(Path(var_dir)))
        )
        with location as url:
            environment = {
                **os.environ,
                "DALUN_DATABASE_URL": url,
                "DALUN_VAR_DIR": var_dir,
                "DALUN_TASK_BACKEND": "immediate",
            }
            environment.pop("DALUN_DEBUG", None)  # DEBUG would log every query
            worker = subprocess.run(
                [sys.executable, script, "--worker", *arguments],
                env=environment,
                stdout=subprocess.PIPE,
                text=True,
            )
    if worker.returncode:
        raise SystemExit(f"the {database} run failed (exit status {worker.returncode}); see its error above")
    lines = worker.stdout.splitlines()
    if not suffix:
        return lines
    ending = "_pg" if database == "postgresql" else ""
    return [f"{name}{ending}: {value}" for name, _, value in (line.partition(": ") for line in lines)]

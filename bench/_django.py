"""Shared bootstrap for benchmarks: a throwaway database, and Dalun configured against it and migrated.

The parent process makes the database (``sqlite_url`` or ``postgres_database``) and runs the measuring
code in a child process whose ``DALUN_DATABASE_URL`` names it; the child calls ``setup``.
"""

import os
from collections.abc import Iterator
from contextlib import contextmanager
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

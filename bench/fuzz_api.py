"""API fuzzing at a chosen size, with its figures: every operation of the OpenAPI schema, many examples each.

Runs the schemathesis suite ``tests/fuzz/test_api.py`` (see docs/fuzzing.md) in a pytest child process per
database, with ``DALUN_FUZZ_EXAMPLES`` examples per operation (random ones: each run explores anew), and
sums what each operation reported: ``requests``, the answers by class (``answers_2xx``, ``answers_4xx``,
``server_errors``), ``failed_operations`` (an operation fails on a 5xx, an undocumented status code or
content type, or a body that does not match its schema) and the speed. PostgreSQL figures end in ``_pg``.

Run from the project root::

    .venv/bin/python bench/fuzz_api.py                  # 200 examples per operation, SQLite and PostgreSQL
    .venv/bin/python bench/fuzz_api.py --examples 1000  # more
    .venv/bin/python bench/fuzz_api.py --small          # 3 examples per operation, SQLite: the CI run

Exits with status 1 when an operation failed (its failure is printed on stderr).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SMALL_EXAMPLES, FULL_EXAMPLES = 3, 200
POSTGRES_URL = os.environ.get(
    "DALUN_BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/dalun_fuzz_bench"
)


def run(database: str, examples: int) -> tuple[list[str], bool]:
    """Fuzz every operation on one database; returns the figures and whether every operation passed."""
    with tempfile.TemporaryDirectory(prefix="dalun-fuzz-") as directory:
        report = Path(directory) / "report.jsonl"
        environment = {
            **os.environ,
            "DALUN_FUZZ_EXAMPLES": str(examples),
            "DALUN_FUZZ_DERANDOMIZE": "0",
            "DALUN_FUZZ_REPORT": str(report),
        }
        environment.pop("DALUN_DATABASE_URL", None)
        if database == "postgresql":
            environment["DALUN_DATABASE_URL"] = POSTGRES_URL  # pytest-django makes test_<name> and drops it
        started = time.perf_counter()
        child = subprocess.run(
            [sys.executable, "-m", "pytest", "tests/fuzz/test_api.py", "-q", "-p", "no:cacheprovider"],
            cwd=ROOT,
            env=environment,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        seconds = time.perf_counter() - started
        lines = report.read_text(encoding="utf-8").splitlines() if report.exists() else []
    operations = [json.loads(line) for line in lines]
    if not operations:
        print(child.stdout, file=sys.stderr)
        raise SystemExit(f"the {database} run reported nothing (pytest exit status {child.returncode})")
    by_class = {"2": 0, "3": 0, "4": 0, "5": 0}
    for operation in operations:
        for status, count in operation["statuses"].items():
            by_class[str(status)[0]] += count
    requests = sum(by_class.values())
    failed = [operation for operation in operations if operation["failure"]]
    for operation in failed:
        print(
            f"[fuzz_api] {database}: {operation['operation']} failed: {operation['failure']}", file=sys.stderr
        )
    fuzzing_seconds = sum(operation["seconds"] for operation in operations)
    figures = {
        "operations": len(operations),
        "examples_per_operation": examples,
        "requests": requests,
        "answers_2xx": by_class["2"],
        "answers_4xx": by_class["4"],
        "server_errors": by_class["5"],
        "failed_operations": len(failed),
        "fuzz_s": f"{fuzzing_seconds:.1f}",
        "requests_per_s": f"{requests / fuzzing_seconds:.0f}" if fuzzing_seconds else "0",
        "total_s": f"{seconds:.1f}",
    }
    ending = "_pg" if database == "postgresql" else ""
    return [
        f"{name}{ending}: {value}" for name, value in figures.items()
    ], not failed and child.returncode == 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.partition("\n")[0])
    parser.add_argument(
        "--small", action="store_true", help=f"{SMALL_EXAMPLES} examples per operation, SQLite"
    )
    parser.add_argument("--examples", type=int, help=f"examples per operation (default {FULL_EXAMPLES})")
    parser.add_argument(
        "--databases",
        default=None,
        help="comma-separated: sqlite,postgresql (default both; sqlite with --small)",
    )
    arguments = parser.parse_args()
    examples = arguments.examples or (SMALL_EXAMPLES if arguments.small else FULL_EXAMPLES)
    databases = (arguments.databases or ("sqlite" if arguments.small else "sqlite,postgresql")).split(",")
    passed = True
    for database in databases:
        if database not in ("sqlite", "postgresql"):
            parser.error(f"unknown database {database!r}: choose sqlite or postgresql")
        figures, ok = run(database, examples)
        passed &= ok
        for line in figures:
            print(line, flush=True)
    if not passed:
        raise SystemExit(1)


if __name__ == "__main__":
    main()

"""`dalun serve` (what `./run demo` ends in) stops its task worker and intake dispatcher with itself."""

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path


def children(pid: int) -> list[int]:
    return [int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


def test_sigterm_stops_the_task_worker_and_the_dispatcher_too(tmp_path):
    environment = {**os.environ, "DALUN_VAR_DIR": str(tmp_path), "DALUN_TASK_BACKEND": "database"}
    environment.pop("DALUN_DATABASE_URL", None)  # the embedded database in tmp_path
    dalun = [sys.executable, "-m", "dalun.cli"]
    subprocess.run([*dalun, "migrate", "--verbosity", "0"], env=environment, check=True)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(
        [*dalun, "serve", f"127.0.0.1:{port}"],
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while len(children(server.pid)) < 2 and time.monotonic() < deadline:
            time.sleep(0.2)
        helpers = children(server.pid)
        assert len(helpers) == 2 and all(alive(pid) for pid in helpers)
        server.send_signal(signal.SIGTERM)
        assert server.wait(timeout=30) == 0
        deadline = time.monotonic() + 15
        while any(alive(pid) for pid in helpers) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not any(alive(pid) for pid in helpers)
    finally:
        if server.poll() is None:
            server.kill()

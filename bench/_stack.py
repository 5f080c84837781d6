"""What the scripts that serve Dalun in its production profile share beyond ``intake.py``'s server: the
task worker, a separate ``dalun db_worker`` process that can be killed and started again, beside the intake
dispatcher (``dalun dispatch-intake``), which enqueues the intake of new suggestions."""

import contextlib
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path


class TaskWorker:
    """``dalun db_worker`` as a separate process, which the script kills and starts again, and the intake
    dispatcher beside it for the whole run."""

    def __init__(self, work: Path):
        self.log = work / "task-worker.log"
        self.process: subprocess.Popen[bytes] | None = None
        self.dispatcher: subprocess.Popen[bytes] | None = None
        self.killed = 0

    def start_dispatcher(self) -> None:
        command = [sys.executable, "-m", "dalun.cli", "dispatch_intake", "--every", "0.5"]
        with self.log.open("ab") as log:
            self.dispatcher = subprocess.Popen(
                command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )

    def start(self) -> None:
        command = [sys.executable, "-m", "dalun.cli", "db_worker", "--interval", "0.2", "--no-startup-delay"]
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGKILL)
            self.process.wait()
            self.killed += 1

    def stop(self) -> None:
        """SIGTERM (the worker finishes its task), then SIGKILL if it takes too long."""
        for process in (self.dispatcher, self.process):
            if process is not None and process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()


@contextlib.contextmanager
def task_worker(work: Path) -> Iterator[TaskWorker]:
    worker = TaskWorker(work)
    worker.start_dispatcher()
    worker.start()
    try:
        yield worker
    finally:
        worker.stop()

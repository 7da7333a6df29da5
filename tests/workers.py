"""Helpers for tests that run a real Celery worker process, and for keeping
Celery's global "current app" as it was when a test builds apps of its own."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from celery import _state as celery_state

from eventsapp.config import DEFAULT_QUEUE, MAIL_QUEUE, PROJECT_ROOT

#: As in the Procfile: given a bare module, ``celery -A`` would take its ``app``
#: attribute, which in ``celery_worker.py`` is the Flask app.
APP_SPEC = "celery_worker:celery"
READY_MARKER = " ready."
START_TIMEOUT_SECONDS = 30.0
STOP_TIMEOUT_SECONDS = 10.0


@contextmanager
def preserved_celery_current_app() -> Iterator[None]:
    """``celery_init_app`` makes every new Celery app the process-wide default
    and current app; put back the previous ones so that shared tasks used by
    later tests do not resolve to an app built (and thrown away) here."""
    previous_default = celery_state.default_app
    previous_current = celery_state._tls.current_app
    try:
        yield
    finally:
        celery_state.set_default_app(previous_default)
        celery_state._set_current_app(previous_current)


def instance_environment(instance_path: Path, redis_url: str | None) -> dict[str, str]:
    """The variables that point ``Config()`` at a throw-away instance folder
    with its own SQLite file, and at Redis or the filesystem broker."""
    environment = {
        "INSTANCE_PATH": str(instance_path),
        "DATABASE_URL": f"sqlite:///{instance_path / 'db.sqlite'}",
    }
    if redis_url:
        environment["REDIS_URL"] = redis_url
    return environment


class CeleryWorker:
    """``celery -A celery_worker worker`` in its own process group, its output
    written to a log file (a pipe nobody reads could fill up and block it).

    It consumes the app's two queues, ``mail`` and ``default``, as the
    Procfile's worker does, plus a queue of its own (``queue``) for tests
    that address this worker alone. ``pool="prefork"`` with ``concurrency``
    runs pool processes, as in production (time limits, lost children)."""

    def __init__(
        self,
        environment: Mapping[str, str | None],
        workdir: Path,
        *,
        pool: str = "solo",
        concurrency: int = 1,
        log_name: str = "worker.log",
    ) -> None:
        self.workdir = workdir
        self.log_path = workdir / log_name
        self.pool = pool
        self.concurrency = concurrency
        self.queue = f"test-{uuid.uuid4().hex[:12]}"
        self.environment = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT), "PYTHONUNBUFFERED": "1"}
        for name, value in environment.items():
            if value is None:
                self.environment.pop(name, None)
            else:
                self.environment[name] = value
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def command(self) -> list[str]:
        return [
            sys.executable,
            "-m",
            "celery",
            "-A",
            APP_SPEC,
            "worker",
            f"--pool={self.pool}",
            f"--concurrency={self.concurrency}",
            "--loglevel=INFO",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            # The app's queues, and one of its own: a test that sends to
            # ``queue`` reaches this worker only, not another test run's.
            f"--queues={MAIL_QUEUE},{DEFAULT_QUEUE},{self.queue}",
            f"--hostname={self.queue}@%h",
        ]

    def output(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def start(self) -> None:
        """Start the worker and wait until it says it is ready."""
        run_dir = self.workdir / "cwd"
        run_dir.mkdir(exist_ok=True)
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                self.command,
                # Not the project folder: whatever the worker writes relative to
                # its working directory lands in the test's temporary folder.
                cwd=run_dir,
                env=self.environment,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            if READY_MARKER in self.output():
                return
            if self.process.poll() is not None:
                raise AssertionError(
                    f"the Celery worker exited with status {self.process.returncode} "
                    f"before being ready:\n{self.output()}"
                )
            time.sleep(0.1)
        raise AssertionError(
            f"the Celery worker was not ready after {START_TIMEOUT_SECONDS:.0f} s:\n{self.output()}"
        )

    def kill(self) -> None:
        """SIGKILL the whole process group at once (main process and pool
        children), as a lost machine or the OOM killer would: nothing is
        acknowledged, nothing cleaned up."""
        if self.process is None or self.process.poll() is not None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            return
        self.process.wait()

    def stop(self) -> None:
        """Warm shutdown (SIGTERM) of the whole process group, SIGKILL if it lingers."""
        if self.process is None or self.process.poll() is not None:
            return
        for sig in (signal.SIGTERM, signal.SIGKILL):
            try:
                os.killpg(self.process.pid, sig)
            except ProcessLookupError:
                return
            try:
                self.process.wait(timeout=STOP_TIMEOUT_SECONDS)
                return
            except subprocess.TimeoutExpired:
                continue
        self.process.wait()

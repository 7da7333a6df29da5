"""A real Celery worker process runs tasks inside the Flask app context, with
Redis as the broker and with the embedded filesystem broker.

Each test builds a throw-away instance (its own folder and SQLite file, the
schema made by the migrations, a known number of organisations), starts
``celery -A celery_worker worker`` on it, sends ``health.describe_worker_context``
from an app configured from the same environment, and checks what the worker
saw.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import redis
from celery import Celery
from flask import Flask
from flask_migrate import upgrade

from eventsapp import create_app
from eventsapp.config import PROJECT_ROOT, Config
from eventsapp.extensions import db
from eventsapp.organisations.models import Organisation, OrganisationKind
from tests.databases import redis_url
from tests.workers import APP_SPEC, CeleryWorker, instance_environment, preserved_celery_current_app

pytestmark = pytest.mark.worker

ORGANISATIONS = 3
RESULT_TIMEOUT_SECONDS = 30

StartWorker = Callable[[str | None], tuple[Flask, CeleryWorker]]


def build_instance(app: Flask) -> None:
    """The schema by the migrations, then ``ORGANISATIONS`` organisations."""
    with app.app_context():
        upgrade()
        db.session.add_all(
            Organisation(
                name=f"Coopérative d'essai {number}",
                slug=f"cooperative-essai-{number}",
                kind=OrganisationKind.COOPERATIVE,
            )
            for number in range(ORGANISATIONS)
        )
        db.session.commit()
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def start_worker(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[StartWorker]:
    """``start_worker(redis_url or None)``: an app in the test process and a
    worker process, both configured by the same environment variables. The
    worker is always stopped, and Celery's current app restored."""
    workers: list[CeleryWorker] = []
    # Anything written relative to the working directory stays in tmp_path.
    monkeypatch.chdir(tmp_path)

    def start(broker_redis_url: str | None) -> tuple[Flask, CeleryWorker]:
        instance_path = tmp_path / "instance"
        environment: dict[str, str | None] = {
            "REDIS_URL": None,
            **instance_environment(instance_path, broker_redis_url),
        }
        for name, value in environment.items():
            if value is None:
                monkeypatch.delenv(name, raising=False)
            else:
                monkeypatch.setenv(name, value)
        app = create_app(Config())
        build_instance(app)
        worker = CeleryWorker(environment, tmp_path)
        workers.append(worker)
        worker.start()
        return app, worker

    with preserved_celery_current_app():
        try:
            yield start
        finally:
            for worker in workers:
                worker.stop()


def describe_through_worker(app: Flask, worker: CeleryWorker) -> dict:
    """Send the health task to the worker's queue and wait for its result."""
    celery: Celery = app.extensions["celery"]
    result = celery.send_task("health.describe_worker_context", queue=worker.queue)
    try:
        return result.get(timeout=RESULT_TIMEOUT_SECONDS)
    except Exception as error:
        raise AssertionError(
            f"no result from the worker ({type(error).__name__}: {error}); its output:\n{worker.output()}"
        ) from error
    finally:
        result.forget()


def assert_ran_in_app_context(outcome: dict, worker: CeleryWorker) -> None:
    assert outcome == {
        "app": "eventsapp",
        "database": "sqlite",
        "organisations": ORGANISATIONS,
    }, worker.output()
    assert "health.describe_worker_context" in worker.output()


@pytest.mark.redis
def test_worker_runs_tasks_in_app_context_with_redis(start_worker: StartWorker) -> None:
    url = redis_url()
    # No FLUSHDB: the worker has a queue of its own, so stale messages cannot
    # reach it, and a flush would break another run using database 15 meanwhile.
    client = redis.Redis.from_url(url)
    started = time.monotonic()
    app, worker = start_worker(url)
    try:
        assert app.config["CELERY"]["broker_url"] == url
        outcome = describe_through_worker(app, worker)
        assert_ran_in_app_context(outcome, worker)
        assert time.monotonic() - started < 45
    finally:
        # The worker's own queue and bindings; nothing else in the database.
        for key in client.scan_iter(f"*{worker.queue}*"):
            client.delete(key)
        client.close()


def test_worker_runs_tasks_in_app_context_with_filesystem_broker(
    start_worker: StartWorker, tmp_path: Path
) -> None:
    started = time.monotonic()
    app, worker = start_worker(None)
    assert app.config["CELERY"]["broker_url"] == "filesystem://"
    outcome = describe_through_worker(app, worker)
    assert_ran_in_app_context(outcome, worker)
    # The message went through the instance's queue folder, the result through
    # its results folder.
    results_dir = tmp_path / "instance" / "celery" / "results"
    assert results_dir.is_dir()
    assert time.monotonic() - started < 45


def test_filesystem_broker_writes_only_under_the_instance(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Sending a task declares and binds its queue; with the filesystem broker
    every file this writes belongs under INSTANCE_PATH, not the working directory."""
    workdir = tmp_path / "cwd"
    workdir.mkdir()
    monkeypatch.chdir(workdir)
    for name, value in instance_environment(tmp_path / "instance", None).items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("REDIS_URL", raising=False)
    with preserved_celery_current_app():
        app = create_app(Config())
        app.extensions["celery"].send_task("health.describe_worker_context")
    assert sorted(path.name for path in workdir.iterdir()) == []


def test_documented_worker_commands_name_the_celery_app(tmp_path: Path) -> None:
    """Every ``celery -A <spec>`` of the Procfile and scripts/run-dev.sh names the
    Celery app (given a bare module, ``-A`` would take its ``app`` attribute, the
    Flask app in celery_worker.py), and the worker tests use one of them."""
    specs = sorted(
        {
            spec
            for file in ("Procfile", "scripts/run-dev.sh")
            for spec in re.findall(r"celery\S*\s+-A\s+(\S+)", (PROJECT_ROOT / file).read_text())
        }
    )
    assert specs, "no `celery -A` command found"
    assert APP_SPEC in specs
    environment = {
        **{name: value for name, value in os.environ.items() if name != "REDIS_URL"},
        **instance_environment(tmp_path / "instance", None),
        "PYTHONPATH": str(PROJECT_ROOT),
    }
    code = (
        "import sys\n"
        "from celery.app.utils import find_app\n"
        "for spec in sys.argv[1:]:\n"
        "    found = type(find_app(spec))\n"
        "    print(spec, found.__module__ + '.' + found.__qualname__)\n"
    )
    completed = subprocess.run(
        [sys.executable, "-c", code, *specs],
        cwd=tmp_path,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.split() == [
        word for spec in specs for word in (spec, "celery.app.base.Celery")
    ], completed.stderr

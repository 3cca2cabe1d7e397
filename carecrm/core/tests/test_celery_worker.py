"""A task round-trips through a real Celery worker process: on Redis when ``REDIS_URL`` is
set (the PostgreSQL+Redis CI run), and on the embedded filesystem transport always.

The worker is a separate process, so it must see the test database: on PostgreSQL it gets
``DATABASE_URL`` pointing at pytest-django's test database; on SQLite (in memory during
tests) it gets a file copy of it. ``core.ping`` answers with the number of applied
migrations it read, which proves it reached the same database.
"""

import os
import sqlite3
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from celery import Celery
from django.conf import settings
from django.db import connection

BASE_DIR = Path(settings.BASE_DIR)
pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def migration_count() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM django_migrations")
        return cursor.fetchone()[0]


def worker_database_url(tmp_path: Path) -> str:
    """A DATABASE_URL for the worker that reaches the database this test runs against."""
    if connection.vendor == "postgresql":
        parts = urlsplit(os.environ["DATABASE_URL"])
        return urlunsplit(parts._replace(path="/" + connection.settings_dict["NAME"]))
    if connection.vendor == "sqlite":
        copy = tmp_path / "worker.sqlite3"
        connection.ensure_connection()
        target = sqlite3.connect(copy)
        connection.connection.backup(target)
        target.close()
        return f"sqlite:///{copy}"
    pytest.fail(f"no worker database for {connection.vendor}")


class Worker:
    """``celery worker`` in a subprocess, consuming only its own queue so no other worker
    on the same broker can answer for it."""

    def __init__(self, *, env: dict, queue: str) -> None:
        self.queue = queue
        self.output: list[str] = []
        self.ready = threading.Event()
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "carecrm",
                "worker",
                "--pool=solo",
                "--concurrency=1",
                "--queues",
                queue,
                "--hostname",
                f"{queue}@%h",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "--loglevel=INFO",
            ],
            cwd=BASE_DIR,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.process.stdout:
            self.output.append(line)
            if " ready." in line:
                self.ready.set()

    def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while not self.ready.wait(0.2):
            if self.process.poll() is not None or time.monotonic() > deadline:
                pytest.fail("Celery worker did not start:\n" + "".join(self.output[-40:]))

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def base_env(tmp_path: Path, database_url: str) -> dict:
    env = dict(os.environ)
    for name in ("REDIS_URL", "CELERY_TASK_ALWAYS_EAGER", "DJANGO_ENV"):
        env.pop(name, None)
    env["DATABASE_URL"] = database_url
    env["CARECRM_VAR_DIR"] = str(tmp_path / "var")
    env["DJANGO_SETTINGS_MODULE"] = "carecrm.settings"
    return env


@pytest.mark.skipif(
    not os.environ.get("REDIS_URL"),
    reason="REDIS_URL is not set: the Redis round trip runs in the PostgreSQL+Redis CI run",
)
def test_ping_round_trips_through_a_worker_on_redis(tmp_path):
    from carecrm.celery import app

    queue = f"test-{uuid.uuid4().hex[:12]}"
    env = base_env(tmp_path, worker_database_url(tmp_path))
    env["REDIS_URL"] = os.environ["REDIS_URL"]
    worker = Worker(env=env, queue=queue)
    try:
        worker.wait_ready()
        result = app.send_task("core.ping", args=["你好 redis"], queue=queue)
        answer = result.get(timeout=60)
    finally:
        worker.stop()
    assert answer == {
        "echo": "你好 redis",
        "vendor": connection.vendor,
        "migrations": migration_count(),
    }
    assert "core.ping" in "".join(worker.output)


def test_ping_round_trips_through_a_worker_on_the_filesystem_transport(tmp_path):
    queue = f"test-{uuid.uuid4().hex[:12]}"
    worker = Worker(env=base_env(tmp_path, worker_database_url(tmp_path)), queue=queue)
    broker_dir = tmp_path / "var" / "celery"  # where the worker's settings put it
    client = Celery("carecrm-test-client")
    client.conf.update(
        broker_url="filesystem://",
        broker_transport_options={
            "data_folder_in": str(broker_dir / "out"),
            "data_folder_out": str(broker_dir / "out"),
            "processed_folder": str(broker_dir / "processed"),
            "control_folder": str(broker_dir / "control"),
            "store_processed": False,
        },
        result_backend=f"file://{broker_dir / 'results'}",
        task_serializer="json",
        accept_content=["json"],
    )
    try:
        worker.wait_ready()
        answer = client.send_task("core.ping", args=["你好 files"], queue=queue).get(timeout=60)
    finally:
        worker.stop()
    assert answer == {
        "echo": "你好 files",
        "vendor": connection.vendor,
        "migrations": migration_count(),
    }

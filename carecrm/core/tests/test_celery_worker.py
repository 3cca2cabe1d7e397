"""A task round-trips through a real Celery worker process: on Redis when ``REDIS_URL`` is
set (the PostgreSQL+Redis CI run), and on the embedded filesystem transport always.

The worker is a separate process, so it must see the test database: on PostgreSQL it gets
``DATABASE_URL`` pointing at pytest-django's test database; on SQLite (in memory during
tests) it gets a file copy of it. ``core.ping`` answers with the number of applied
migrations it read, which proves it reached the same database.
"""

import os
import uuid

import pytest
from celery import Celery
from django.db import connection

from carecrm.core.testing import Worker, base_env, worker_database_url

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def migration_count() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM django_migrations")
        return cursor.fetchone()[0]


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

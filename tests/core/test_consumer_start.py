"""When a consumer (re)starts, each domain that leaves work behind a killed worker requeues it:
the delivery runs and the webhooks alike (Huey keeps startup hooks by name, so two hooks of one
name would silently keep only the last)."""

from __future__ import annotations

import gc
import os
import subprocess
import sys

from app import load_tasks
from app.queue import huey, settle_heap


def test_every_domain_requeues_its_work_when_a_consumer_starts(app):
    load_tasks()
    assert {"requeue_due", "requeue_webhooks", "settle_heap"} <= set(huey._startup)


def test_a_worker_process_freezes_its_long_lived_heap_once_its_app_is_made(tmp_path):
    """The startup hook makes the worker's app, collects, then freezes what is left (the
    modules, the app, SQLAlchemy's metadata): the garbage collector's full passes, frequent
    while a campaign is sent, no longer go through them."""
    code = f"""
import gc
import app.queue as queue
from app import create_app
queue.use_app_factory(lambda: create_app({{
    "SQLALCHEMY_URL": "sqlite:///{tmp_path / 'worker.db'}", "INSTANCE_DIR": "{tmp_path}", "SECRET_KEY": "test",
}}))
assert gc.get_freeze_count() == 0 and queue._worker_app is None
queue.settle_heap()
assert queue._worker_app is not None
print(gc.get_freeze_count())
"""
    env = {**os.environ, "INSTANCE_DIR": str(tmp_path), "HUEY_IMMEDIATE": "0"}
    env.pop("REDIS_URL", None)
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert int(done.stdout.split()[-1]) > 50_000


def test_a_process_with_an_app_context_keeps_its_heap_as_it_is(app):
    before = gc.get_freeze_count()
    settle_heap()
    assert gc.get_freeze_count() == before

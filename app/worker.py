"""The delivery workers' entry point: ``huey_consumer app.worker.huey -w N -k process``.

Importing it loads every domain's tasks (periodic ones included) and tells the queue how a
worker makes its app, so a task runs with the same configuration as the web processes."""

from __future__ import annotations

from app import create_app, load_tasks
from app.queue import huey, use_app_factory

load_tasks()
use_app_factory(create_app)

__all__ = ["huey"]

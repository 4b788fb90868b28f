"""The delivery workers' entry point: ``huey_consumer app.worker.huey -w N -k process``.

Importing it loads every domain's tasks (periodic ones included) and tells the queue how a
worker makes its app, so a task runs with the same configuration as the web processes.

Started as ``huey_consumer``, it lowers its own priority by ``WORKER_NICE`` (default 10; 0
leaves it as started), and the worker processes it forks inherit it: on a machine it shares with
web processes, a campaign's sending then takes the cycles the pages leave idle instead of making
citizens wait for their pages. A process that merely imports this module is left alone."""

from __future__ import annotations

import os
import sys

from app import create_app, load_tasks
from app.queue import huey, use_app_factory


def lower_priority() -> None:
    if not os.path.basename(sys.argv[0] if sys.argv else "").startswith("huey_consumer"):
        return
    increment = int(os.environ.get("WORKER_NICE", "10") or 0)
    if increment > 0:
        os.nice(increment)


lower_priority()
load_tasks()
use_app_factory(create_app)

__all__ = ["huey"]

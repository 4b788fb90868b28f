"""The background task queue (Huey): SQLite storage by default, Redis when REDIS_URL is set.

The consumer imports this module (``huey_consumer app.queue.huey``); tasks get an app context
through ``app_context()`` so they use the same configuration as the web process."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from flask import Flask, current_app, has_app_context
from huey import RedisHuey, SqliteHuey
from huey.api import Huey

from app.config import Config


def make_huey() -> Huey:
    redis_url = os.environ.get("REDIS_URL")
    immediate = os.environ.get("HUEY_IMMEDIATE", "").lower() in {"1", "true", "yes"}
    if redis_url:
        return RedisHuey("territory", url=redis_url, immediate=immediate)
    instance = Path(Config.INSTANCE_DIR)
    instance.mkdir(parents=True, exist_ok=True)
    return SqliteHuey("territory", filename=str(instance / "huey.db"), immediate=immediate)


huey = make_huey()
_worker_app: Flask | None = None


@contextmanager
def app_context() -> Iterator[Flask]:
    """The current app if there is one (web process, tests), else one made once per worker."""
    global _worker_app
    if has_app_context():
        yield current_app._get_current_object()  # type: ignore[attr-defined]
        return
    if _worker_app is None:
        from app import create_app

        _worker_app = create_app()
    with _worker_app.app_context():
        yield _worker_app


# The domains' tasks register themselves on ``huey`` when imported: the consumer, which only
# imports this module, must see them (periodic tasks especially).
from app.campaigns import tasks as _campaigns_tasks  # noqa: E402,F401
from app.delivery import tasks as _delivery_tasks  # noqa: E402,F401
from app.places import tasks as _places_tasks  # noqa: E402,F401
from app.privacy import retention as _privacy_retention  # noqa: E402,F401
from app.privacy import tasks as _privacy_tasks  # noqa: E402,F401

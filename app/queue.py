"""The background task queue (Huey): SQLite storage by default, Redis when REDIS_URL is set.

The domains' ``tasks`` modules register their tasks on ``huey``; the consumer starts from
``app.worker`` (``huey_consumer app.worker.huey``), which loads them all. Tasks get an app context
through ``app_context()`` so they use the same configuration as the web process."""

from __future__ import annotations

import gc
import os
import threading
from collections.abc import Callable, Iterator
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
_app_factory: list[Callable[[], Flask]] = []


def use_app_factory(factory: Callable[[], Flask]) -> None:
    """How a worker process makes its app (app.worker plugs ``create_app`` in)."""
    _app_factory[:] = [factory]


@contextmanager
def app_context() -> Iterator[Flask]:
    """The current app if there is one (web process, tests), else one made once per worker."""
    global _worker_app
    if has_app_context():
        yield current_app._get_current_object()  # type: ignore[attr-defined]
        return
    if _worker_app is None:
        if not _app_factory:
            raise RuntimeError("start workers with huey_consumer app.worker.huey")
        _worker_app = _app_factory[0]()
    with _worker_app.app_context():
        yield _worker_app


def on_consumer_start(name: str, work: Callable[[], object]) -> Callable[[], None]:
    """Run ``work`` when a consumer (re)starts — once per process, though Huey calls its startup
    hooks once per worker thread: to requeue at once what a killed worker left."""
    started = threading.Lock()
    done = False

    @huey.on_startup(name=name)  # Huey keeps its startup hooks by name: each its own
    def _once() -> None:
        nonlocal done
        with started:
            if done:
                return
            done = True
        work()

    return _once


def settle_heap() -> None:
    """Leave a worker process's long-lived objects out of the garbage collector's full passes:
    made, collected once, then frozen (``gc.freeze``). The modules, the app and SQLAlchemy's
    metadata are some 270,000 objects that live as long as the process; a drain sending a
    campaign makes enough short-lived ones (rows, messages, requests) for a full collection
    every few thousand messages, and each went through all of them again: about a tenth of a
    drain's CPU. Objects made later are collected as usual. Only in a worker process, where
    no app context is current (a test or a web process keeps its heap as it is)."""
    if has_app_context():
        return
    with app_context():  # the worker's app, made now if the first task has not made it yet
        pass
    gc.collect()
    gc.freeze()


on_consumer_start("settle_heap", settle_heap)

"""gunicorn's settings for Territory's web processes: ``gunicorn -c gunicorn_config.py 'app:create_app()'``
(`make run` and `make bench-load` start it so). Every setting can be overridden on the command
line or by the environment variables below.

- ``WEB_WORKERS`` (default: one per core): processes, each with its own Python interpreter, so
  they use all the cores; a page is mostly Python (templates, the ORM), so more processes than
  cores only queue for the same cores.
- ``WEB_THREADS`` (default 4): threads per process (``gthread``): while one request waits on
  PostgreSQL or Redis another one runs, and a connection stays open between a citizen's pages
  (keep-alive) instead of being re-opened for each. Each thread holds at most one database
  connection: the pool of app/extensions.py (5 + 10 overflow per process) covers it, and
  ``WEB_WORKERS × WEB_THREADS`` plus the delivery workers stays well under PostgreSQL's
  ``max_connections`` (100 by default).
- ``WEB_KEEPALIVE`` (default 5 s): how long an idle connection is kept.
- ``WEB_GC_THRESHOLDS`` (default ``50000,20,10``): the garbage collector's thresholds in each
  worker (``gc.set_threshold``; Python's own are ``700,10,10``), see ``post_worker_init``.

No access log: the app logs each request by its route's rule (app/access_log.py), never the raw
path, which can hold a token.
"""

from __future__ import annotations

import os

workers = int(os.environ.get("WEB_WORKERS") or os.cpu_count() or 2)
worker_class = os.environ.get("WEB_WORKER_CLASS", "gthread")
threads = int(os.environ.get("WEB_THREADS", "4"))
keepalive = int(os.environ.get("WEB_KEEPALIVE", "5"))
# A request that takes longer than this is stuck (a page is served in tens of ms): restart the worker.
timeout = int(os.environ.get("WEB_TIMEOUT", "60"))
# Connections waiting for a worker (1,000 citizens' browsers on one machine).
backlog = 2048
accesslog = None
gc_thresholds = tuple(int(n) for n in os.environ.get("WEB_GC_THRESHOLDS", "50000,20,10").split(","))


def post_worker_init(worker: object) -> None:
    """Once a worker has made the app: what its first pages would otherwise do, done before it
    takes them (``app.warm_up``: translations, dates' data, templates). Then leave its
    long-lived objects (the modules, the app, SQLAlchemy's metadata, some 300,000) out of the
    garbage collector's full passes, collected once then frozen. A full pass went through all of them every few thousand pages (~0.2 s at
    once, a request's latency); the objects the pages make are collected as usual.

    Then a young generation of 50,000 objects instead of 700. With 700, a page of a few tens of
    thousands of objects ran the young collection dozens of times, and each moved what the other
    threads' pages held at that moment to the older generations, where only a full pass frees it:
    under bench-load's 1,000 citizens, 29 full passes of 25 to 183 ms each (the whole process
    stopped) in two minutes. With 50,000: 2. What a page makes mostly dies young, by its reference
    count; the caches it fills are what grows the old generation."""
    import gc

    from flask import Flask

    application = getattr(worker, "wsgi", None)
    if isinstance(application, Flask):
        from app import warm_up

        warm_up(application)
    gc.collect()
    gc.freeze()
    gc.set_threshold(*gc_thresholds)

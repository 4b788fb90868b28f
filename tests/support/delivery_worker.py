"""A real delivery worker for tests and benchmarks: ``huey_consumer app.worker.huey`` with the
test-only settings a local push service needs (it speaks plain http on 127.0.0.1).

    python -m tests.support.delivery_worker --insecure-host 127.0.0.1:PORT [--workers 2]

Everything else comes from the environment as in production (DATABASE_URL, INSTANCE_DIR,
REDIS_URL, DELIVERY_*...). The insecure switch is set here, in the app's config, never read from
the environment by the application.
"""

from __future__ import annotations

import argparse
import logging
import os


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--insecure-host", action="append", default=[])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--worker-type", default="thread")
    args = parser.parse_args()
    os.environ["HUEY_IMMEDIATE"] = "0"

    from app import create_app, queue

    overrides = {"PUSH_ALLOW_INSECURE_HOSTS": tuple(args.insecure_host)}
    if os.environ.get("TEST_SECRET_KEY"):
        overrides["SECRET_KEY"] = os.environ["TEST_SECRET_KEY"]
    queue._worker_app = create_app(overrides)
    logging.getLogger("huey").setLevel(logging.WARNING)
    consumer = queue.huey.create_consumer(
        workers=args.workers, worker_type=args.worker_type, periodic=True, initial_delay=0.05, max_delay=0.5
    )
    consumer.run()


if __name__ == "__main__":
    main()

"""When a consumer (re)starts, each domain that leaves work behind a killed worker requeues it:
the delivery runs and the webhooks alike (Huey keeps startup hooks by name, so two hooks of one
name would silently keep only the last)."""

from __future__ import annotations

from app import load_tasks
from app.queue import huey


def test_every_domain_requeues_its_work_when_a_consumer_starts(app):
    load_tasks()
    assert {"requeue_due", "requeue_webhooks"} <= set(huey._startup)

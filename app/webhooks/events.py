"""Events the town's endpoints can subscribe to, their thin payloads (ids, public URLs, codes:
never a person's name, e-mail or any count of people) and the messages they become.

The other domains send blinker signals (app.publications.signals, app.reports.signals) before
the commit of the change; the listeners here add one ``webhook_message`` row per subscribed
endpoint to the same session, so the rows commit (or roll back) with the change itself: a
committed change always has its messages. Once that transaction commits, the sender is woken
(``use_waker``: app.webhooks.tasks plugs its Huey task in); if that wake-up is lost, the
periodic ``requeue_webhooks`` finds the due rows within a minute."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import event, select
from sqlalchemy.orm import Session

from app.actors.models import Actor
from app.delivery.links import absolute_url, territory_base_url
from app.extensions import db
from app.models_common import utcnow
from app.publications.models import Publication
from app.publications.signals import publication_published
from app.reports.models import Report, ReportCategory
from app.reports.signals import report_status_changed
from app.webhooks.models import TEST_EVENT, WebhookEndpoint, WebhookMessage
from app.webhooks.signing import new_message_id

log = logging.getLogger(__name__)
_WAKE_FLAG = "webhooks_wake"
_wakers: list[Callable[[], Any]] = []


def use_waker(waker: Callable[[], Any]) -> None:
    """What to call once messages are committed (the Huey task that sends them)."""
    _wakers[:] = [waker]


@event.listens_for(Session, "after_commit")
def _wake_after_commit(session: Session) -> None:
    if session.info.pop(_WAKE_FLAG, False):
        for waker in _wakers:
            try:
                waker()
            except Exception:  # the queue unreachable: the change is committed all the same,
                log.warning("webhook sender not woken; the periodic requeue will send", exc_info=True)


@event.listens_for(Session, "after_soft_rollback")
def _forget_after_rollback(session: Session, _previous: Any) -> None:
    session.info.pop(_WAKE_FLAG, None)


def payload_text(event_type: str, data: dict[str, Any], now: datetime) -> str:
    return json.dumps({"type": event_type, "timestamp": now.isoformat().replace("+00:00", "Z"), "data": data},
                      separators=(",", ":"), ensure_ascii=False)


def record(territory_id: int, event_type: str, data: dict[str, Any], now: datetime | None = None,
           endpoints: list[WebhookEndpoint] | None = None) -> list[WebhookMessage]:
    """One pending message per active endpoint of the territory subscribed to ``event_type``,
    added to the current transaction (not committed here)."""
    now = now or utcnow()
    if endpoints is None:
        candidates = db.session.scalars(select(WebhookEndpoint).where(
            WebhookEndpoint.territory_id == territory_id, WebhookEndpoint.active.is_(True))).all()
        endpoints = [endpoint for endpoint in candidates if event_type in endpoint.events]
    if not endpoints:
        return []
    body = payload_text(event_type, data, now)
    messages = [WebhookMessage(id=new_message_id(), endpoint_id=endpoint.id, event_type=event_type, payload=body,
                               created_at=now, status="pending", attempts=0, next_attempt_at=now)
                for endpoint in endpoints]
    db.session.add_all(messages)
    db.session.info[_WAKE_FLAG] = True
    return messages


# --- the payloads -------------------------------------------------------------------------------


def publication_data(publication: Publication) -> dict[str, Any]:
    base = territory_base_url(publication.territory_id)
    return {"id": publication.id, "url": absolute_url(base, "publications.show", publication_id=publication.id),
            "actor_id": publication.actor_id, "kind": publication.kind}


def report_data(report: Report, status: str) -> dict[str, Any]:
    base = territory_base_url(report.territory_id)
    category = db.session.get(ReportCategory, report.category_id)
    return {"id": report.id, "url": absolute_url(base, "reports.show", report_id=report.id), "status": status,
            "category": category.service_code if category is not None else None}


def poll_data(poll: Publication) -> dict[str, Any]:
    base = territory_base_url(poll.territory_id)
    return {"id": poll.id, "url": absolute_url(base, "polls.results_page", poll_id=poll.id),
            "actor_id": poll.actor_id}


def ping_data(endpoint: WebhookEndpoint) -> dict[str, Any]:
    return {"endpoint_id": endpoint.id, "url": territory_base_url(endpoint.territory_id) + "/"}


# --- the listeners ------------------------------------------------------------------------------


def _on_publication_published(publication: Publication, **_extra: Any) -> None:
    """Only what the public sees now: a verified actor's, not hidden by the town."""
    actor = publication.actor or db.session.get(Actor, publication.actor_id)
    if actor is None or actor.status != "verified" or publication.moderated_at is not None:
        return
    if publication.id is None:
        db.session.flush()
    record(publication.territory_id, "publication.published", publication_data(publication))


def _on_report_status_changed(report: Report, status: str = "", **_extra: Any) -> None:
    record(report.territory_id, "report.status_changed", report_data(report, status or report.status))


def announce_poll_closed(poll: Publication, now: datetime | None = None) -> list[WebhookMessage]:
    return record(poll.territory_id, "poll.closed", poll_data(poll), now=now)


def send_test(endpoint: WebhookEndpoint, now: datetime | None = None) -> WebhookMessage:
    """A test message to this endpoint alone (whatever its subscriptions)."""
    return record(endpoint.territory_id, TEST_EVENT, ping_data(endpoint), now=now, endpoints=[endpoint])[0]


def listen_to_domains() -> None:
    """Connected once at start-up (create_app); connecting again changes nothing."""
    publication_published.connect(_on_publication_published)
    report_status_changed.connect(_on_report_status_changed)

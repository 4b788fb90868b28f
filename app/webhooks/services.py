"""The town's endpoints: register one (its address checked at once), change its events, rotate
its secret, re-enable it; announce the polls that closed; read its delivery log."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import func, select

from app import outbound
from app.extensions import db
from app.models_common import utcnow
from app.publications.models import Publication
from app.territories.models import Territory
from app.webhooks.events import announce_poll_closed, send_test
from app.webhooks.models import EVENT_TYPES, WebhookEndpoint, WebhookMessage, WebhookPollClosed
from app.webhooks.sender import ROTATION_OVERLAP
from app.webhooks.signing import new_secret

LOG_PAGE_SIZE = 25
POLLS_LOOKBACK = timedelta(days=7)  # polls that closed longer ago are not announced any more


class EndpointRefused(Exception):
    """The address may not be used: ``str()`` is outbound's reason (translated by the caller)."""


def check_url(url: str, resolver: outbound.Resolver | None = None) -> None:
    try:
        outbound.check(url, allowed_private=current_app.config.get("OUTBOUND_ALLOWED_PRIVATE", ()),
                       resolver=resolver)
    except (outbound.OutboundRefused, outbound.OutboundFailed) as error:
        raise EndpointRefused(str(error)) from error


def endpoints(territory: Territory) -> list[WebhookEndpoint]:
    return list(db.session.scalars(select(WebhookEndpoint).where(WebhookEndpoint.territory_id == territory.id)
                                   .order_by(WebhookEndpoint.id)))


def create_endpoint(territory: Territory, url: str, description: str, events: list[str],
                    resolver: outbound.Resolver | None = None) -> WebhookEndpoint:
    url = url.strip()
    check_url(url, resolver)
    endpoint = WebhookEndpoint(territory_id=territory.id, url=url, description=description.strip()[:200],
                               event_types=" ".join(e for e in EVENT_TYPES if e in events), secret=new_secret(),
                               active=True, created_at=utcnow())
    db.session.add(endpoint)
    db.session.commit()
    return endpoint


def update_endpoint(endpoint: WebhookEndpoint, description: str, events: list[str]) -> None:
    endpoint.description = description.strip()[:200]
    endpoint.event_types = " ".join(e for e in EVENT_TYPES if e in events)
    db.session.commit()


def rotate_secret(endpoint: WebhookEndpoint, now: datetime | None = None) -> str:
    """A new secret; the old one keeps signing too for 24 hours, while the receiver switches."""
    now = now or utcnow()
    endpoint.previous_secret = endpoint.secret
    endpoint.previous_secret_until = now + ROTATION_OVERLAP
    endpoint.secret = new_secret()
    db.session.commit()
    return endpoint.secret


def enable(endpoint: WebhookEndpoint, resolver: outbound.Resolver | None = None) -> None:
    """Back in service (its address checked again); messages that stopped stay stopped."""
    check_url(endpoint.url, resolver)
    endpoint.active = True
    endpoint.disabled_reason = ""
    db.session.commit()


def delete_endpoint(endpoint: WebhookEndpoint) -> None:
    db.session.delete(endpoint)
    db.session.commit()


@dataclass
class LogPage:
    messages: list[WebhookMessage]
    page: int
    pages: int
    total: int


def delivery_log(endpoint: WebhookEndpoint, page: int = 1) -> LogPage:
    total = db.session.scalar(select(func.count()).select_from(WebhookMessage)
                              .where(WebhookMessage.endpoint_id == endpoint.id)) or 0
    pages = max(1, -(-total // LOG_PAGE_SIZE))
    page = min(max(1, page), pages)
    messages = list(db.session.scalars(
        select(WebhookMessage).where(WebhookMessage.endpoint_id == endpoint.id)
        .order_by(WebhookMessage.created_at.desc(), WebhookMessage.id.desc())
        .offset((page - 1) * LOG_PAGE_SIZE).limit(LOG_PAGE_SIZE)))
    return LogPage(messages, page, pages, total)


def announce_closed_polls(now: datetime | None = None) -> int:
    """The polls whose answers closed since the last look (and within the last week), each
    announced once: its row in ``webhook_poll_closed`` commits with its messages."""
    now = now or utcnow()
    already = select(WebhookPollClosed.publication_id)
    polls = db.session.scalars(select(Publication).where(
        Publication.kind == "poll", Publication.status == "published", Publication.moderated_at.is_(None),
        Publication.valid_until.is_not(None), Publication.valid_until <= now,
        Publication.valid_until > now - POLLS_LOOKBACK, Publication.id.not_in(already),
    ).order_by(Publication.id)).all()
    for poll in polls:
        db.session.add(WebhookPollClosed(publication_id=poll.id, sent_at=now))
        if poll.actor is not None and poll.actor.status == "verified":
            announce_poll_closed(poll, now)
    db.session.commit()
    return len(polls)


def send_test_event(endpoint: WebhookEndpoint) -> None:
    send_test(endpoint)
    db.session.commit()

"""Sending webhook messages: claim the due ones with a lease, POST each through the safe
outbound client (app.outbound), record the outcome.

A claim is one short committed transaction, as the delivery engine's (app.delivery.drain):
``UPDATE webhook_message SET lease_until=now+lease, attempts=attempts+1 WHERE id IN (SELECT …
[FOR UPDATE SKIP LOCKED]) RETURNING id``, over pending messages that are due and not leased (or
whose lease expired: a worker killed mid-send). So two senders never send one message at once,
and a message a dead worker held is sent again, with the same ``webhook-id``, once its lease ends.

Outcomes (the Standard Webhooks retry schedule, ``RETRY_SCHEDULE_S``, about three days):
- 2xx: delivered;
- 410 Gone: the endpoint is disabled (its reason shown to the town) and its pending messages
  stop (status "gone");
- any other answer (429, 5xx, other 4xx: a receiver misconfigured for a while, e.g. during a
  secret rotation) or no answer: tried again later, honouring Retry-After, until the schedule
  ends, then "failed";
- an address now refused (its name resolves to a private address): failed at once and the
  endpoint disabled, nothing is sent.
"""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime

from flask import current_app
from sqlalchemy import and_, delete, or_, select, update

from app import outbound
from app.extensions import db
from app.models_common import utcnow
from app.webhooks.models import WebhookEndpoint, WebhookMessage
from app.webhooks.signing import headers

log = logging.getLogger(__name__)

M = WebhookMessage.__table__
# Seconds to wait before each attempt after the first (immediately): 5 s, 5 min, 30 min, 2 h,
# 5 h, then 10 h six times: twelve attempts over about three days (2.8).
RETRY_SCHEDULE_S = (5, 300, 1800, 7200, 18000, 36000, 36000, 36000, 36000, 36000, 36000)
MAX_ATTEMPTS = len(RETRY_SCHEDULE_S) + 1
MAX_RETRY_AFTER_S = 36000
ROTATION_OVERLAP = timedelta(hours=24)


def _setting(name: str, default: float) -> float:
    return float(current_app.config.get(name, default))


def claim_due(now: datetime, size: int = 50, lease_seconds: float | None = None) -> list[str]:
    """Claim up to ``size`` due messages in a short transaction, committed on return."""
    session = db.session
    session.commit()
    lease = lease_seconds if lease_seconds is not None else _setting("WEBHOOK_LEASE_SECONDS", 60)
    pick = (select(M.c.id)
            .where(M.c.status == "pending", M.c.next_attempt_at <= now,
                   or_(M.c.lease_until.is_(None), M.c.lease_until < now))
            .order_by(M.c.next_attempt_at, M.c.id).limit(size))
    if session.get_bind().dialect.name == "postgresql":
        pick = pick.with_for_update(skip_locked=True)
    statement = (update(M).where(M.c.id.in_(pick.scalar_subquery()))
                 .values(lease_until=now + timedelta(seconds=lease), attempts=M.c.attempts + 1)
                 .returning(M.c.id))
    claimed = list(session.execute(statement).scalars())
    session.commit()
    return claimed


def signing_secrets(endpoint: WebhookEndpoint, now: datetime) -> list[str]:
    """The secret, and the previous one while a rotation's 24 hours last."""
    in_use = [endpoint.secret]
    if endpoint.previous_secret and endpoint.previous_secret_until and endpoint.previous_secret_until > now:
        in_use.append(endpoint.previous_secret)
    return in_use


@dataclass
class Attempt:
    status_code: int | None
    error: str
    retry_after_s: float | None = None
    refused: bool = False


def _retry_after(value: str, now: datetime) -> float | None:
    value = value.strip()
    if not value:
        return None
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - now).total_seconds()) if when.tzinfo else None


@dataclass(frozen=True)
class Request:
    """One attempt to make, ready to go (no database, no app context needed to send it)."""

    url: str
    message_id: str
    body: bytes
    secrets: tuple[str, ...]
    allowed_private: tuple[str, ...]
    timeout: float


def prepare(endpoint: WebhookEndpoint, message: WebhookMessage, now: datetime) -> Request:
    return Request(endpoint.url, message.id, message.payload.encode(), tuple(signing_secrets(endpoint, now)),
                   tuple(current_app.config.get("OUTBOUND_ALLOWED_PRIVATE", ())),
                   _setting("WEBHOOK_TIMEOUT_SECONDS", 15))


def post(request: Request, now: datetime) -> Attempt:
    try:
        response = outbound.request(
            "POST", request.url, headers=headers(list(request.secrets), request.message_id, now, request.body),
            body=request.body, allowed_private=request.allowed_private, timeout=request.timeout,
            max_bytes=64 * 1024, follow_redirects=False,
        )
    except outbound.OutboundRefused as refused:
        return Attempt(None, str(refused), refused=True)
    except outbound.OutboundFailed as failed:
        return Attempt(None, str(failed))
    return Attempt(response.status, "" if 200 <= response.status < 300 else f"HTTP {response.status}",
                   _retry_after(response.header("retry-after"), now))


def record_outcome(message: WebhookMessage, endpoint: WebhookEndpoint, attempt: Attempt, now: datetime,
                   commit: bool = True) -> None:
    """Write what one attempt gave (guarded by the lease this sender holds)."""
    message.last_status_code = attempt.status_code
    message.last_error = attempt.error[:300]
    message.lease_until = None
    code = attempt.status_code
    if code is not None and 200 <= code < 300:
        message.status = "delivered"
        message.delivered_at = now
    elif code == 410 or attempt.refused:
        message.status = "gone" if code == 410 else "failed"
        # Stored as a code the pages translate: "gone", or "refused:" and outbound's reason.
        disable(endpoint, "gone" if code == 410 else f"refused:{attempt.error}", now)
    elif message.attempts >= MAX_ATTEMPTS:
        message.status = "failed"
    else:
        wait = float(RETRY_SCHEDULE_S[message.attempts - 1])
        if attempt.retry_after_s is not None:
            wait = max(wait, min(attempt.retry_after_s, MAX_RETRY_AFTER_S))
        message.next_attempt_at = now + timedelta(seconds=wait)
    if commit:
        db.session.commit()


def disable(endpoint: WebhookEndpoint, reason: str, now: datetime) -> None:
    """The endpoint stops: no new message, and those waiting end as "gone"."""
    endpoint.active = False
    endpoint.disabled_reason = reason[:300]
    db.session.execute(update(M).where(M.c.endpoint_id == endpoint.id, M.c.status == "pending",
                                       or_(M.c.lease_until.is_(None), M.c.lease_until < now))
                       .values(status="gone", last_error="endpoint disabled"))
    log.info("webhook endpoint disabled", extra={"endpoint_id": endpoint.id})


def send_claimed(ids: list[str], now: datetime | None = None) -> int:
    """Send the messages claimed, several at once (a slow endpoint holds up only its own
    requests), then record the outcomes; returns how many were delivered."""
    if not ids:
        return 0
    # The claim wrote with Core: the session's copies (never expired on commit) are stale.
    messages = db.session.scalars(select(WebhookMessage).where(WebhookMessage.id.in_(ids))
                                  .order_by(WebhookMessage.created_at, WebhookMessage.id)
                                  .execution_options(populate_existing=True)).all()
    endpoint_ids = {message.endpoint_id for message in messages}
    endpoints = {endpoint.id: endpoint for endpoint in db.session.scalars(
        select(WebhookEndpoint).where(WebhookEndpoint.id.in_(endpoint_ids))
        .execution_options(populate_existing=True))}
    at = now or utcnow()
    todo: list[tuple[WebhookMessage, WebhookEndpoint, Request]] = []
    for message in messages:
        endpoint = endpoints.get(message.endpoint_id)
        if message.status != "pending":
            continue
        if endpoint is None or not endpoint.active:
            message.status = "gone"
            message.lease_until = None
            continue
        todo.append((message, endpoint, prepare(endpoint, message, at)))
    db.session.commit()
    if not todo:
        return 0
    workers = max(1, min(int(_setting("WEBHOOK_CONCURRENCY", 8)), len(todo)))
    with ThreadPoolExecutor(max_workers=workers) as pool:
        attempts = list(pool.map(lambda item: post(item[2], at), todo))
    delivered = 0
    for (message, endpoint, _request), attempt in zip(todo, attempts, strict=True):
        if not endpoint.active:  # a 410 earlier in this batch
            message.status, message.lease_until = "gone", None
            continue
        record_outcome(message, endpoint, attempt, now or utcnow(), commit=False)
        delivered += message.status == "delivered"
    db.session.commit()
    return delivered


def send_due(now: datetime | None = None, batch: int = 50, max_batches: int = 100) -> int:
    """Claim and send due messages until none is left (or ``max_batches``); how many were sent."""
    sent = 0
    for _ in range(max_batches):
        ids = claim_due(now or utcnow(), batch)
        if not ids:
            break
        sent += send_claimed(ids, now)
    return sent


def has_due(now: datetime | None = None) -> bool:
    now = now or utcnow()
    return db.session.scalar(select(M.c.id).where(
        M.c.status == "pending", M.c.next_attempt_at <= now,
        or_(M.c.lease_until.is_(None), M.c.lease_until < now)).limit(1)) is not None


def prune(now: datetime | None = None) -> int:
    """Forget messages older than WEBHOOK_LOG_DAYS (30) that are no longer waiting."""
    cutoff = (now or utcnow()) - timedelta(days=_setting("WEBHOOK_LOG_DAYS", 30))
    result = db.session.execute(delete(M).where(and_(M.c.created_at < cutoff, M.c.status != "pending")))
    db.session.commit()
    return int(result.rowcount or 0)

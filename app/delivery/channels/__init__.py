"""Delivery channels behind one small interface.

A channel takes a batch of claimed deliveries (``Item``: what to send, to whom) and returns one
``Outcome`` per item, in the same order: ``sent``, ``retry`` (after some seconds, or the back-off),
``failed`` (with a reason: a status code or an error class, never personal data) or ``gone`` (the
address no longer exists: a push subscription answered 404/410).
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

SENT = "sent"
RETRY = "retry"
FAILED = "failed"
GONE = "gone"


@dataclass(frozen=True, slots=True)
class Outcome:
    kind: str  # sent | retry | failed | gone
    after: float | None = None  # retry: seconds to wait (Retry-After), None: the back-off
    error: str | None = None  # a status code or an error class


def sent() -> Outcome:
    return _SENT  # immutable: one for every message sent (a fan-out makes thousands a second)


_SENT = Outcome(SENT)


def retry(after: float | None = None, error: str | None = None) -> Outcome:
    return Outcome(RETRY, after=after, error=error)


def failed(error: str) -> Outcome:
    return Outcome(FAILED, error=error)


def gone(error: str) -> Outcome:
    return Outcome(GONE, error=error)


@dataclass(slots=True)
class Message:
    """What a campaign says, the same for every recipient of a run (URLs are absolute)."""

    campaign_id: int
    run_id: int
    actor_id: int
    actor_name: str
    title: str
    body: str
    link: str  # the campaign's destination (publication or actor page)
    is_alert: bool
    territory_id: int
    territory_name: str
    base_url: str  # scheme://host of the territory
    icon_url: str
    badge_url: str
    inbox_kind: str = "message"  # InboxItem.kind: "report" for a street report's update


@dataclass(slots=True)
class Item:
    """One claimed delivery with what its channel needs."""

    delivery_id: int
    user_id: int
    channel: str
    attempts: int
    message: Message
    language: str
    email: str | None = None
    phone: str | None = None
    subscriptions: list[dict[str, Any]] = field(default_factory=list)  # push: id, endpoint, keys

    @property
    def idempotency_key(self) -> str:
        return f"d{self.delivery_id}"


class Channel(Protocol):
    name: str

    def send_batch(self, items: Sequence[Item]) -> list[Outcome]: ...


BACKOFF_BASE = 30.0  # seconds; doubled at each attempt, with jitter
BACKOFF_MAX = 3600.0
MAX_ATTEMPTS = 8  # after this many tries a retryable error becomes a failure


def backoff(attempts: int, base: float = BACKOFF_BASE, cap: float = BACKOFF_MAX) -> float:
    """Exponential back-off with full jitter: a random wait in [base*2^(n-1)/2, base*2^(n-1)]."""
    ceiling = min(cap, base * (2 ** max(0, attempts - 1)))
    return ceiling / 2 + random.random() * ceiling / 2

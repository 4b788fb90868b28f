"""Feed subscriptions: adding one (its address checked as the fetch will check it), fetching it
(app.outbound: public addresses only, ports 80/443, time and size limits, each redirect checked
again), what a failure says to the actor, and the back-off of a feed that keeps failing."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select

from app import geo, outbound
from app.actors.models import Actor
from app.extensions import db
from app.imports.imports import ImportCounts, import_entries
from app.imports.models import FeedItem, FeedSubscription
from app.imports.parsers import FeedFormatError, detect_kind, parse
from app.models_common import utcnow
from app.publications import services as publications
from app.publications.models import Publication
from app.territories.models import Territory
from app.territories.scoping import belongs
from app.timezones import zone

log = logging.getLogger(__name__)

# What the person may choose: "rss" reads RSS and Atom alike (the document tells which).
REQUESTED_KINDS = ("auto", "ical", "openagenda", "rss")
KIND_LABELS = {
    "auto": _l("Find out from the feed"),
    "ical": _l("iCalendar (.ics)"),
    "openagenda": _l("OpenAgenda (JSON export)"),
    "rss": _l("RSS or Atom news"),
    "atom": _l("Atom news"),
}
FIRST_RETRY = timedelta(minutes=15)
LONGEST_WAIT = timedelta(hours=24)
ACCEPT = "text/calendar, application/rss+xml, application/atom+xml, application/json;q=0.9, */*;q=0.5"


class SubscriptionRefused(Exception):
    """The address cannot be subscribed to; ``message`` says why, in the person's language."""

    def __init__(self, message: Any) -> None:
        super().__init__(str(message))
        self.message = message


# --- what went wrong, for the actor -------------------------------------------------------------

_OUTBOUND_REASONS = (
    ("only http and https", _l("Only http and https addresses can be used.")),
    ("has no host name", _l("The address has no host name.")),
    ("user name or password", _l("The address may not hold a user name or password.")),
    ("port is not a number", _l("The port in the address is not a number.")),
    ("ports 80 and 443", _l("Only the ports 80 and 443 can be used.")),
    ("private or internal", _l("This address leads to a private or internal network: it cannot be used.")),
    ("could not be resolved", _l("No server has this name.")),
    ("has no address", _l("No server has this name.")),
    ("no answer in time", _l("The server did not answer in time.")),
    ("larger than", _l("The feed is too large to be imported.")),
    ("secure connection", _l("The secure connection to the server failed.")),
    ("redirection", _l("The server sent too many redirections, or one without an address.")),
    ("could not be reached", _l("The server could not be reached.")),
)
_FORMAT_ERRORS = {
    "not_a_feed": _l("This address does not give an iCalendar, OpenAgenda, RSS or Atom feed."),
    "invalid": _l("The feed could not be read: it is not valid."),
    "wrong_kind": _l("This address gives another kind of feed than the one chosen."),
}


def outbound_message(reason: str) -> Any:
    """One of app.outbound's reasons (English, for operators) in the person's language."""
    for fragment, message in _OUTBOUND_REASONS:
        if fragment in reason:
            return message
    return _l("The server could not be reached.")


def error_message(subscription: FeedSubscription) -> Any:
    """The last error of a feed in the reader's language (empty when the last fetch went well)."""
    code, detail = subscription.last_error_code, subscription.last_error_detail
    if not code:
        return ""
    if code in ("refused", "unreachable"):
        return outbound_message(detail)
    if code == "http_status":
        return _l("The server answered with the error %(status)s.", status=detail)
    return _FORMAT_ERRORS.get(code, _FORMAT_ERRORS["invalid"])


# --- subscriptions ------------------------------------------------------------------------------

def _allowed_private() -> tuple[str, ...]:
    return tuple(current_app.config.get("OUTBOUND_ALLOWED_PRIVATE") or ())


def check_address(url: str) -> str:
    """The address, trimmed, if the fetch may contact it; SubscriptionRefused (translated) else."""
    url = (url or "").strip()
    try:
        outbound.check(url, allowed_private=_allowed_private())
    except (outbound.OutboundRefused, outbound.OutboundFailed) as error:
        raise SubscriptionRefused(outbound_message(str(error))) from error
    return url


def subscribe(actor: Actor, url: str, kind: str = "auto", hashtags: str = "",
              created_by_id: int | None = None) -> FeedSubscription:
    """A new subscription of ``actor`` (due at once). Commits."""
    if kind not in REQUESTED_KINDS:
        raise ValueError(f"unknown feed kind {kind!r}")
    subscription = FeedSubscription(
        territory_id=actor.territory_id, actor_id=actor.id, kind=kind, url=check_address(url)[:1000],
        hashtags=" ".join(publications.split_hashtags(hashtags))[:300], created_by_id=created_by_id,
        next_fetch_at=utcnow(), active=True,
    )
    subscription.actor = actor
    db.session.add(subscription)
    db.session.commit()
    return subscription


def subscriptions_of(actor: Actor) -> list[FeedSubscription]:
    return list(db.session.scalars(
        select(FeedSubscription)
        .where(belongs(FeedSubscription, actor), FeedSubscription.actor_id == actor.id)
        .order_by(FeedSubscription.created_at, FeedSubscription.id)
    ))


def territory_subscriptions(territory: Territory) -> list[FeedSubscription]:
    return list(db.session.scalars(
        select(FeedSubscription).join(Actor, Actor.id == FeedSubscription.actor_id)
        .where(belongs(FeedSubscription, territory))
        .order_by(Actor.name, FeedSubscription.id)
    ).unique())


def set_active(subscription: FeedSubscription, active: bool) -> None:
    """Pause, or resume (due at once). Commits."""
    subscription.active = active
    if active:
        subscription.next_fetch_at = utcnow()
        subscription.consecutive_failures = 0
    db.session.commit()


def imported_count(subscription: FeedSubscription) -> int:
    return db.session.scalar(select(func.count()).select_from(FeedItem).where(
        FeedItem.subscription_id == subscription.id, FeedItem.withdrawn.is_(False))) or 0


def delete_subscription(subscription: FeedSubscription, withdraw: bool) -> int:
    """Stop importing; with ``withdraw``, archive what it imported (else it stays, as the
    actor's own publications). Returns how many were withdrawn. Commits."""
    withdrawn = 0
    if withdraw:
        ids = select(FeedItem.publication_id).where(FeedItem.subscription_id == subscription.id)
        for publication in db.session.scalars(
                select(Publication).where(Publication.id.in_(ids), Publication.status != "archived")):
            publications.set_status(publication, "archived", commit=False)
            withdrawn += 1
    db.session.delete(subscription)
    db.session.commit()
    return withdrawn


# --- fetching -----------------------------------------------------------------------------------

def fetch(subscription: FeedSubscription, now: datetime | None = None) -> ImportCounts | None:
    """Fetch the feed and import it; None when nothing was imported (not modified, or failed,
    which the subscription then shows). Commits."""
    now = now or utcnow()
    subscription.last_fetched_at = now
    headers = {"Accept": ACCEPT}
    if subscription.etag:
        headers["If-None-Match"] = subscription.etag
    if subscription.last_modified:
        headers["If-Modified-Since"] = subscription.last_modified
    config = current_app.config
    try:
        response = outbound.request(
            "GET", subscription.url, headers=headers, allowed_private=_allowed_private(),
            timeout=float(config.get("FEEDS_TIMEOUT_S", 20)),
            max_bytes=int(config.get("FEEDS_MAX_BYTES", 10 * 1024 * 1024)),
        )
    except outbound.OutboundRefused as error:
        return _failed(subscription, "refused", str(error), now)
    except outbound.OutboundFailed as error:
        return _failed(subscription, "unreachable", str(error), now)
    if response.status == 304:
        _succeeded(subscription, now)
        return None
    if response.status != 200:
        return _failed(subscription, "http_status", str(response.status), now)
    territory = db.session.get(Territory, subscription.territory_id)
    assert territory is not None
    try:
        kind = detect_kind(response.body)
        if not _kind_fits(subscription.kind, kind):
            raise FeedFormatError("wrong_kind", kind)
        area = geo.as_geometry(territory.boundary_geojson) if territory.boundary_geojson else None
        entries = parse(kind, response.body, zone(territory.timezone), territory.default_language, area)
    except FeedFormatError as error:
        return _failed(subscription, error.code, error.detail, now)
    counts = import_entries(subscription, entries, now)
    subscription.kind = kind
    subscription.etag = response.header("etag")[:255]
    subscription.last_modified = response.header("last-modified")[:64]
    subscription.last_created, subscription.last_updated = counts.created, counts.updated
    subscription.last_withdrawn = counts.withdrawn
    _succeeded(subscription, now)
    return counts


def _kind_fits(requested: str, found: str) -> bool:
    if requested == "auto":
        return True
    if requested in ("rss", "atom"):
        return found in ("rss", "atom")
    return requested == found


def _succeeded(subscription: FeedSubscription, now: datetime) -> None:
    subscription.last_success_at = now
    subscription.last_error_code = subscription.last_error_detail = ""
    subscription.consecutive_failures = 0
    minutes = int(current_app.config.get("FEEDS_POLL_MINUTES", 60))
    subscription.next_fetch_at = now + timedelta(minutes=minutes)
    db.session.commit()


def _failed(subscription: FeedSubscription, code: str, detail: str, now: datetime) -> None:
    """Keep what went wrong; wait 15 minutes, then twice as long after each new failure, a day at
    most (a feed down for a week is asked once a day, not every few minutes)."""
    db.session.rollback()  # nothing half-imported
    subscription.last_fetched_at = now
    subscription.last_error_code = code[:40]
    subscription.last_error_detail = detail[:300]
    subscription.consecutive_failures = (subscription.consecutive_failures or 0) + 1
    wait = min(FIRST_RETRY * 2 ** (subscription.consecutive_failures - 1), LONGEST_WAIT)
    subscription.next_fetch_at = now + wait
    db.session.commit()
    log.info("feed %s failed: %s %s", subscription.id, code, detail)
    return None


def due_subscriptions(now: datetime | None = None, limit: int = 100) -> list[int]:
    now = now or utcnow()
    return list(db.session.scalars(
        select(FeedSubscription.id)
        .where(FeedSubscription.active.is_(True),
               or_(FeedSubscription.next_fetch_at.is_(None), FeedSubscription.next_fetch_at <= now))
        .order_by(FeedSubscription.next_fetch_at)
        .limit(limit)
    ))


def fetch_by_id(subscription_id: int) -> ImportCounts | None:
    subscription = db.session.get(FeedSubscription, subscription_id)
    if subscription is None:
        return None
    return fetch(subscription)


def poll_due(now: datetime | None = None) -> int:
    """Fetch every subscription that is due; one feed's trouble does not stop the others."""
    done = 0
    for subscription_id in due_subscriptions(now):
        try:
            fetch_by_id(subscription_id)
        except Exception:  # a bug on one feed's content must not stop the poller
            db.session.rollback()
            log.exception("feed %s could not be imported", subscription_id)
            subscription = db.session.get(FeedSubscription, subscription_id)
            if subscription is not None:
                _failed(subscription, "invalid", "", utcnow())
        done += 1
    return done

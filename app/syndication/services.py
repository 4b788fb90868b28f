"""What the open agenda and news feeds hold, and the personal calendar link.

Every feed holds only what the public may see in the territory (``visible_criteria``: published,
not hidden by the town, by a verified actor). A built public calendar is kept per process, keyed
by the feed data's generation (app.changes) and the minute (a publication scheduled for later
appears on time): an unchanged agenda is served from memory, and its ETag answers a 304."""

from __future__ import annotations

import hashlib
import secrets
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, exists, or_, select
from sqlalchemy.orm import selectinload

from app import changes
from app.accounts.models import User, UserHashtag
from app.actors.models import Actor, Follow
from app.extensions import db
from app.models_common import utcnow
from app.publications.models import Publication, PublicationHashtag
from app.publications.services import ical_uid, visible_criteria
from app.syndication.models import CalendarFeedToken
from app.territories.models import Hashtag, Territory

# Events that ended longer ago than this leave the calendars (recurring series always stay).
PAST_KEPT = timedelta(days=180)
NEWS_ENTRIES = 50
NEWS_KINDS = ("news", "event", "offer")


@dataclass(frozen=True)
class Scope:
    """Whose agenda or news: the whole territory, one actor, one hashtag, or a person's
    follows and hashtags."""

    territory: Territory
    actor: Actor | None = None
    hashtag: Hashtag | None = None
    person: User | None = None

    @property
    def key(self) -> str:
        if self.actor is not None:
            return f"actor:{self.actor.id}"
        if self.hashtag is not None:
            return f"hashtag:{self.hashtag.id}"
        if self.person is not None:
            return f"person:{self.person.id}"
        return "territory"


def _scoped(query: Any, scope: Scope) -> Any:
    if scope.actor is not None:
        return query.where(Publication.actor_id == scope.actor.id)
    if scope.hashtag is not None:
        return query.where(exists().where(
            PublicationHashtag.publication_id == Publication.id,
            PublicationHashtag.hashtag_id == scope.hashtag.id,
        ))
    if scope.person is not None:
        followed = select(Follow.actor_id).where(Follow.user_id == scope.person.id)
        tagged = select(PublicationHashtag.publication_id).join(
            UserHashtag, UserHashtag.hashtag_id == PublicationHashtag.hashtag_id
        ).where(UserHashtag.user_id == scope.person.id)
        return query.where(or_(Publication.actor_id.in_(followed), Publication.id.in_(tagged)))
    return query


def _visible(territory: Territory, now: datetime) -> Any:
    return select(Publication).join(Actor, Actor.id == Publication.actor_id).where(
        *visible_criteria(territory.id, now)
    )


def calendar_events(scope: Scope, now: datetime | None = None) -> tuple[list[Publication], list[Publication]]:
    """The events of the scope's calendar: the series and single events, and the dates of a
    series changed on their own (shown under the series' UID)."""
    now = now or utcnow()
    query = _scoped(_visible(scope.territory, now), scope).where(
        Publication.kind == "event",
        Publication.starts_at.is_not(None),
        or_(Publication.rrule != "", Publication.starts_at >= now - PAST_KEPT),
    ).options(selectinload(Publication.hashtags)).order_by(Publication.starts_at, Publication.id)
    found = list(db.session.scalars(query).unique())
    events = [p for p in found if p.recurrence_parent_id is None or p.recurrence_id is None]
    series_ids = {p.id for p in events if p.rrule}
    changed = [p for p in found if p.recurrence_parent_id in series_ids and p.recurrence_id is not None]
    # A changed date whose series is not in this calendar stands as an event of its own.
    events += [p for p in found if p.recurrence_id is not None and p.recurrence_parent_id not in series_ids]
    return events, changed


def news(scope: Scope, now: datetime | None = None) -> list[Publication]:
    """The scope's newest publications (news, events, offers), newest first."""
    now = now or utcnow()
    query = _scoped(_visible(scope.territory, now), scope).where(Publication.kind.in_(NEWS_KINDS))
    query = query.options(selectinload(Publication.hashtags)).order_by(
        Publication.published_at.desc(), Publication.id.desc()
    ).limit(NEWS_ENTRIES)
    return list(db.session.scalars(query).unique())


def uid_of(publication: Publication) -> str:
    return ical_uid(publication)


# --- the built feeds, kept per process --------------------------------------------------------


@dataclass(frozen=True)
class Built:
    body: bytes
    etag: str
    last_modified: datetime


_built: OrderedDict[tuple[Any, ...], Built] = OrderedDict()
_built_lock = threading.Lock()
_BUILT_KEPT = 64


def built(key: tuple[Any, ...], build: Callable[[], tuple[bytes, datetime]], *, cached: bool = True) -> Built:
    """The feed ``build`` makes (its bytes and its last change), from memory while the feed data
    are unchanged (``changes.version("feed")``, read before the database) and the minute is the
    same."""
    full_key = (*key, changes.version("feed", db.engine), utcnow().replace(second=0, microsecond=0))
    if cached:
        with _built_lock:
            found = _built.get(full_key)
            if found is not None:
                _built.move_to_end(full_key)
                return found
    body, last_modified = build()
    result = Built(body, '"' + hashlib.sha256(body).hexdigest()[:32] + '"', last_modified)
    if cached:
        with _built_lock:
            _built[full_key] = result
            while len(_built) > _BUILT_KEPT:
                _built.popitem(last=False)
    return result


def last_change(publications: list[Publication], fallback: datetime) -> datetime:
    return max((p.updated_at or p.created_at for p in publications), default=fallback)


# --- the personal calendar link ---------------------------------------------------------------


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def has_calendar_link(user: User) -> bool:
    return db.session.scalar(select(CalendarFeedToken.id).where(CalendarFeedToken.user_id == user.id)) is not None


def new_calendar_link(user: User) -> str:
    """A new secret for ``user``'s calendar (the old link stops working). Commits. The secret is
    returned once, to be shown; only its hash is kept."""
    token = secrets.token_urlsafe(32)
    db.session.execute(delete(CalendarFeedToken).where(CalendarFeedToken.user_id == user.id))
    db.session.add(CalendarFeedToken(user_id=user.id, territory_id=user.territory_id, token_hash=_hash(token)))
    db.session.commit()
    return token


def turn_off_calendar_link(user: User) -> None:
    db.session.execute(delete(CalendarFeedToken).where(CalendarFeedToken.user_id == user.id))
    db.session.commit()


def person_of_calendar_link(token: str, territory: Territory) -> User | None:
    """The person whose live link this is, in this territory; None for a revoked or unknown one."""
    if not token or len(token) > 128:
        return None
    row = db.session.scalar(select(CalendarFeedToken).where(
        CalendarFeedToken.token_hash == _hash(token), CalendarFeedToken.territory_id == territory.id,
    ))
    if row is None:
        return None
    user = db.session.get(User, row.user_id)
    return user if user is not None and user.territory_id == territory.id else None

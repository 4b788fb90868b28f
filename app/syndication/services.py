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
from app.publications.services import uid_host, visible_criteria
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


@dataclass(frozen=True)
class CalendarEvent:
    """What a VEVENT shows of an event (hashable: the key of its serialised form)."""

    id: int
    territory_id: int
    title: str
    summary: str
    body_md: str
    place_name: str
    lat: float | None
    lon: float | None
    starts_at: datetime
    ends_at: datetime | None
    created_at: datetime
    updated_at: datetime
    sequence: int
    cancelled_at: datetime | None
    rrule: str
    exdates_json: str
    recurrence_parent_id: int | None
    recurrence_id: datetime | None
    ical_uid: str
    tags: tuple[str, ...]


_EVENT_COLUMNS = tuple(
    getattr(Publication, name) for name in CalendarEvent.__dataclass_fields__ if name != "tags"
)


# The records of events, kept per process by (id, last change, hashtags): a calendar of thousands
# of events reads only their ids and last changes, then the rows it has not seen yet (turning
# thousands of rows into Python objects costs more than building the calendar from its cache).
# Every change to an event goes through the ORM, which moves its ``updated_at``.
_records: dict[tuple[Any, ...], CalendarEvent] = {}
_RECORDS_KEPT = 100_000
_RECORD_CHUNK = 1_000


def calendar_events(scope: Scope, now: datetime | None = None) -> tuple[list[CalendarEvent], list[CalendarEvent]]:
    """The events of the scope's calendar in order: the series and single events, and the
    dates of a series changed on their own (shown under the series' UID)."""
    now = now or utcnow()
    query = _scoped(_visible(scope.territory, now), scope).where(
        Publication.kind == "event",
        Publication.starts_at.is_not(None),
        or_(Publication.rrule != "", Publication.starts_at >= now - PAST_KEPT),
    )
    ids = query.with_only_columns(Publication.id)
    tags: dict[int, list[str]] = {}
    for publication_id, tag in db.session.execute(
        select(PublicationHashtag.publication_id, Hashtag.tag)
        .join(Hashtag, Hashtag.id == PublicationHashtag.hashtag_id)
        .where(PublicationHashtag.publication_id.in_(ids))
        .order_by(PublicationHashtag.publication_id, Hashtag.tag)
    ):
        tags.setdefault(publication_id, []).append(tag)
    keys = [
        (publication_id, updated_at, tuple(tags.get(publication_id, ())))
        for publication_id, updated_at in db.session.execute(
            query.with_only_columns(Publication.id, Publication.updated_at)
            .order_by(Publication.starts_at, Publication.id)
        )
    ]
    missing = {key[0]: key for key in keys if key not in _records}
    if len(_records) + len(missing) > _RECORDS_KEPT:
        _records.clear()
        missing = {key[0]: key for key in keys}
    wanted = list(missing)
    for chunk in range(0, len(wanted), _RECORD_CHUNK):
        for row in db.session.execute(
            select(*_EVENT_COLUMNS).where(Publication.id.in_(wanted[chunk:chunk + _RECORD_CHUNK]))
        ):
            key = missing[row[0]]
            _records[key] = CalendarEvent(*row, tags=key[2])
    found = [_records[key] for key in keys if key in _records]
    events = [p for p in found if p.recurrence_parent_id is None or p.recurrence_id is None]
    series_ids = {p.id for p in events if p.rrule}
    changed = [p for p in found if p.recurrence_parent_id in series_ids and p.recurrence_id is not None]
    # A changed date whose series is not in this calendar stands as an event of its own.
    events += [p for p in found if p.recurrence_id is not None and p.recurrence_parent_id not in series_ids]
    return events, changed


def uid_maker(territory: Territory) -> Callable[[Any], str]:
    """The UID of each event: its stored one, else the one ``default_ical_uid`` would give
    (the territory's first host looked up once)."""
    host = uid_host(territory.id)
    return lambda event: event.ical_uid or f"pub-{event.id}@{host}"


def news(scope: Scope, now: datetime | None = None) -> list[Publication]:
    """The scope's newest publications (news, events, offers), newest first."""
    now = now or utcnow()
    query = _scoped(_visible(scope.territory, now), scope).where(Publication.kind.in_(NEWS_KINDS))
    query = query.options(selectinload(Publication.hashtags)).order_by(
        Publication.published_at.desc(), Publication.id.desc()
    ).limit(NEWS_ENTRIES)
    return list(db.session.scalars(query).unique())


# --- the built feeds, kept per process --------------------------------------------------------


@dataclass(frozen=True)
class Built:
    body: bytes
    etag: str
    last_modified: datetime


_built: OrderedDict[tuple[Any, ...], Built] = OrderedDict()
_built_lock = threading.Lock()
_BUILT_KEPT = 64
# Each feed's current bytes (ETag) and since when this process serves them.
_first_served: dict[tuple[Any, ...], tuple[str, datetime]] = {}
_FIRST_SERVED_KEPT = 10_000


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
    etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
    with _built_lock:
        # An event that left the feed (deleted, hidden, past) changes no ``updated_at``: the feed
        # is as new as the first time this process served these bytes, if that is later.
        seen_etag, since = _first_served.get(key, ("", None))
        if seen_etag != etag or since is None:
            since = utcnow().replace(microsecond=0)
            _first_served[key] = (etag, since)
            while len(_first_served) > _FIRST_SERVED_KEPT:
                _first_served.pop(next(iter(_first_served)))
    result = Built(body, etag, max(last_modified, since))
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

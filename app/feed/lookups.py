"""The "For you" look-ups that are the same for everyone, kept per process.

Every branch of the candidates' query (``services.candidate_query``) is the same for everyone
but for its key: the newest visible publications carrying a hashtag, those of one actor, those
of a neighbourhood's actors, the events starting soon, the newest of all. Each is kept here as
a list of publication ids, with what the ranking needs of each publication (an ``Entry``); a
person's candidates are then put together from the lists of their hashtags, followed actors and
neighbourhood without a query, and ranked exactly as the query's rows would be
(``services.rank_entries``; tests/feed/test_shared_lookups.py checks both ways agree).

Validity: everything of a territory is dropped as soon as a publication, actor, hashtag or
neighbourhood changes anywhere in the instance (``app.changes``); a list is also read again
after ``LIST_SECONDS``, for what changes with time alone: an event entering the "soon" window
counts within that delay, and what ended meanwhile is left out by the ranking, which checks it
at the request's time.
"""

from __future__ import annotations

import heapq
import threading
import time
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any

from flask import current_app
from sqlalchemy import Integer, Select, String, bindparam, cast, func, select, type_coerce

from app import changes
from app.actors.models import Actor
from app.extensions import db
from app.feed.ranking import SOON_HORIZON_HOURS
from app.models_common import UTCDateTime, utcnow
from app.publications.models import EVENT_DEFAULT_DURATION, Publication, PublicationHashtag
from app.publications.services import current_criteria, visible_criteria

LIST_SECONDS = 60.0
MAX_ENTRIES = 50_000  # publications remembered per territory, beyond which all is dropped
# Candidate look-ups, each bounded.
CANDIDATES_PER_HASHTAG = 30
MAX_HASHTAGS_LOOKED_UP = 10
CANDIDATES_FOLLOWED = 60
CANDIDATES_NEIGHBOURHOOD = 25
CANDIDATES_SOON = 30
CANDIDATES_RECENT = 50

# Entry, one publication as the ranking sees it (a flat tuple: there are tens of thousands):
# (id, actor_id, kind, actor_neighbourhood_id, hashtag ids, then published_at, starts_at,
# ends_at, valid_from, valid_until as integer microseconds since the epoch or None).
Entry = tuple[Any, ...]
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
_NO_TAGS: tuple[int, ...] = ()


def as_utc(value: Any) -> datetime | None:
    """A timestamp read raw (see ``CANDIDATE_COLUMNS``): SQLite gives text, PostgreSQL a datetime."""
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(value).replace(tzinfo=UTC)


# The columns the ranking needs. Timestamps are read raw and parsed by ``as_utc``: converting
# a few hundred rows through the ORM's type layer cost more than everything else.
CANDIDATE_COLUMNS = (
    Publication.id,
    Publication.actor_id,
    Publication.kind,
    type_coerce(Publication.published_at, String).label("published_at"),
    type_coerce(Publication.starts_at, String).label("starts_at"),
    type_coerce(Publication.ends_at, String).label("ends_at"),
    type_coerce(Publication.valid_from, String).label("valid_from"),
    type_coerce(Publication.valid_until, String).label("valid_until"),
    Actor.neighbourhood_id,
)


def candidate_columns(row: Any) -> tuple[Any, ...]:
    """The ``CANDIDATE_COLUMNS`` of a row read raw, timestamps parsed: (id, actor_id, kind,
    published_at, starts_at, ends_at, valid_from, valid_until, actor_neighbourhood_id)."""
    return (row[0], row[1], row[2], as_utc(row[3]), as_utc(row[4]), as_utc(row[5]),
            as_utc(row[6]), as_utc(row[7]), row[8])


def micros(value: datetime | None) -> int | None:
    return None if value is None else (value - _EPOCH) // _MICROSECOND


def _datetime(micros: int | None) -> datetime | None:
    return None if micros is None else _EPOCH + timedelta(microseconds=micros)


def make_entry(
    publication_id: int,
    actor_id: int,
    kind: str,
    published_at: datetime | None,
    starts_at: datetime | None,
    ends_at: datetime | None,
    valid_from: datetime | None,
    valid_until: datetime | None,
    actor_neighbourhood_id: int | None,
    hashtag_ids: Iterable[int] = (),
) -> Entry:
    """An entry from the ``Candidate`` columns (but the matching count) and the hashtag ids."""
    return (
        publication_id,
        actor_id,
        kind,
        actor_neighbourhood_id,
        tuple(hashtag_ids) or _NO_TAGS,
        micros(published_at),
        micros(starts_at),
        micros(ends_at),
        micros(valid_from),
        micros(valid_until),
    )


def entry_columns(entry: Entry) -> tuple[Any, ...]:
    """The entry's ``Candidate`` columns but the matching count (``make_entry``'s first nine)."""
    return (
        entry[0],
        entry[1],
        entry[2],
        *(_datetime(micros) for micros in entry[5:10]),
        entry[3],
    )


class TerritoryLookups:
    def __init__(self, stamp: tuple[Any, ...]) -> None:
        self.stamp = stamp
        self.lists: dict[tuple[Any, ...], tuple[float, list[int]]] = {}
        self.entries: dict[int, Entry] = {}
        # Card facts (see app.feed.cards): publication id -> what its card's cache key needs.
        self.card_facts: dict[int, tuple[Any, ...]] = {}
        self.lock = threading.Lock()


_territories: dict[tuple[Any, ...], TerritoryLookups] = {}
_territories_lock = threading.Lock()


def for_territory(territory_id: int) -> TerritoryLookups:
    """The territory's look-ups, emptied when its feed data changed."""
    engine = db.engine
    stamp = changes.version("feed", engine)
    key = (territory_id, id(current_app._get_current_object()), str(engine.url) if engine else "")  # type: ignore[attr-defined]
    lookups = _territories.get(key)
    if lookups is None or lookups.stamp != stamp or len(lookups.entries) > MAX_ENTRIES:
        with _territories_lock:
            lookups = _territories[key] = TerritoryLookups(stamp)
    return lookups


def clear() -> None:
    with _territories_lock:
        _territories.clear()


# --- the shared look-ups ----------------------------------------------------------------------


@lru_cache(maxsize=64)
def _statement(kind: str, limit: int) -> Select[Any]:
    """One shared look-up, with bound parameters: the same rows as the candidates' query's
    branch of that kind (same criteria, order and limit)."""
    now = bindparam("now", type_=UTCDateTime())
    event_cutoff = bindparam("event_cutoff", type_=UTCDateTime())
    # The publication's hashtag ids, as one "3,17,42" string (group_concat / string_agg).
    tag_table = PublicationHashtag.__table__.alias("its_tag")
    tags = (
        select(func.aggregate_strings(cast(tag_table.c.hashtag_id, String()), ","))
        .where(tag_table.c.publication_id == Publication.id)
        .correlate(Publication)
        .scalar_subquery()
    )
    query = (
        select(*CANDIDATE_COLUMNS, tags.label("tags"))
        .join(Actor, Actor.id == Publication.actor_id)
        .where(
            *visible_criteria(bindparam("territory_id", type_=Integer()), now),
            current_criteria(now, event_cutoff),
        )
    )
    if kind == "tag":
        return (
            query.join(PublicationHashtag, PublicationHashtag.publication_id == Publication.id)
            .where(PublicationHashtag.hashtag_id == bindparam("key", type_=Integer()))
            .order_by(PublicationHashtag.publication_id.desc())
            .limit(limit)
        )
    if kind == "actor":
        return (
            query.where(Publication.actor_id == bindparam("key", type_=Integer()))
            .order_by(Publication.id.desc())
            .limit(limit)
        )
    if kind == "neighbourhood":
        return (
            query.where(Actor.neighbourhood_id == bindparam("key", type_=Integer()))
            .order_by(Publication.published_at.desc())
            .limit(limit)
        )
    if kind == "soon":
        return (
            query.where(
                Publication.kind == "event",
                Publication.starts_at >= event_cutoff,
                Publication.starts_at < bindparam("soon_until", type_=UTCDateTime()),
            )
            .order_by(Publication.starts_at)
            .limit(limit)
        )
    if kind == "recent":
        return query.order_by(Publication.published_at.desc()).limit(limit)
    raise ValueError(kind)


def _fill(
    lookups: TerritoryLookups, territory_id: int, kind: str, key: Any, limit: int
) -> list[int]:

    now = utcnow()
    params: dict[str, Any] = {
        "territory_id": territory_id,
        "now": now,
        "event_cutoff": now - EVENT_DEFAULT_DURATION,
        "key": key,
    }
    if kind == "soon":
        params["soon_until"] = now + timedelta(hours=SOON_HORIZON_HOURS)
    ids: list[int] = []
    entries = lookups.entries
    for row in db.session.connection().execute(_statement(kind, limit), params):
        publication_id = row[0]
        ids.append(publication_id)
        if publication_id not in entries:
            tags = sorted(int(tag) for tag in row[9].split(",")) if row[9] else ()
            entries[publication_id] = make_entry(*candidate_columns(row), tags)
    return ids


def shared_list(
    lookups: TerritoryLookups, territory_id: int, kind: str, key: Any, limit: int
) -> list[int]:
    """The ids of one shared look-up, read again when older than LIST_SECONDS."""
    list_key = (kind, key, limit)
    now = time.monotonic()
    cached = lookups.lists.get(list_key)
    if cached is not None and cached[0] > now:
        return cached[1]
    with lookups.lock:
        ids = _fill(lookups, territory_id, kind, key, limit)
        lookups.lists[list_key] = (now + LIST_SECONDS, ids)
    return ids


def newest_of(lists: Iterable[list[int]], limit: int) -> list[int]:
    """The ``limit`` highest ids of several lists each sorted by descending id (as one query
    over them all, ordered by id and limited, would give)."""
    merged: list[int] = []
    seen: set[int] = set()
    for publication_id in heapq.merge(*lists, reverse=True):
        if publication_id not in seen:
            seen.add(publication_id)
            merged.append(publication_id)
            if len(merged) == limit:
                break
    return merged


def candidate_entries(
    territory_id: int,
    tag_ids: list[int],
    followed_actor_ids: Iterable[int],
    neighbourhood_id: int | None,
    depth: int,
) -> tuple[list[int], dict[int, Entry]]:
    """The person's candidate ids (each once) and the territory's entries."""
    lookups = for_territory(territory_id)
    ids: dict[int, None] = {}
    for tag in tag_ids:
        ids.update(
            dict.fromkeys(
                shared_list(lookups, territory_id, "tag", tag, CANDIDATES_PER_HASHTAG * depth)
            )
        )
    followed = sorted(followed_actor_ids)
    if followed:
        limit = CANDIDATES_FOLLOWED * depth
        per_actor = [shared_list(lookups, territory_id, "actor", a, limit) for a in followed]
        ids.update(dict.fromkeys(newest_of(per_actor, limit)))
    if neighbourhood_id is not None:
        ids.update(
            dict.fromkeys(
                shared_list(
                    lookups,
                    territory_id,
                    "neighbourhood",
                    neighbourhood_id,
                    CANDIDATES_NEIGHBOURHOOD * depth,
                )
            )
        )
    ids.update(
        dict.fromkeys(shared_list(lookups, territory_id, "soon", 0, CANDIDATES_SOON * depth))
    )
    ids.update(
        dict.fromkeys(shared_list(lookups, territory_id, "recent", 0, CANDIDATES_RECENT * depth))
    )
    return list(ids), lookups.entries

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
from sqlalchemy import (
    Integer,
    Select,
    String,
    bindparam,
    cast,
    func,
    literal_column,
    select,
    type_coerce,
    union_all,
)

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
# A shared look-up: (kind, key, limit).
ListKey = tuple[str, Any, int]
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


def _branch(kind: str, key: Any) -> tuple[Select[Any], tuple[Any, ...]]:
    """One shared look-up's query and order, unlimited, with bound parameters (``key`` the
    bound parameter of its key): the same rows as the candidates' query's branch of that kind."""
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
            .where(PublicationHashtag.hashtag_id == key),
            (PublicationHashtag.publication_id.desc(),),
        )
    if kind == "actor":
        return query.where(Publication.actor_id == key), (Publication.id.desc(),)
    if kind == "neighbourhood":
        return query.where(Actor.neighbourhood_id == key), (Publication.published_at.desc(),)
    if kind == "soon":
        return (
            query.where(
                Publication.kind == "event",
                Publication.starts_at >= event_cutoff,
                Publication.starts_at < bindparam("soon_until", type_=UTCDateTime()),
            ),
            (Publication.starts_at,),
        )
    if kind == "recent":
        return query, (Publication.published_at.desc(),)
    raise ValueError(kind)


@lru_cache(maxsize=64)
def _statement(kind: str, limit: int) -> Select[Any]:
    """One shared look-up, with bound parameters: the same rows as the candidates' query's
    branch of that kind (same criteria, order and limit)."""
    query, order = _branch(kind, bindparam("key", type_=Integer()))
    return query.order_by(*order).limit(limit)


@lru_cache(maxsize=256)
def _statement_of_many(shape: tuple[tuple[str, int], ...]) -> Any:
    """Several shared look-ups (``shape``: their kinds and limits) in one query, each as its own
    statement would give it, its rows numbered in its order: (columns, tags, look-up, number).
    The key of look-up ``i`` is the bound parameter ``key_i``."""
    branches = []
    for index, (kind, limit) in enumerate(shape):
        query, order = _branch(kind, bindparam(f"key_{index}", type_=Integer()))
        numbered = (
            query.add_columns(
                literal_column(str(index)).label("look_up"),
                func.row_number().over(order_by=order).label("number"),
            )
            .order_by(*order)
            .limit(limit)
            .subquery(f"look_up_{index}")
        )
        branches.append(select(numbered))
    return union_all(*branches)


def _parameters(territory_id: int, soon: bool) -> dict[str, Any]:
    """The look-ups' parameters but their keys (``soon``: the "soon" look-up's end too)."""
    now = utcnow()
    params = {"territory_id": territory_id, "now": now, "event_cutoff": now - EVENT_DEFAULT_DURATION}
    if soon:
        params["soon_until"] = now + timedelta(hours=SOON_HORIZON_HOURS)
    return params


def _keep_entry(entries: dict[int, Entry], row: Any) -> int:
    publication_id: int = row[0]
    if publication_id not in entries:
        tags = sorted(int(tag) for tag in row[9].split(",")) if row[9] else ()
        entries[publication_id] = make_entry(*candidate_columns(row), tags)
    return publication_id


def _fill(
    lookups: TerritoryLookups, territory_id: int, kind: str, key: Any, limit: int
) -> list[int]:
    """One shared look-up read (its entries kept): the ids in its order."""
    params = {**_parameters(territory_id, kind == "soon"), "key": key}
    entries = lookups.entries
    return [_keep_entry(entries, row) for row in db.session.connection().execute(_statement(kind, limit), params)]


# Look-ups read in one query at most (SQLite allows 500 terms in a compound SELECT).
MANY_AT_ONCE = 64


def _fill_many(
    lookups: TerritoryLookups, territory_id: int, wanted: list[ListKey]
) -> dict[ListKey, list[int]]:
    """Several shared look-ups read in one query per ``MANY_AT_ONCE`` (one round trip for a
    person's first "For you" instead of one per hashtag, followed actor...): their ids in order."""
    found: dict[ListKey, list[int]] = {}
    entries = lookups.entries
    connection = db.session.connection()
    for start in range(0, len(wanted), MANY_AT_ONCE):
        chunk = wanted[start : start + MANY_AT_ONCE]
        if len(chunk) == 1:
            kind, key, limit = chunk[0]
            found[chunk[0]] = _fill(lookups, territory_id, kind, key, limit)
            continue
        params = _parameters(territory_id, any(kind == "soon" for kind, _key, _limit in chunk))
        params.update({f"key_{index}": key for index, (_kind, key, _limit) in enumerate(chunk)})
        numbered: list[list[tuple[int, int]]] = [[] for _ in chunk]
        statement = _statement_of_many(tuple((kind, limit) for kind, _key, limit in chunk))
        for row in connection.execute(statement, params):
            numbered[int(row[10])].append((int(row[11]), _keep_entry(entries, row)))
        for list_key, rows in zip(chunk, numbered, strict=True):
            found[list_key] = [publication_id for _number, publication_id in sorted(rows)]
    return found


def _expires(list_key: ListKey, now: float) -> float:
    """When a list read at ``now`` is read again: ``LIST_SECONDS``, less up to a quarter by its
    key, so that the lists read together at a person's first page are not all read again
    together a minute later."""
    return now + LIST_SECONDS * (1.0 - (hash(list_key) % 1000) / 4000)


def shared_lists(
    lookups: TerritoryLookups, territory_id: int, wanted: list[ListKey]
) -> list[list[int]]:
    """The ids of the shared look-ups ``wanted`` ((kind, key, limit) each); those not kept, or
    kept for longer than their time (``_expires``), read in one query. One thread of the
    process reads at a time; the others find what it read instead of reading it again."""
    lists = lookups.lists
    now = time.monotonic()
    stale = [k for k in dict.fromkeys(wanted) if (kept := lists.get(k)) is None or kept[0] <= now]
    if stale:
        with lookups.lock:
            now = time.monotonic()
            stale = [k for k in stale if (kept := lists.get(k)) is None or kept[0] <= now]
            if stale:
                for list_key, ids in _fill_many(lookups, territory_id, stale).items():
                    lists[list_key] = (_expires(list_key, now), ids)
    return [lists[k][1] for k in wanted]


def shared_list(
    lookups: TerritoryLookups, territory_id: int, kind: str, key: Any, limit: int
) -> list[int]:
    """The ids of one shared look-up (``shared_lists``)."""
    return shared_lists(lookups, territory_id, [(kind, key, limit)])[0]


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
    followed = sorted(followed_actor_ids)
    followed_limit = CANDIDATES_FOLLOWED * depth
    wanted: list[ListKey] = [("tag", tag, CANDIDATES_PER_HASHTAG * depth) for tag in tag_ids]
    wanted += [("actor", actor, followed_limit) for actor in followed]
    if neighbourhood_id is not None:
        wanted.append(("neighbourhood", neighbourhood_id, CANDIDATES_NEIGHBOURHOOD * depth))
    wanted += [("soon", 0, CANDIDATES_SOON * depth), ("recent", 0, CANDIDATES_RECENT * depth)]
    found = iter(shared_lists(lookups, territory_id, wanted))
    ids: dict[int, None] = {}
    for _tag in tag_ids:
        ids.update(dict.fromkeys(next(found)))
    if followed:
        ids.update(dict.fromkeys(newest_of([next(found) for _actor in followed], followed_limit)))
    for rest in found:  # the neighbourhood's, then the soon and the recent
        ids.update(dict.fromkeys(rest))
    return list(ids), lookups.entries

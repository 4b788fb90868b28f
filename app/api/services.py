"""What the read API reads, testable without HTTP: the public data of one territory, never another
territory's, never a draft, a moderated publication or an unverified actor's, never a person.

Each list is a query of ids first (narrow, on the indexes), then the page's rows loaded."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.orm import joinedload, selectinload

from app.actors import hours
from app.actors.models import Actor, ActorHashtag
from app.api.occurrences import Occurrence, occurrences, series_starts
from app.extensions import db
from app.publications.models import EVENT_DEFAULT_DURATION, Publication, PublicationHashtag
from app.publications.services import visible_criteria
from app.territories.models import Hashtag, Territory

PUBLIC_KINDS = ("news", "event", "offer")
MAX_WINDOW = timedelta(days=366)
DEFAULT_WINDOW = timedelta(days=30)


@dataclass(frozen=True)
class Slice:
    items: list[Any]
    has_next: bool
    total: int | None


def hashtag_named(territory: Territory, tag: str) -> Hashtag | None:
    tag = tag.strip().lstrip("#").lower()
    return db.session.scalar(select(Hashtag).where(Hashtag.territory_id == territory.id, Hashtag.tag == tag))


def hashtags(territory: Territory) -> list[Hashtag]:
    return list(db.session.scalars(select(Hashtag).where(
        Hashtag.territory_id == territory.id, Hashtag.active.is_(True)).order_by(Hashtag.tag)))


# --- actors ----------------------------------------------------------------------------------------


def _actors_query(territory: Territory, kind: str = "", hashtag: Hashtag | None = None) -> Select[Any]:
    query = select(Actor.id).where(Actor.territory_id == territory.id, Actor.status == "verified")
    if kind:
        query = query.where(Actor.kind == kind)
    if hashtag is not None:
        query = query.where(Actor.id.in_(select(ActorHashtag.actor_id).where(ActorHashtag.hashtag_id == hashtag.id)))
    return query


def public_actor(territory: Territory, actor_id: int) -> Actor | None:
    actor = db.session.get(Actor, actor_id)
    if actor is None or actor.territory_id != territory.id or actor.status != "verified":
        return None
    return actor


def actors(territory: Territory, offset: int, limit: int, now: datetime, kind: str = "",
           hashtag: Hashtag | None = None, open_now: bool | None = None) -> Slice:
    """A page of the territory's verified actors by name; ``open_now`` keeps only those open
    (True) or closed (False) at ``now``."""
    query = _actors_query(territory, kind, hashtag).order_by(Actor.name, Actor.id)
    if open_now is None:
        total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
        ids = list(db.session.scalars(query.offset(offset).limit(limit + 1)))
        return Slice(_loaded(Actor, ids[:limit]), len(ids) > limit, total)
    everyone = _loaded(Actor, list(db.session.scalars(query)))
    states = actor_states(territory, everyone, now)
    kept = [a for a in everyone if states[a.id].open is open_now]
    return Slice(kept[offset:offset + limit], len(kept) > offset + limit, len(kept))


def actor_states(territory: Territory, found: list[Actor], now: datetime) -> dict[int, hours.OpenState]:
    today = now.astimezone(hours.zone(territory.timezone)).date()
    exceptions = hours.exceptions_by_actor([a.id for a in found], today)
    return {a.id: hours.state_at(a, now, territory.timezone, exceptions.get(a.id, [])) for a in found}


# --- publications ----------------------------------------------------------------------------------


def _visible_ids(territory: Territory, now: datetime) -> Select[Any]:
    return select(Publication.id).join(Actor, Actor.id == Publication.actor_id).where(
        *visible_criteria(territory.id, now), Publication.kind.in_(PUBLIC_KINDS),
    )


def public_publication(territory: Territory, publication_id: int, now: datetime) -> Publication | None:
    found = db.session.scalar(_visible_ids(territory, now).where(Publication.id == publication_id))
    return db.session.get(Publication, found) if found is not None else None


def publications(territory: Territory, offset: int, limit: int, now: datetime, kind: str = "",
                 actor: Actor | None = None, hashtag: Hashtag | None = None,
                 updated_since: datetime | None = None, start: datetime | None = None,
                 end: datetime | None = None) -> Slice:
    """A page of the visible publications: events by start, the rest newest first. With a window
    (``start``/``end``) only events with an occurrence in it (recurring ones expanded)."""
    query = _visible_ids(territory, now)
    if kind:
        query = query.where(Publication.kind == kind)
    if actor is not None:
        query = query.where(Publication.actor_id == actor.id)
    if hashtag is not None:
        query = query.where(Publication.id.in_(
            select(PublicationHashtag.publication_id).where(PublicationHashtag.hashtag_id == hashtag.id)))
    if updated_since is not None:
        query = query.where(Publication.updated_at > updated_since)
    if kind == "event":
        query = query.order_by(Publication.starts_at, Publication.id)
    else:
        query = query.order_by(Publication.published_at.desc(), Publication.id.desc())
    if start is None and end is None:
        # One round trip: the page's ids with the total beside each (a window function).
        rows = db.session.execute(query.add_columns(func.count().over()).offset(offset).limit(limit + 1)).all()
        total = rows[0][1] if rows else _count(query)
        return Slice(_publications(ids=[row[0] for row in rows[:limit]]), len(rows) > limit, total)
    start = start or now
    end = end or start + DEFAULT_WINDOW
    ids = _ids_in_window(territory, query.where(Publication.kind == "event"), start, end)
    return Slice(_publications(ids[offset:offset + limit]), len(ids) > offset + limit, len(ids))


def _count(query: Select[Any]) -> int:
    return db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0


def _publications(ids: list[int]) -> list[Publication]:
    """The publications of ``ids`` in that order, with their actor and hashtags (two queries;
    not the actor's own hashtags, which the API's publications do not show)."""
    if not ids:
        return []
    query = select(Publication).where(Publication.id.in_(ids)).options(
        joinedload(Publication.actor).lazyload(Actor.hashtags), selectinload(Publication.hashtags))
    found = {row.id: row for row in db.session.scalars(query).unique()}
    return [found[i] for i in ids if i in found]


def _ids_in_window(territory: Territory, query: Select[Any], start: datetime, end: datetime) -> list[int]:
    """The ids of ``query`` (events) with an occurrence in [start, end), by start then id: plain
    events that overlap it (an event without an end lasts ``EVENT_DEFAULT_DURATION``) and the
    series with a date in it (read with only what expanding them needs)."""
    plain = db.session.execute(query.with_only_columns(Publication.id, Publication.starts_at).where(
        Publication.rrule == "", Publication.starts_at < end,
        or_(Publication.ends_at > start,
            and_(Publication.ends_at.is_(None), Publication.starts_at > start - EVENT_DEFAULT_DURATION)),
    )).all()
    series = db.session.execute(query.with_only_columns(
        Publication.id, Publication.starts_at, Publication.ends_at, Publication.rrule, Publication.exdates_json,
    ).where(Publication.rrule != "", Publication.starts_at < end)).all()
    kept = [(row.starts_at, row.id) for row in plain]
    kept += [(row.starts_at, row.id) for row in series if series_starts(row, territory.timezone, start, end)]  # type: ignore[arg-type]
    return [publication_id for _start, publication_id in sorted(kept)]


def event_occurrences(territory: Territory, now: datetime, start: datetime, end: datetime,
                      actor: Actor | None = None, hashtag: Hashtag | None = None) -> list[Occurrence]:
    """Every occurrence of the visible events in [start, end), by start."""
    query = _visible_ids(territory, now).where(Publication.kind == "event")
    if actor is not None:
        query = query.where(Publication.actor_id == actor.id)
    if hashtag is not None:
        query = query.where(Publication.id.in_(
            select(PublicationHashtag.publication_id).where(PublicationHashtag.hashtag_id == hashtag.id)))
    ids = _ids_in_window(territory, query.where(Publication.recurrence_parent_id.is_(None)), start, end)
    events = _publications(ids)
    changed = _publications(list(db.session.scalars(query.where(
        Publication.recurrence_parent_id.is_not(None),
        or_(Publication.recurrence_parent_id.in_(ids), Publication.starts_at < end)))))
    return occurrences(events, changed, territory.timezone, start, end)


def _loaded(model: Any, ids: list[int]) -> list[Any]:
    if not ids:
        return []
    found = {row.id: row for row in db.session.scalars(select(model).where(model.id.in_(ids)))}
    return [found[i] for i in ids if i in found]

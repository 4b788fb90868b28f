"""Publications: news, events and offers of an actor, their life cycle (draft, published,
archived), the town's moderation, and the queries other domains use to show them.

These functions are plain Python over the database session; routes only call them."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from flask import current_app
from sqlalchemy import Select, and_, bindparam, func, or_, select
from sqlalchemy.orm import joinedload, lazyload, selectinload
from sqlalchemy.orm.attributes import set_committed_value

from app import changes, geo
from app.actors.models import Actor
from app.actors.sections import dashboard_part, page_part
from app.extensions import db
from app.models_common import KeptRows, staggered_minute, utcnow
from app.publications import recurrence
from app.publications.models import (
    EVENT_DEFAULT_DURATION,
    PUBLICATION_KINDS,
    PUBLICATION_STATUSES,
    Publication,
)
from app.publications.signals import publication_published
from app.territories.context import current_territory
from app.territories.models import Hashtag, Territory, TerritoryHost
from app.territories.scoping import belongs
from app.text import normalise_hashtag

# The fields a form may set on a publication (kind, actor, status are set otherwise).
EDITABLE_FIELDS = (
    "title",
    "summary",
    "body_md",
    "image_alt",
    "starts_at",
    "ends_at",
    "valid_from",
    "valid_until",
    "place_name",
    "lat",
    "lon",
    "radius_m",
    "zone_geojson",
    "is_welcome_offer",
    "welcome_population_types",
    "poll_results",
    "survey_url",
    "survey_embed",
    "rrule",
)
# What people must see again when it changes (a calendar that copied the event updates it):
# a change to one of these raises the publication's iCalendar SEQUENCE.
SEQUENCED_FIELDS = (
    "starts_at",
    "ends_at",
    "place_name",
    "lat",
    "lon",
    "rrule",
    "exdates_json",
    "cancelled_at",
)


# --- Hashtags ---------------------------------------------------------------------------------


def split_hashtags(text: str | None) -> list[str]:
    """'#bio, #Théâtre braderie' -> ['bio', 'theatre', 'braderie'] (order kept, no duplicates)."""
    tags: list[str] = []
    for raw in (text or "").replace(",", " ").split():
        tag = normalise_hashtag(raw)
        if tag and tag != "item" and tag not in tags:
            tags.append(tag)
    return tags


def resolve_hashtags(territory: Territory, text: str | None) -> tuple[list[Hashtag], list[str]]:
    """The catalogue entries named in ``text``, and the names that are not (active) in it."""
    wanted = split_hashtags(text)
    if not wanted:
        return [], []
    found = {
        h.tag: h
        for h in db.session.scalars(
            select(Hashtag).where(
                belongs(Hashtag, territory),
                Hashtag.active.is_(True),
                Hashtag.tag.in_(wanted),
            )
        )
    }
    return [found[t] for t in wanted if t in found], [t for t in wanted if t not in found]


# --- Writing ----------------------------------------------------------------------------------


def create_publication(
    actor: Actor,
    kind: str,
    *,
    created_by_id: int | None = None,
    hashtags: Iterable[Hashtag] = (),
    image_media_id: int | None = None,
    status: str = "draft",
    commit: bool = True,
    **fields: Any,
) -> Publication:
    """A new publication of ``actor``. Commits (unless ``commit=False``: then the caller, writing
    many at once as a feed import does, flushes and commits them together)."""
    if kind not in PUBLICATION_KINDS:
        raise ValueError(f"unknown publication kind {kind!r}")
    publication = Publication(
        territory_id=actor.territory_id,
        actor_id=actor.id,
        kind=kind,
        status="draft",
        created_by_id=created_by_id,
        image_media_id=image_media_id,
    )
    publication.actor = actor
    _apply_fields(publication, fields)
    publication.hashtags = list(hashtags)
    db.session.add(publication)
    set_status(publication, status, commit=False)
    db.session.flush()
    publication.ical_uid = default_ical_uid(publication)
    if commit:
        db.session.commit()
    return publication


def default_ical_uid(publication: Publication) -> str:
    """``pub-<id>@<the territory's first host name>``: set once, at creation, and kept forever
    (a calendar that copied the event recognises it by this UID)."""
    return f"pub-{publication.id}@{uid_host(publication.territory_id)}"


def uid_host(territory_id: int) -> str:
    """The host name in the UIDs of a territory's events: its first host name."""
    host = db.session.scalar(
        select(TerritoryHost.hostname)
        .where(TerritoryHost.territory_id == territory_id)
        .order_by(TerritoryHost.id)
        .limit(1)
    )
    return host or "territory.invalid"


def _sequenced(publication: Publication) -> tuple[Any, ...]:
    return tuple(getattr(publication, name) for name in SEQUENCED_FIELDS)


def _raise_sequence_if_changed(publication: Publication, before: tuple[Any, ...]) -> None:
    if publication.id is not None and _sequenced(publication) != before:
        publication.sequence = (publication.sequence or 0) + 1


def cancel(publication: Publication) -> Publication:
    """Cancel the whole event: it stays listed, marked cancelled (calendars show it struck
    out). Commits."""
    if publication.cancelled_at is None:
        publication.cancelled_at = utcnow()
        publication.sequence = (publication.sequence or 0) + 1
    db.session.commit()
    return publication


def uncancel(publication: Publication) -> Publication:
    """The event takes place after all. Commits."""
    if publication.cancelled_at is not None:
        publication.cancelled_at = None
        publication.sequence = (publication.sequence or 0) + 1
    db.session.commit()
    return publication


def cancel_occurrence(publication: Publication, starts_at: datetime) -> bool:
    """Take one occurrence (its original start, aware UTC) out of a recurring event (EXDATE).
    False when the series has no such occurrence. Commits."""
    if not publication.rrule or publication.starts_at is None:
        return False
    territory = db.session.get(Territory, publication.territory_id)
    window_start, window_end = starts_at - timedelta(minutes=1), starts_at + timedelta(minutes=1)
    if starts_at not in recurrence.occurrence_starts(
        publication, territory, window_start, window_end
    ):
        return False
    publication.exdates_json = recurrence.with_exdate(publication, starts_at)
    publication.sequence = (publication.sequence or 0) + 1
    db.session.commit()
    return True


def update_publication(
    publication: Publication,
    *,
    hashtags: Iterable[Hashtag] | None = None,
    image_media_id: int | None = None,
    remove_image: bool = False,
    commit: bool = True,
    **fields: Any,
) -> Publication:
    """Change a publication. Commits (unless ``commit=False``)."""
    before = _sequenced(publication)
    _apply_fields(publication, fields)
    _raise_sequence_if_changed(publication, before)
    if hashtags is not None:
        publication.hashtags = list(hashtags)
    if image_media_id is not None:
        publication.image_media_id = image_media_id
    elif remove_image:
        publication.image_media_id = None
    if commit:
        db.session.commit()
    return publication


def _apply_fields(publication: Publication, fields: dict[str, Any]) -> None:
    for name, value in fields.items():
        if name not in EDITABLE_FIELDS:
            raise TypeError(f"{name} cannot be set on a publication")
        if name in {"title", "summary", "body_md", "place_name", "image_alt"}:
            value = (value or "").strip()
        elif name == "welcome_population_types":
            value = ",".join(value) if isinstance(value, (list, tuple)) else (value or "")
        elif name == "zone_geojson":
            value = value or None
        elif name == "is_welcome_offer":
            value = bool(value)
        elif name == "rrule":
            value = (value or "").strip()
        setattr(publication, name, value)


def set_status(publication: Publication, status: str, commit: bool = True) -> Publication:
    """Move a publication to draft, published or archived; the first publication dates it.
    Commits (unless ``commit=False``)."""
    if status not in PUBLICATION_STATUSES:
        raise ValueError(f"unknown publication status {status!r}")
    first_publication = status == "published" and publication.published_at is None
    publication.status = status
    if first_publication:
        publication.published_at = utcnow()
        publication_published.send(publication)
    if commit:
        db.session.commit()
    return publication


def unpublish(publication: Publication, reason: str = "") -> Publication:
    """The town hides a publication everywhere (moderation), whatever its status. Commits."""
    publication.moderated_at = utcnow()
    publication.moderation_reason = (reason or "").strip()[:280]
    db.session.commit()
    return publication


def restore(publication: Publication) -> Publication:
    """The town lifts its moderation: the publication shows again if it is published. Commits."""
    publication.moderated_at = None
    publication.moderation_reason = ""
    db.session.commit()
    return publication


# --- Reading ----------------------------------------------------------------------------------

# Publications as read for their page, with their actor, kept per process (detached copies,
# app.models_common): an entry holds while the feed data is unchanged in any process of the
# instance (app.changes), and for the minute at most, as the page's kept body.
kept_for_page = KeptRows(2048)


@lru_cache(maxsize=1)
def _page_statement() -> Any:
    """Built once. Its hashtags and its actor's are read only when its page is drawn anew."""
    return (
        select(Publication)
        .where(
            Publication.id == bindparam("id"), Publication.territory_id == bindparam("territory_id")
        )
        .options(
            lazyload(Publication.hashtags), joinedload(Publication.actor).lazyload(Actor.hashtags)
        )
    )


def publication_for_page(territory_id: int, publication_id: int) -> Publication | None:
    """The territory's publication ``publication_id`` and its actor, for its page: who may see
    it is for the caller to check."""
    engine = db.engine
    key = (id(current_app._get_current_object()), str(engine.url), territory_id, publication_id)  # type: ignore[attr-defined]
    version = (changes.version("feed", engine), staggered_minute(key))
    kept = kept_for_page.get(db.session(), key, version)
    if kept is not None:
        actor, publication = kept
        set_committed_value(publication, "actor", actor)  # as loaded with it, not asked again
        return publication  # type: ignore[no-any-return]
    publication = db.session.scalar(
        _page_statement(), {"id": publication_id, "territory_id": territory_id}
    )
    if publication is not None:
        kept_for_page.put(key, version, publication.actor, publication)
    return publication


def visible_publications_query(territory: Territory | None = None) -> Select[tuple[Publication]]:
    """A SELECT of the publications the public may see in the current (or given) territory
    (``visible_criteria``). Unordered: callers add their order and limit."""
    if territory is None:
        territory = current_territory()
    return (
        select(Publication)
        .join(Actor, Actor.id == Publication.actor_id)
        .where(*visible_criteria(territory))
    )


def published_for_actor(actor: Actor, limit: int | None = 10) -> list[Publication]:
    """An actor's visible publications, newest first (for its public page)."""
    territory = db.session.get(Territory, actor.territory_id)
    query = (
        visible_publications_query(territory)
        .where(Publication.actor_id == actor.id)
        .order_by(Publication.published_at.desc(), Publication.id.desc())
    )
    if limit is not None:
        query = query.limit(limit)
    return list(db.session.scalars(query).unique())


def actor_publications(actor: Actor, status: str | None = None) -> list[Publication]:
    """The actor's own list for its tools: ``status`` one of the statuses, or None for the
    current ones (drafts and published), most recently changed first."""
    query = select(Publication).where(belongs(Publication, actor), Publication.actor_id == actor.id)
    if status in PUBLICATION_STATUSES:
        query = query.where(Publication.status == status)
    else:
        query = query.where(Publication.status != "archived")
    query = query.order_by(Publication.updated_at.desc(), Publication.id.desc())
    return list(db.session.scalars(query).unique())


def status_counts(actor: Actor) -> dict[str, int]:
    rows = db.session.execute(
        select(Publication.status, func.count())
        .where(belongs(Publication, actor), Publication.actor_id == actor.id)
        .group_by(Publication.status)
    )
    counts = {status: 0 for status in PUBLICATION_STATUSES}
    counts.update({status: count for status, count in rows})
    return counts


def publication_zone(publication: Publication) -> Any | None:
    """The zone where a publication applies: its drawn polygon, else its circle, else none."""
    if publication.zone_geojson:
        return geo.as_geometry(publication.zone_geojson)
    if publication.radius_m and publication.lat is not None and publication.lon is not None:
        return geo.circle_zone(publication.lat, publication.lon, publication.radius_m)
    return None


# --- on the actor's pages -------------------------------------------------------------------


# Which publications an actor's page lists, per process: (actor id, limit, engine) -> (the feed
# data's version when read, their ids). Finding them sorts all the actor's publications (an active
# shop has thousands); loading ten by their ids is cheap. Any write to a publication or an actor,
# in any process of the instance, changes the version (app.changes), and the list is read again.
_recent_ids: dict[tuple[int, int, str], tuple[tuple[Any, ...], list[int]]] = {}
_MAX_RECENT_LISTS = 5_000


def recent_publications(actor: Actor, limit: int = 10) -> list[Publication]:
    """The actor's newest published publications that the town has not hidden (with their
    hashtags and actor, which their cards show)."""
    engine = db.engine
    stamp = changes.version("feed", engine)  # before reading: see app.changes
    key = (actor.id, limit, str(engine.url))
    known = _recent_ids.get(key)
    # Their actor is the one of the page, already loaded (its hashtags too).
    options = (selectinload(Publication.hashtags),)
    if known is not None and known[0] == stamp:
        found = {
            publication.id: publication
            for publication in db.session.scalars(
                select(Publication).where(Publication.id.in_(known[1])).options(*options)
            ).unique()
        }
        return [found[i] for i in known[1] if i in found]
    publications = list(
        db.session.scalars(
            select(Publication)
            .where(
                Publication.actor_id == actor.id,
                belongs(Publication, actor),
                Publication.status == "published",
                Publication.moderated_at.is_(None),
            )
            .order_by(Publication.published_at.desc(), Publication.id.desc())
            .limit(limit)
            .options(*options)
        ).unique()
    )
    if len(_recent_ids) >= _MAX_RECENT_LISTS:
        _recent_ids.clear()
    _recent_ids[key] = (stamp, [publication.id for publication in publications])
    return publications


def publication_counts(actor: Actor) -> dict[str, int]:
    rows = db.session.execute(
        select(Publication.status, func.count())
        .where(Publication.actor_id == actor.id, belongs(Publication, actor))
        .group_by(Publication.status)
    )
    counts = {"draft": 0, "published": 0, "archived": 0}
    counts.update({status: count for status, count in rows})
    return counts


@page_part
def _recent_on_actor_page(actor: Actor) -> dict[str, Any]:
    return {"publications": recent_publications(actor)}


@dashboard_part
def _counts_on_dashboard(actor: Actor) -> dict[str, Any]:
    return {"publication_counts": publication_counts(actor)}


# --- what the public may see -------------------------------------------------------------


def visible_criteria(territory_id: Any, now: Any = None) -> list[Any]:
    """Where-clauses of a publication the public may see in a territory: published (and not
    scheduled for later), not unpublished by the town, by a verified actor. The query must
    join ``Actor``. Same rule as ``Publication.is_visible``."""
    if now is None:
        now = utcnow()
    return [
        belongs(Publication, territory_id),
        Publication.status == "published",
        Publication.moderated_at.is_(None),
        Publication.published_at <= now,
        Actor.status == "verified",
    ]


def current_criteria(now: Any, event_cutoff: Any = None) -> Any:
    """Not over yet: events not finished, offers still valid (news never expire).
    ``event_cutoff`` is ``now - EVENT_DEFAULT_DURATION`` (given apart for bound parameters)."""
    if event_cutoff is None:
        event_cutoff = now - EVENT_DEFAULT_DURATION
    return or_(
        Publication.kind.not_in(("event", "offer")),
        and_(
            Publication.kind == "event",
            or_(
                Publication.ends_at >= now,
                and_(
                    Publication.ends_at.is_(None),
                    or_(
                        Publication.starts_at.is_(None),
                        Publication.starts_at >= event_cutoff,
                    ),
                ),
            ),
        ),
        and_(
            Publication.kind == "offer",
            or_(Publication.valid_until.is_(None), Publication.valid_until >= now),
        ),
    )

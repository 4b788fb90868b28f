"""Publications: news, events and offers of an actor, their life cycle (draft, published,
archived), the town's moderation, and the queries other domains use to show them.

These functions are plain Python over the database session; routes only call them."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import Select, func, select

from app.actors.models import Actor
from app.extensions import db
from app.models_common import utcnow
from app.publications.models import PUBLICATION_KINDS, PUBLICATION_STATUSES, Publication
from app.territories.models import Hashtag, Territory
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


def active_hashtags(territory: Territory) -> list[Hashtag]:
    return list(
        db.session.scalars(
            select(Hashtag)
            .where(Hashtag.territory_id == territory.id, Hashtag.active.is_(True))
            .order_by(Hashtag.tag)
        )
    )


def resolve_hashtags(territory: Territory, text: str | None) -> tuple[list[Hashtag], list[str]]:
    """The catalogue entries named in ``text``, and the names that are not (active) in it."""
    wanted = split_hashtags(text)
    if not wanted:
        return [], []
    found = {
        h.tag: h
        for h in db.session.scalars(
            select(Hashtag).where(
                Hashtag.territory_id == territory.id,
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
    **fields: Any,
) -> Publication:
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
    db.session.commit()
    return publication


def update_publication(
    publication: Publication,
    *,
    hashtags: Iterable[Hashtag] | None = None,
    image_media_id: int | None = None,
    remove_image: bool = False,
    **fields: Any,
) -> Publication:
    _apply_fields(publication, fields)
    if hashtags is not None:
        publication.hashtags = list(hashtags)
    if image_media_id is not None:
        publication.image_media_id = image_media_id
    elif remove_image:
        publication.image_media_id = None
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
        setattr(publication, name, value)


def set_status(publication: Publication, status: str, commit: bool = True) -> Publication:
    """Move a publication to draft, published or archived; the first publication dates it.
    Commits (unless ``commit=False``)."""
    if status not in PUBLICATION_STATUSES:
        raise ValueError(f"unknown publication status {status!r}")
    publication.status = status
    if status == "published" and publication.published_at is None:
        publication.published_at = utcnow()
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

def visible_publications_query(territory: Territory | None = None) -> Select[tuple[Publication]]:
    """A SELECT of the publications the public may see in the current (or given) territory:
    published, not moderated, by a verified actor. Unordered: callers add their order and limit."""
    if territory is None:
        from app.territories.context import current_territory

        territory = current_territory()
    return (
        select(Publication)
        .join(Actor, Actor.id == Publication.actor_id)
        .where(
            Publication.territory_id == territory.id,
            Publication.status == "published",
            Publication.moderated_at.is_(None),
            Actor.status == "verified",
        )
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
    query = select(Publication).where(
        Publication.territory_id == actor.territory_id, Publication.actor_id == actor.id
    )
    if status in PUBLICATION_STATUSES:
        query = query.where(Publication.status == status)
    else:
        query = query.where(Publication.status != "archived")
    query = query.order_by(Publication.updated_at.desc(), Publication.id.desc())
    return list(db.session.scalars(query).unique())


def status_counts(actor: Actor) -> dict[str, int]:
    rows = db.session.execute(
        select(Publication.status, func.count())
        .where(Publication.territory_id == actor.territory_id, Publication.actor_id == actor.id)
        .group_by(Publication.status)
    )
    counts = {status: 0 for status in PUBLICATION_STATUSES}
    counts.update({status: count for status, count in rows})
    return counts

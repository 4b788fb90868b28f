"""What a territory administrator does: aggregate counts, verifying actors, moderating content.

The town never sees individual citizens: only counts, and a count under the territory's
anonymity floor is shown as "fewer than N"."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from app.accounts.models import User
from app.actors.models import Actor, Follow
from app.extensions import db
from app.models_common import utcnow
from app.publications.models import Publication
from app.releases.engine import DAY, Asker, Question, Released, established, release
from app.territories.models import Hashtag, Neighbourhood, Territory
from app.territories.scoping import belongs, scoped


@dataclass
class Overview:
    citizens: Released  # established accounts, released once a day
    followers: Released
    actors_verified: int
    actors_pending: int
    publications: dict[str, int]
    moderated: int
    neighbourhoods: int
    hashtags_active: int


def overview(territory: Territory) -> Overview:
    town = Asker.town(territory)
    citizens = release(town, Question("citizens", (), DAY, chosen=False), lambda: db.session.scalar(
        select(func.count()).select_from(User).where(belongs(User, territory), established(territory))
    ) or 0)
    followers = release(town, Question("following_anyone", (), DAY, chosen=False), lambda: db.session.scalar(
        select(func.count(func.distinct(Follow.user_id))).join(Actor, Actor.id == Follow.actor_id)
        .join(User, User.id == Follow.user_id).where(belongs(Actor, territory), established(territory))
    ) or 0)
    actor_counts = dict(
        db.session.execute(
            select(Actor.status, func.count()).where(belongs(Actor, territory)).group_by(Actor.status)
        ).all()
    )
    publication_counts = dict(
        db.session.execute(
            select(Publication.kind, func.count())
            .where(belongs(Publication, territory), Publication.status == "published",
                   Publication.moderated_at.is_(None))
            .group_by(Publication.kind)
        ).all()
    )
    moderated = db.session.scalar(
        select(func.count()).select_from(Publication)
        .where(belongs(Publication, territory), Publication.moderated_at.is_not(None))
    ) or 0
    neighbourhoods = db.session.scalar(
        select(func.count()).select_from(Neighbourhood).where(belongs(Neighbourhood, territory))
    ) or 0
    hashtags = db.session.scalar(
        select(func.count()).select_from(Hashtag)
        .where(belongs(Hashtag, territory), Hashtag.active.is_(True))
    ) or 0
    return Overview(
        citizens=citizens,
        followers=followers,
        actors_verified=actor_counts.get("verified", 0),
        actors_pending=actor_counts.get("pending", 0),
        publications={kind: publication_counts.get(kind, 0) for kind in ("news", "event", "offer")},
        moderated=moderated,
        neighbourhoods=neighbourhoods,
        hashtags_active=hashtags,
    )


# --- actors ---------------------------------------------------------------------------------


def pending_actors(territory: Territory) -> list[Actor]:
    return list(
        db.session.scalars(
            scoped(Actor, territory, Actor.status == "pending")
            .order_by(Actor.created_at, Actor.id)
        )
    )


def actors_with_changes(territory: Territory) -> list[Actor]:
    """Verified actors whose new name or kind waits for the town."""
    return list(
        db.session.scalars(
            scoped(
                Actor,
                territory,
                Actor.status == "verified",
                (Actor.pending_name.is_not(None)) | (Actor.pending_kind.is_not(None)),
            ).order_by(Actor.name, Actor.id)
        )
    )


def verified_actors(territory: Territory) -> list[Actor]:
    return list(
        db.session.scalars(
            scoped(Actor, territory, Actor.status == "verified").order_by(Actor.name, Actor.id)
        )
    )


# --- moderation -----------------------------------------------------------------------------


def recent_publications(territory: Territory, limit: int = 50) -> list[Publication]:
    return list(
        db.session.scalars(
            select(Publication)
            .where(belongs(Publication, territory), Publication.status != "draft")
            .order_by(Publication.published_at.desc().nulls_last(), Publication.id.desc())
            .limit(limit)
        )
    )


def unpublish(publication: Publication, admin: User, reason: str) -> Publication:
    """Hide a publication everywhere (feed, pages, agenda) until an admin restores it: the
    ``is_visible`` rule of the model reads ``moderated_at``."""
    publication.moderated_at = utcnow()
    publication.moderation_reason = reason.strip()[:280]
    db.session.commit()
    return publication


def restore(publication: Publication, admin: User) -> Publication:
    publication.moderated_at = None
    publication.moderation_reason = ""
    db.session.commit()
    return publication

"""Who may see or manage an actor. Routes ask these; templates only mirror them."""

from __future__ import annotations

from typing import Any

from flask import abort, g
from sqlalchemy import or_, select

from app.actors.models import Actor, Membership
from app.extensions import db
from app.media.models import Media
from app.media.services import MediaUse
from app.territories.scoping import same_territory


def is_member(user: Any, actor: Actor) -> bool:
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return (
        db.session.scalar(
            select(Membership.id).where(
                Membership.actor_id == actor.id, Membership.user_id == user.id
            )
        )
        is not None
    )


def is_territory_admin(user: Any, actor: Actor) -> bool:
    return bool(
        user is not None
        and getattr(user, "is_authenticated", False)
        and user.is_admin
        and same_territory(user, actor)
    )


def can_view_actor(user: Any, actor: Actor) -> bool:
    """Verified actors are public; the others only to their members and the territory's admins."""
    return actor.is_verified or is_member(user, actor) or is_territory_admin(user, actor)


def picture_uses(media: Media) -> list[MediaUse]:
    """Where ``media`` is an actor's logo or photo: seen by whoever sees the actor's page."""
    actors = db.session.scalars(
        select(Actor).where(
            Actor.territory_id == media.territory_id,
            or_(Actor.logo_media_id == media.id, Actor.photo_media_id == media.id),
        )
    )
    return [
        MediaUse(public=actor.is_verified, viewable_by=lambda user, a=actor: can_view_actor(user, a))
        for actor in actors
    ]


def can_manage_members(membership: Membership | None) -> bool:
    return membership is not None and membership.role == "owner"


def acting_actor_membership_or_404(membership_id: int) -> Membership:
    """A membership of the actor the person acts as; any other is not found."""
    membership = db.session.get(Membership, membership_id)
    if membership is None or membership.actor_id != g.actor.id:
        abort(404)
    return membership

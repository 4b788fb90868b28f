"""Who may do what with a publication."""

from __future__ import annotations

from typing import Any

from flask import abort, g
from flask_login import current_user
from sqlalchemy import select

from app.actors.models import MEMBER_ROLES, Membership
from app.extensions import db
from app.media.models import Media
from app.media.services import MediaUse
from app.publications.models import Publication
from app.territories.context import get_scoped_or_404
from app.territories.scoping import same_territory


def is_member(user: Any, publication: Publication) -> bool:
    """``user`` is an owner or editor of the publication's actor (same territory)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if not same_territory(user, publication):
        return False
    if user.__dict__.get("_has_memberships") is False:  # read with the session: member of none
        return False
    role = db.session.scalar(
        select(Membership.role).where(
            Membership.user_id == user.id, Membership.actor_id == publication.actor_id
        )
    )
    return role in MEMBER_ROLES


def can_edit(user: Any, publication: Publication) -> bool:
    """Owners and editors of the actor edit, publish and archive its publications."""
    return is_member(user, publication)


def can_view(user: Any, publication: Publication) -> bool:
    """The public sees visible publications; the actor's members also see drafts and the rest."""
    return publication.is_visible or is_member(user, publication)


def image_uses(media: Media) -> list[MediaUse]:
    """Where ``media`` is a publication's image: seen by whoever sees the publication."""
    publications = db.session.scalars(
        select(Publication).where(
            Publication.territory_id == media.territory_id, Publication.image_media_id == media.id
        )
    )
    return [
        MediaUse(public=publication.is_visible, viewable_by=lambda user, p=publication: can_view(user, p))
        for publication in publications
    ]


def own_publication_or_404(publication_id: int) -> Publication:
    """A publication of the actor the person acts as, which they may edit; any other is not
    found."""
    publication = get_scoped_or_404(Publication, publication_id)
    if publication.actor_id != g.actor.id or not can_edit(current_user, publication):
        abort(404)
    return publication

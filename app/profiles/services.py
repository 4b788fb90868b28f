"""A citizen's profile: interests (hashtags), where they live, why they are here, the actors
they follow; the onboarding that fills it in. Used for personalisation and targeting only with
the profile-targeting consent (app.accounts.consents)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import delete, func, select

from app.accounts.consents import PROFILE_TARGETING, active_consent, grant_consent, withdraw_consent
from app.accounts.models import User
from app.actors.models import Actor, ActorHashtag, Follow
from app.extensions import db
from app.models_common import utcnow
from app.territories.models import POPULATION_TYPES, Neighbourhood, Territory
from app.territories.scoping import belongs, same_territory
from app.territories.services import active_hashtags


def set_hashtags(user: User, hashtag_ids: Iterable[int]) -> None:
    """Keep only ids of this territory's active catalogue."""
    ids = set(hashtag_ids)
    user.hashtags = [h for h in active_hashtags(user.territory_id) if h.id in ids]
    db.session.commit()


def set_place(user: User, neighbourhood_id: int | None, population_type: str | None) -> None:
    hood = db.session.get(Neighbourhood, neighbourhood_id) if neighbourhood_id else None
    user.neighbourhood_id = (
        hood.id if hood is not None and same_territory(hood, user) else None
    )
    user.population_type = population_type if population_type in POPULATION_TYPES else None
    db.session.commit()


def has_personalisation(user: User) -> bool:
    return bool(user.hashtags or user.neighbourhood_id or user.population_type)


def _territory_of(user: User) -> Territory:
    territory = db.session.get(Territory, user.territory_id)
    assert territory is not None
    return territory


def _follower_counts():  # type: ignore[no-untyped-def]
    return (
        select(Follow.actor_id, func.count().label("followers"))
        .group_by(Follow.actor_id)
        .subquery()
    )


def suggested_actors(user: User, limit: int = 12) -> list[Actor]:
    """Verified actors sharing the person's hashtags (most followed first); else the most followed."""
    counts = _follower_counts()
    base = (
        select(Actor)
        .outerjoin(counts, counts.c.actor_id == Actor.id)
        .where(belongs(Actor, user), Actor.status == "verified")
        .order_by(func.coalesce(counts.c.followers, 0).desc(), Actor.name)
        .limit(limit)
    )
    tag_ids = [h.id for h in user.hashtags]
    if tag_ids:
        matching = list(
            db.session.scalars(
                base.where(
                    Actor.id.in_(
                        select(ActorHashtag.actor_id).where(ActorHashtag.hashtag_id.in_(tag_ids))
                    )
                )
            )
        )
        if matching:
            return matching
    return list(db.session.scalars(base))


def followed_actors(user: User) -> list[Actor]:
    return list(
        db.session.scalars(
            select(Actor)
            .join(Follow, Follow.actor_id == Actor.id)
            .where(Follow.user_id == user.id, belongs(Actor, user))
            .order_by(Actor.name)
        )
    )


def follow_actors(user: User, actor_ids: Iterable[int]) -> None:
    """Follow these (verified, same-territory) actors; already followed ones are left alone."""
    ids = set(actor_ids)
    if not ids:
        return
    allowed = set(
        db.session.scalars(
            select(Actor.id).where(
                Actor.id.in_(ids),
                belongs(Actor, user),
                Actor.status == "verified",
            )
        )
    )
    already = set(db.session.scalars(select(Follow.actor_id).where(Follow.user_id == user.id)))
    for actor_id in allowed - already:
        db.session.add(Follow(user_id=user.id, actor_id=actor_id))
    db.session.commit()


def unfollow_actor(user: User, actor_id: int) -> None:
    db.session.execute(delete(Follow).where(Follow.user_id == user.id, Follow.actor_id == actor_id))
    db.session.commit()


def finish_onboarding(user: User) -> None:
    if user.onboarded_at is None:
        user.onboarded_at = utcnow()
        db.session.commit()


@dataclass
class ProfileChoices:
    display_name: str
    language: str | None
    hashtag_ids: list[int]
    neighbourhood_id: int | None
    population_type: str | None
    personalise: bool


def update_profile(user: User, choices: ProfileChoices) -> None:
    user.display_name = choices.display_name.strip()
    territory = _territory_of(user)
    user.language = choices.language if choices.language in territory.enabled_languages else None
    db.session.commit()
    set_hashtags(user, choices.hashtag_ids)
    set_place(user, choices.neighbourhood_id, choices.population_type)
    consent = active_consent(user, PROFILE_TARGETING)
    if choices.personalise and consent is None:
        grant_consent(user, PROFILE_TARGETING, detail="profile")
    elif not choices.personalise and consent is not None:
        withdraw_consent(user, consent.id)

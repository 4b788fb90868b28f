"""Helpers for the campaign tests: a town with two actors and their editors, many citizens."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import pytest
from flask import Flask

from app.accounts.models import Consent, User, UserHashtag
from app.actors.models import Actor, Follow
from app.extensions import db
from app.territories.models import Hashtag, Neighbourhood, Territory
from tests.factories import (
    JOINED_AT,
    NEGLIGIBLE_NOISE,
    make_actor,
    make_hashtag,
    make_member,
    make_neighbourhood,
    make_territory,
    make_user,
)

_seq = itertools.count(1)


def add_citizens(
    territory: Territory,
    count: int,
    *,
    hashtags: list[Hashtag] = (),  # type: ignore[assignment]
    follows: Actor | None = None,
    neighbourhood: Neighbourhood | None = None,
    population_type: str | None = None,
    language: str | None = "fr",
    consent: bool = True,
    name_prefix: str = "Citizen",
) -> list[User]:
    """``count`` people at once (no password hashing: they never log in), with a profile."""
    users = []
    for _ in range(count):
        n = next(_seq)
        users.append(
            User(
                territory_id=territory.id,
                email=f"{name_prefix.lower()}{n}@example.org",
                password_hash="x",
                email_verified_at=JOINED_AT,
                created_at=JOINED_AT,
                display_name=f"{name_prefix} {n}",
                language=language,
                neighbourhood_id=neighbourhood.id if neighbourhood else None,
                population_type=population_type,
            )
        )
    db.session.add_all(users)
    db.session.flush()
    for user in users:
        for tag in hashtags:
            db.session.add(UserHashtag(user_id=user.id, hashtag_id=tag.id))
        if follows is not None:
            db.session.add(Follow(user_id=user.id, actor_id=follows.id))
        if consent:
            db.session.add(Consent(user_id=user.id, purpose="profile_targeting"))
    db.session.commit()
    return users


@dataclass
class Town:
    territory: Territory
    actor: Actor
    other_actor: Actor
    editor: User
    other_editor: User
    bio: Hashtag
    theatre: Hashtag
    port: Neighbourhood
    hills: Neighbourhood


@pytest.fixture
def town(app: Flask) -> Town:
    # These tests are about who criteria reach and how campaigns go out: audiences and figures
    # are released with negligible noise, so the floor and rounding act on the counts set up here
    # (the noise itself: tests/releases).
    territory = make_territory(timezone="Europe/Paris", **NEGLIGIBLE_NOISE)
    actor = make_actor(territory, "Boulangerie du Port")
    other_actor = make_actor(territory, "Club de Voile", kind="sports_club")
    editor = make_user(territory, language="en", display_name="Editor")
    other_editor = make_user(territory, language="en", display_name="Other editor")
    make_member(editor, actor, role="editor")
    make_member(other_editor, other_actor, role="owner")
    bio = make_hashtag(territory, "bio")
    theatre = make_hashtag(territory, "theatre")
    port = make_neighbourhood(territory, "Port")
    hills = make_neighbourhood(territory, "Hills")
    return Town(territory, actor, other_actor, editor, other_editor, bio, theatre, port, hills)

"""A town with two actors, hashtags and a citizen; and a second town (nothing of it may leak)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from flask import Flask

from app.accounts.models import User
from app.actors.models import Actor
from app.territories.models import Hashtag, Territory
from tests.factories import make_actor, make_hashtag, make_territory, make_user


@dataclass
class Town:
    territory: Territory
    market: Actor
    club: Actor
    citizen: User
    bio: Hashtag
    sport: Hashtag
    other: Territory
    other_actor: Actor


@pytest.fixture
def town(app: Flask) -> Town:
    territory = make_territory(timezone="Europe/Paris")
    market = make_actor(territory, "Marché du Port", kind="merchant")
    club = make_actor(territory, "Club de Voile", kind="sports_club")
    citizen = make_user(territory, language="en")
    other = make_territory(slug="aubagne", name="Aubagne", hosts=("aubagne.localhost",), timezone="Europe/Paris")
    other_actor = make_actor(other, "Ailleurs")
    return Town(territory, market, club, citizen, make_hashtag(territory, "bio"), make_hashtag(territory, "sport"),
                other, other_actor)

"""Helpers for the publication tests: a town with an actor and its editor."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from flask import Flask

from app.accounts.models import User
from app.actors.models import Actor
from app.territories.models import Hashtag, Territory
from tests.factories import make_actor, make_hashtag, make_member, make_territory, make_user


@dataclass
class Town:
    territory: Territory
    actor: Actor
    other_actor: Actor
    editor: User
    other_editor: User
    citizen: User
    bio: Hashtag
    theatre: Hashtag


@pytest.fixture
def town(app: Flask) -> Town:
    territory = make_territory(timezone="Europe/Paris")
    actor = make_actor(territory, "Boulangerie du Port")
    other_actor = make_actor(territory, "Club de Voile", kind="sports_club")
    editor = make_user(territory, language="en")
    other_editor = make_user(territory, language="en")
    citizen = make_user(territory, language="en")
    make_member(editor, actor, role="editor")
    make_member(other_editor, other_actor, role="owner")
    bio = make_hashtag(territory, "bio")
    theatre = make_hashtag(territory, "theatre")
    return Town(territory, actor, other_actor, editor, other_editor, citizen, bio, theatre)

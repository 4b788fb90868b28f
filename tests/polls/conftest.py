"""A town with an association that runs a poll: one question of each kind."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient

from app.accounts.consents import PROFILE_TARGETING, grant_consent
from app.accounts.models import User
from app.actors.models import Actor
from app.extensions import db
from app.models_common import utcnow
from app.polls.models import PollOption, PollQuestion
from app.publications.models import Publication
from app.territories.models import Territory
from tests.factories import (
    login_as,
    make_actor,
    make_member,
    make_publication,
    make_territory,
    make_user,
)
from tests.support.csrf import csrf_token


@dataclass
class PollTown:
    territory: Territory
    association: Actor
    president: User
    poll: Publication


def make_poll(actor: Actor, *, kinds: tuple[str, ...] = ("single", "multiple", "scale", "ranking", "text"),
              opens_in: timedelta = timedelta(hours=-1), closes_in: timedelta = timedelta(days=7),
              **fields: object) -> Publication:
    now = utcnow()
    poll = make_publication(actor, title="The market square", kind="poll", valid_from=now + opens_in,
                            valid_until=now + closes_in, **fields)
    texts = {
        "single": ("Where should the market go?", ["Square", "Harbour", "Park"]),
        "multiple": ("What would you like there?", ["Trees", "Benches", "Fountain"]),
        "scale": ("How happy are you with it now?", []),
        "ranking": ("Rank the days", ["Saturday", "Sunday", "Wednesday"]),
        "text": ("Anything else?", []),
    }
    for position, kind in enumerate(kinds, start=1):
        text, options = texts[kind]
        question = PollQuestion(publication_id=poll.id, position=position, kind=kind, text=text,
                                required=kind in ("single",), scale_max=5 if kind == "scale" else None)
        question.options = [PollOption(label=label, position=i) for i, label in enumerate(options, start=1)]
        db.session.add(question)
    db.session.commit()
    return poll


@pytest.fixture
def town(app: Flask) -> PollTown:
    territory = make_territory(timezone="Europe/Paris", established_after_days=0)
    association = make_actor(territory, "Friends of the market", kind="association")
    president = make_user(territory, language="en")
    make_member(president, association)
    return PollTown(territory, association, president, make_poll(association))


def question(poll: Publication, kind: str) -> PollQuestion:
    return next(q for q in db.session.query(PollQuestion).filter_by(publication_id=poll.id) if q.kind == kind)


def option(poll: Publication, kind: str, label: str) -> int:
    return next(o.id for o in question(poll, kind).options if o.label == label)


def citizen(territory: Territory, *, share: bool = True, **fields: object) -> User:
    fields.setdefault("language", "en")
    user = make_user(territory, **fields)
    if share:
        grant_consent(user, PROFILE_TARGETING, detail="test")
    return user


def answer(client: FlaskClient, poll: Publication, data: dict[str, object], share: bool = True):  # type: ignore[no-untyped-def]
    token = csrf_token(client, f"/polls/{poll.id}")
    form = {"csrf_token": token, **{k: v for k, v in data.items()}}
    if share:
        form["share"] = "yes"
    return client.post(f"/polls/{poll.id}/answer", data=form)


def logged_in(app: Flask, user: User) -> FlaskClient:
    client = app.test_client()
    login_as(client, user)
    return client

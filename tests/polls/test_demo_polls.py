"""The demo territories come with polls people have answered: La Ciotat's place poll about the
market square (live results) and the town's closed consultation (results once closed), with
enough answers that the results pages show figures above the floor."""

from __future__ import annotations

import csv
import io
import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from app.accounts.models import User
from app.extensions import db
from app.polls.models import PollQuestion, PollRespondent, PollSheet, PollTally
from app.publications.models import Publication
from app.releases.floor import anonymity_floor
from app.territories.models import Territory
from tests.factories import login_as


@pytest.fixture
def demo(runner):  # type: ignore[no-untyped-def]
    result = runner.invoke(args=["demo", "load"])
    assert result.exit_code == 0, result.output
    return db.session.scalar(select(Territory).where(Territory.slug == "laciotat"))


def _poll(territory: Territory, title_start: str) -> Publication:
    return db.session.scalars(select(Publication).where(
        Publication.territory_id == territory.id, Publication.kind == "poll", Publication.title.like(f"{title_start}%")
    )).one()


def _figures(client: FlaskClient, poll: Publication) -> list[int]:
    """The figures the results show (the CSV holds exactly them; a hidden one is empty), after
    checking the page shows how many people answered."""
    page = client.get(f"/polls/{poll.id}/results")
    assert page.status_code == 200
    assert re.search(r'<strong id="poll-respondents">\d', page.get_data(as_text=True))
    rows = list(csv.DictReader(io.StringIO(client.get(f"/polls/{poll.id}/results.csv").get_data(as_text=True))))
    return [int(row["people"]) for row in rows if row["people"]]


def test_the_market_square_poll_is_a_place_poll_with_live_results(app: Flask, demo: Territory) -> None:
    poll = _poll(demo, "La place du marché")
    assert poll.radius_m and poll.lat is not None and poll.poll_results == "live"
    assert poll.actor.kind == "town_service"
    kinds = set(db.session.scalars(select(PollQuestion.kind).where(PollQuestion.publication_id == poll.id)))
    assert kinds == {"single", "multiple", "scale", "ranking", "text"}
    respondents = db.session.scalar(select(func.count()).select_from(PollRespondent)
                                    .where(PollRespondent.publication_id == poll.id))
    # Residents, people passing through and visitors answered, each with a sheet of their own.
    assert respondents >= 100
    assert db.session.scalar(select(func.count()).select_from(PollSheet)
                             .where(PollSheet.publication_id == poll.id)) == respondents
    populations = set(db.session.scalars(select(PollTally.group).where(
        PollTally.publication_id == poll.id, PollTally.dim == "population", PollTally.count > 0)))
    assert {"resident", "tourist", ""} <= populations  # "": those who did not share their groups
    # The demo accounts are left to answer themselves.
    citizen = db.session.scalar(select(User).where(User.email == "citoyen@demo.territory", User.territory_id == demo.id))
    assert db.session.get(PollRespondent, (poll.id, citizen.id)) is None

    figures = _figures(app.test_client(), poll)
    assert len(figures) >= 8 and all(n >= anonymity_floor(demo) for n in figures)


def test_the_town_consultation_shows_its_results_once_closed(app: Flask, demo: Territory) -> None:
    poll = _poll(demo, "Consultation")
    assert poll.actor.name == "Mairie de La Ciotat" and poll.poll_results == "closed"
    client = app.test_client()
    page = client.get(f"/polls/{poll.id}").get_data(as_text=True)
    assert "This poll is closed." in page and "See the results" in page
    figures = _figures(client, poll)
    assert len(figures) >= 8 and all(n >= anonymity_floor(demo) for n in figures)
    export = client.get(f"/polls/{poll.id}/results.csv").get_data(as_text=True)
    assert {row["figures"] for row in csv.DictReader(io.StringIO(export))} == {"final"}


def test_a_demo_citizen_can_answer_the_place_poll(app: Flask, demo: Territory) -> None:
    poll = _poll(demo, "La place du marché")
    citizen = db.session.scalar(select(User).where(User.email == "citoyen@demo.territory", User.territory_id == demo.id))
    client = app.test_client()
    login_as(client, citizen)
    page = client.get(f"/polls/{poll.id}").get_data(as_text=True)
    assert "Send my answer" in page or "Envoyer ma réponse" in page

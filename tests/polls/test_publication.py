"""A poll is a publication: written with the publication form and the question editor, shown in
the feeds, on its actor's page, in the agenda when it has a date, and in Near me when it is tied
to a zone."""

from __future__ import annotations

import json
from datetime import timedelta

from flask import Flask
from sqlalchemy import select

from app.extensions import db
from app.models_common import utcnow
from app.places.near import Origin, near_items
from app.polls.models import PollQuestion
from app.publications.models import Publication
from tests.factories import login_as, make_neighbourhood
from tests.polls.conftest import PollTown, answer, citizen, logged_in, make_poll, option, question
from tests.support.csrf import csrf_token


def _member(app: Flask, town: PollTown):  # type: ignore[no-untyped-def]
    client = app.test_client()
    login_as(client, town.president, acting_actor=town.association)
    return client


def test_an_actor_writes_a_poll_then_its_questions(app: Flask, town: PollTown) -> None:
    client = _member(app, town)
    token = csrf_token(client, "/manage/publications/new?kind=poll")
    response = client.post("/manage/publications/new?kind=poll", data={
        "csrf_token": token, "title": "Sunday market?", "summary": "Tell us", "valid_from": "2026-12-01T09:00",
        "valid_until": "2027-01-10T18:00", "poll_results": "closed", "action": "save",
    })
    assert response.status_code == 303, response.get_data(as_text=True)
    poll = db.session.scalar(select(Publication).where(Publication.title == "Sunday market?"))
    assert poll.kind == "poll" and poll.poll_results == "closed" and poll.status == "draft"
    assert response.headers["Location"].endswith(f"/manage/polls/{poll.id}/questions")
    editor = f"/manage/polls/{poll.id}/questions"
    refused = client.post(editor, data={"csrf_token": token, "kind": "single", "text": "Which hour?", "options": "9h",
                                        "scale_max": "5", "required": "y"})
    assert refused.status_code == 422 and "at least two answers" in refused.get_data(as_text=True)
    added = client.post(editor, data={"csrf_token": token, "kind": "single", "text": "Which hour?",
                                      "options": "9h\n10h\n9h\n", "scale_max": "5", "required": "y"})
    assert added.status_code == 303 and added.headers["Location"].endswith("#new-question")
    client.post(editor, data={"csrf_token": token, "kind": "scale", "text": "How much?", "scale_max": "10"})
    questions = list(db.session.scalars(select(PollQuestion).where(PollQuestion.publication_id == poll.id)
                                        .order_by(PollQuestion.position)))
    assert [(q.kind, [o.label for o in q.options], q.scale_max) for q in questions] == [
        ("single", ["9h", "10h"], None), ("scale", [], 10)]
    client.post(f"{editor}/{questions[1].id}/move", data={"csrf_token": token, "direction": "up"})
    db.session.expire_all()
    assert [q.text for q in sorted(questions, key=lambda q: q.position)] == ["How much?", "Which hour?"]
    # Another actor's member cannot touch it.
    other = citizen(town.territory)
    outsider = logged_in(app, other)
    assert outsider.get(editor).status_code in (302, 303, 403, 404)


def test_the_questions_are_kept_once_people_have_answered(app: Flask, town: PollTown) -> None:
    poll = town.poll
    single = question(poll, "single")
    answer(logged_in(app, citizen(town.territory)), poll, {f"q{single.id}": option(poll, "single", "Park")})
    client = _member(app, town)
    editor = f"/manage/polls/{poll.id}/questions"
    token = csrf_token(client, editor)
    assert "can no longer change" in client.get(editor).get_data(as_text=True)
    client.post(f"{editor}/{single.id}/delete", data={"csrf_token": token})
    assert db.session.get(PollQuestion, single.id) is not None


def test_a_poll_shows_in_the_feed_on_its_actors_page_and_with_a_date_in_the_agenda(app: Flask, town: PollTown) -> None:
    client = logged_in(app, citizen(town.territory))
    assert "The market square" in client.get("/all?kind=poll").get_data(as_text=True)
    assert "The market square" in client.get(f"/actors/{town.association.slug}").get_data(as_text=True)
    assert client.get(f"/p/{town.poll.id}").headers["Location"].endswith(f"/polls/{town.poll.id}")
    agenda = client.get("/agenda").get_data(as_text=True)
    assert "The market square" not in agenda
    dated = make_poll(town.association, kinds=("single",), starts_at=utcnow() + timedelta(days=2),
                      ends_at=utcnow() + timedelta(days=2, hours=2))
    dated.title = "Vote on the square"
    db.session.commit()
    agenda = client.get("/agenda").get_data(as_text=True)
    assert "Vote on the square" in agenda and f'href="/polls/{dated.id}"' in agenda


def test_a_place_poll_is_in_near_me_for_people_there_or_living_there(app: Flask, town: PollTown) -> None:
    square = {"type": "Polygon", "coordinates": [[[5.600, 43.170], [5.610, 43.170], [5.610, 43.180],
                                                   [5.600, 43.180], [5.600, 43.170]]]}
    place = make_poll(town.association, kinds=("single",), lat=43.175, lon=5.605, zone_geojson=json.dumps(square))
    place.title = "Market square poll"
    db.session.commit()
    here = Origin(43.175, 5.605, "live")
    away = Origin(43.150, 5.640, "live")
    assert any(i.publication and i.publication.id == place.id for i in near_items(town.territory, here))
    assert not any(i.publication and i.publication.id == place.id for i in near_items(town.territory, away))
    hood = make_neighbourhood(town.territory, "Port")
    hood.geojson = json.dumps(square)
    db.session.commit()
    resident = citizen(town.territory, neighbourhood_id=hood.id)
    with app.test_request_context():
        from flask_login import login_user

        login_user(resident)
        from flask_login import current_user

        items = near_items(town.territory, away, user=current_user)
    assert any(i.publication and i.publication.id == place.id for i in items)


def test_near_me_kept_still_shows_a_place_poll_only_to_the_people_living_in_its_zone(app: Flask, town: PollTown) -> None:
    """Near me's list is kept per search point (app.fragments): while a place poll is on, where
    the person lives is part of the key, so a neighbour and someone from elsewhere searching from
    the same point get each their own list."""
    from tests.factories import login_as

    square = {"type": "Polygon", "coordinates": [[[5.600, 43.170], [5.610, 43.170], [5.610, 43.180],
                                                   [5.600, 43.180], [5.600, 43.170]]]}
    place = make_poll(town.association, kinds=("single",), lat=43.175, lon=5.605, zone_geojson=json.dumps(square))
    place.title = "Market square poll"
    hood = make_neighbourhood(town.territory, "Port")
    hood.geojson = json.dumps(square)
    db.session.commit()
    resident, visitor = citizen(town.territory, neighbourhood_id=hood.id), citizen(town.territory)
    first, second = app.test_client(), app.test_client()
    login_as(first, resident)
    login_as(second, visitor)
    away = "/near?lat=43.15000&lon=5.64000"
    assert "Market square poll" in first.get(away).get_data(as_text=True)
    assert "Market square poll" not in second.get(away).get_data(as_text=True)
    assert "Market square poll" in first.get(away).get_data(as_text=True)

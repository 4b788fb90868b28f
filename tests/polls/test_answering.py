"""Answering a poll: once per person, from a plain form (no script), changed and withdrawn
until it closes, from the browser that holds the person's ballot key."""

from __future__ import annotations

from datetime import timedelta

from flask import Flask
from sqlalchemy import func, select

from app.extensions import db
from app.polls.answers import scrub
from app.polls.keys import COOKIE
from app.polls.models import ANSWERED, PollRespondent, PollSheet, PollTally, PollText
from tests.polls.conftest import PollTown, answer, citizen, logged_in, make_poll, option, question


def tally(poll, question_id: int, option_id: int = 0, value: int = 0, dim: str = "all", group: str = "") -> int:  # type: ignore[no-untyped-def]
    return int(db.session.scalar(select(func.coalesce(func.sum(PollTally.count), 0)).where(
        PollTally.publication_id == poll.id, PollTally.question_id == question_id, PollTally.option_id == option_id,
        PollTally.value == value, PollTally.dim == dim, PollTally.group == group,
    )) or 0)


def test_a_person_answers_once_from_a_plain_form_and_changes_the_answer(app: Flask, town: PollTown) -> None:
    poll = town.poll
    person = citizen(town.territory, population_type="resident")
    client = logged_in(app, person)
    page = client.get(f"/polls/{poll.id}").get_data(as_text=True)
    assert 'type="radio"' in page and "Send my answer" in page and "<script" not in page.split("<main", 1)[-1]
    single, multiple = question(poll, "single"), question(poll, "multiple")
    square, harbour = option(poll, "single", "Square"), option(poll, "single", "Harbour")
    trees, benches = option(poll, "multiple", "Trees"), option(poll, "multiple", "Benches")

    response = answer(client, poll, {f"q{single.id}": square, f"q{multiple.id}": [trees, benches]})
    assert response.status_code == 303
    assert client.get_cookie(COOKIE) is not None
    assert tally(poll, single.id, square) == 1
    assert tally(poll, multiple.id, trees) == 1 and tally(poll, multiple.id, benches) == 1
    assert tally(poll, single.id, square, dim="population", group="resident") == 1
    page = client.get(f"/polls/{poll.id}").get_data(as_text=True)
    assert "Change my answer" in page and f'value="{square}" checked' in page

    response = answer(client, poll, {f"q{single.id}": harbour, f"q{multiple.id}": [benches]})
    assert response.status_code == 303
    assert tally(poll, single.id, square) == 0 and tally(poll, single.id, harbour) == 1
    assert tally(poll, multiple.id, trees) == 0 and tally(poll, multiple.id, benches) == 1
    assert tally(poll, 0, 0, ANSWERED) == 1
    assert db.session.scalar(select(func.count()).select_from(PollRespondent)) == 1
    assert db.session.scalar(select(func.count()).select_from(PollSheet)) == 1


def test_another_browser_cannot_answer_again_nor_read_the_answer(app: Flask, town: PollTown) -> None:
    poll = town.poll
    person = citizen(town.territory)
    single = question(poll, "single")
    assert answer(logged_in(app, person), poll, {f"q{single.id}": option(poll, "single", "Park")}).status_code == 303
    other_browser = logged_in(app, person)
    page = other_browser.get(f"/polls/{poll.id}").get_data(as_text=True)
    assert "from another browser or device" in page and "Send my answer" not in page
    refused = answer(other_browser, poll, {f"q{single.id}": option(poll, "single", "Square")})
    assert refused.status_code == 409
    assert tally(poll, single.id, option(poll, "single", "Park")) == 1
    assert tally(poll, single.id, option(poll, "single", "Square")) == 0


def test_withdrawing_takes_the_answer_out_of_every_count(app: Flask, town: PollTown) -> None:
    poll = town.poll
    client = logged_in(app, citizen(town.territory, population_type="tourist"))
    single, text = question(poll, "single"), question(poll, "text")
    answer(client, poll, {f"q{single.id}": option(poll, "single", "Park"), f"q{text.id}": "More shade"})
    assert db.session.scalar(select(func.count()).select_from(PollText)) == 1
    from tests.support.csrf import csrf_token

    response = client.post(f"/polls/{poll.id}/withdraw", data={"csrf_token": csrf_token(client, f"/polls/{poll.id}")})
    assert response.status_code == 303
    assert db.session.scalar(select(func.coalesce(func.sum(PollTally.count), 0))) == 0
    assert db.session.scalar(select(func.count()).select_from(PollText)) == 0
    assert db.session.scalar(select(func.count()).select_from(PollRespondent)) == 0
    assert db.session.scalar(select(func.count()).select_from(PollSheet)) == 0
    assert "Send my answer" in client.get(f"/polls/{poll.id}").get_data(as_text=True)


def test_a_refused_answer_says_why_next_to_the_question_and_keeps_what_was_given(app: Flask, town: PollTown) -> None:
    poll = town.poll
    client = logged_in(app, citizen(town.territory))
    ranking, multiple = question(poll, "ranking"), question(poll, "multiple")
    ids = [o.id for o in ranking.options]
    benches = option(poll, "multiple", "Benches")
    response = answer(client, poll, {f"q{ranking.id}-{ids[0]}": "1", f"q{ranking.id}-{ids[1]}": "3",
                                     f"q{multiple.id}": [benches]})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "This question needs an answer." in page  # the single choice is required
    assert "no gap" in page
    assert f'value="{benches}" checked' in page
    assert db.session.scalar(select(func.count()).select_from(PollRespondent)) == 0


def test_a_closed_or_unopened_poll_takes_no_answer(app: Flask, town: PollTown) -> None:
    closed = make_poll(town.association, kinds=("single",), opens_in=timedelta(days=-3), closes_in=timedelta(hours=-1))
    later = make_poll(town.association, kinds=("single",), opens_in=timedelta(days=1), closes_in=timedelta(days=3))
    client = logged_in(app, citizen(town.territory))
    for poll in (closed, later):
        single = question(poll, "single")
        response = answer(client, poll, {f"q{single.id}": single.options[0].id})
        assert response.status_code == 409
    assert db.session.scalar(select(func.count()).select_from(PollRespondent)) == 0


def test_multiple_choice_counts_each_option_not_combinations(app: Flask, town: PollTown) -> None:
    poll = town.poll
    multiple = question(poll, "multiple")
    trees, benches, fountain = (option(poll, "multiple", name) for name in ("Trees", "Benches", "Fountain"))
    single = question(poll, "single")
    for chosen in ([trees, benches], [trees], [benches, fountain]):
        answer(logged_in(app, citizen(town.territory)), poll,
               {f"q{single.id}": option(poll, "single", "Square"), f"q{multiple.id}": chosen})
    assert (tally(poll, multiple.id, trees), tally(poll, multiple.id, benches), tally(poll, multiple.id, fountain)) == (2, 2, 1)
    assert tally(poll, multiple.id, 0, ANSWERED) == 3


def test_short_texts_lose_email_addresses_and_phone_numbers() -> None:
    assert "jo@example.org" not in scrub("Write to jo@example.org please")
    cleaned = scrub("Call me on +33 6 12 34 56 78 or 06.12.34.56.78, bench n°12")
    assert "12 34 56" not in cleaned and "56.78" not in cleaned and "n°12" in cleaned


def test_only_established_people_outside_the_actor_count(app: Flask, town: PollTown) -> None:
    poll = town.poll
    single = question(poll, "single")
    square = option(poll, "single", "Square")
    answer(logged_in(app, town.president), poll, {f"q{single.id}": square})  # the actor's own member
    answer(logged_in(app, citizen(town.territory, verified=False)), poll, {f"q{single.id}": square})
    counted = db.session.scalar(select(func.coalesce(func.sum(PollTally.count), 0)).where(
        PollTally.question_id == single.id, PollTally.option_id == square, PollTally.dim == "all",
        PollTally.counted.is_(True)))
    assert counted == 0
    assert tally(poll, single.id, square) == 2  # kept, never released


def test_the_persons_data_export_lists_the_polls_answered_not_the_answers(app: Flask, town: PollTown) -> None:
    from app.models_common import utcnow
    from app.privacy.services import SECTIONS

    person = citizen(town.territory)
    single = question(town.poll, "single")
    answer(logged_in(app, person), town.poll, {f"q{single.id}": option(town.poll, "single", "Harbour")})
    collect = next(section[2] for section in SECTIONS if section[0] == "polls_answered")
    rows = collect(person, utcnow())
    assert rows == [{"poll": "The market square", "by_actor": "Friends of the market"}]
    assert "Harbour" not in str(rows)

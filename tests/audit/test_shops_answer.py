"""A shop answers its self-assessment from its management space: saved, updated, validated,
only by its members, CSRF-protected, never for another territory's shop."""

from __future__ import annotations

import pytest

from app.audit.models_shops import ShopAnswer
from app.extensions import db
from tests.factories import login_as, make_actor, make_member, make_territory, make_user
from tests.support.csrf import csrf_token

PATH = "/manage/self-assessment"


@pytest.fixture
def merchant(client):
    territory = make_territory()
    shop = make_actor(territory, "Fromagerie")
    person = make_user(territory)
    make_member(person, shop, role="editor")
    login_as(client, person, acting_actor=shop)
    return territory, shop


def _data(client, **overrides):
    data = {"csrf_token": csrf_token(client, PATH), "listed_online": ["own_site", "social"],
            "hours_up_to_date": "yes", "click_and_collect": "planned", "delivery": "no",
            "payment": ["card", "cash"], "loyalty": "none", "comment": "Market days are busy"}
    data.update(overrides)
    return data


def test_shop_saves_then_updates_its_one_answer(client, merchant):
    _territory, shop = merchant
    page = client.get(PATH).get_data(as_text=True)
    assert "The town does not see your own answers." in page
    assert client.post(PATH, data=_data(client)).status_code == 303
    answer = db.session.query(ShopAnswer).one()
    assert answer.actor_id == shop.id and answer.listed_online == "own_site,social"
    assert answer.payment == "cash,card" and not answer.town_may_see
    first = answer.answered_at
    assert client.post(PATH, data=_data(client, delivery="yes", town_may_see="y")).status_code == 303
    db.session.expire_all()
    answer = db.session.query(ShopAnswer).one()
    assert answer.delivery == "yes" and answer.town_may_see and answer.answered_at >= first
    page = client.get(PATH).get_data(as_text=True)
    assert "You allow the town to see your own answers." in page and "Market days are busy" in page
    assert 'value="yes" checked' in page or 'checked value="yes"' in page or "checked" in page
    # revoked: the box unticked
    client.post(PATH, data=_data(client))
    db.session.expire_all()
    assert not db.session.query(ShopAnswer).one().town_may_see


@pytest.mark.parametrize("overrides", [
    {"hours_up_to_date": ""}, {"loyalty": "bribes"}, {"listed_online": []},
    {"listed_online": ["none", "own_site"]}, {"payment": []}, {"comment": "x" * 2001},
])
def test_invalid_answers_are_refused(client, merchant, overrides):
    response = client.post(PATH, data=_data(client, **overrides))
    assert response.status_code == 422
    assert db.session.query(ShopAnswer).count() == 0


def test_without_csrf_nothing_is_saved(client, merchant):
    data = _data(client)
    data.pop("csrf_token")
    assert client.post(PATH, data=data).status_code in (400, 422)
    assert db.session.query(ShopAnswer).count() == 0


def test_only_the_shops_members_answer(client):
    territory = make_territory()
    make_actor(territory, "Fromagerie")
    assert client.get(PATH).status_code == 401
    login_as(client, make_user(territory))  # not acting as any actor
    assert client.get(PATH).status_code == 403


def test_an_actor_that_is_not_a_shop_has_no_questionnaire(client):
    territory = make_territory()
    club = make_actor(territory, "Club", kind="sports_club")
    person = make_user(territory)
    make_member(person, club)
    login_as(client, person, acting_actor=club)
    assert client.get(PATH).status_code == 404


def test_another_territorys_shop_cannot_be_answered_for(client):
    make_territory()
    other = make_territory(slug="station", name="Station", hosts=("station.localhost",))
    other_shop = make_actor(other, "Ski shop")
    person = make_user(other)
    make_member(person, other_shop)
    login_as(client, person, acting_actor=other_shop, base_url="http://station.localhost")
    assert client.get(PATH, base_url="http://station.localhost").status_code == 200
    # On La Ciotat's host, the Station's shop is nobody: no answering for it there.
    assert client.get(PATH).status_code == 401
    assert db.session.query(ShopAnswer).count() == 0


def test_the_dashboard_links_to_the_questionnaire(client, merchant):
    assert PATH in client.get("/manage").get_data(as_text=True)

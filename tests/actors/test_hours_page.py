"""The actor's hours page: holidays and special days added and removed, refused input explained and
kept, another actor's exception out of reach."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from app.actors import hours
from app.actors.hours_models import HoursException
from app.extensions import db
from app.models_common import utcnow
from tests.actors.conftest import post
from tests.factories import login_as, make_actor, make_member, make_territory, make_user


def _shop(app, client):
    territory = make_territory(timezone="Europe/Paris")
    shop = make_actor(territory, "Boulangerie du Port")
    owner = make_user(territory, language="en")
    make_member(owner, shop, "owner")
    login_as(client, owner, acting_actor=shop)
    return territory, shop


def test_a_shop_adds_christmas_and_special_hours_then_removes_one(app, client):
    _territory, shop = _shop(app, client)
    page = client.get("/manage/hours")
    assert page.status_code == 200 and "No holiday or special day coming up." in page.get_data(as_text=True)
    response = post(client, "/manage/hours/exceptions", {
        "label": "Christmas", "starts_on": "2099-12-25", "closed": "closed",
    })
    assert response.status_code == 303
    response = post(client, "/manage/hours/exceptions", {
        "label": "Inventory", "starts_on": "2099-12-30", "ends_on": "2099-12-31", "closed": "special",
        "hours-open1": "10:00", "hours-close1": "13:00",
    })
    assert response.status_code == 303
    saved = list(db.session.scalars(select(HoursException).order_by(HoursException.starts_on)))
    assert [(e.label, e.starts_on, e.ends_on, e.closed, e.hours) for e in saved] == [
        ("Christmas", date(2099, 12, 25), date(2099, 12, 25), True, []),
        ("Inventory", date(2099, 12, 30), date(2099, 12, 31), False, [["10:00", "13:00"]]),
    ]
    body = client.get("/manage/hours").get_data(as_text=True)
    assert "Christmas" in body and "Inventory" in body and "10:00–13:00" in body
    assert post(client, f"/manage/hours/exceptions/{saved[0].id}/delete").status_code == 303
    assert [e.label for e in db.session.scalars(select(HoursException))] == ["Inventory"]


def test_bad_input_is_explained_and_kept_and_nothing_saved_is_lost(app, client):
    _territory, shop = _shop(app, client)
    post(client, "/manage/hours/exceptions", {"label": "Christmas", "starts_on": "2099-12-25", "closed": "closed"})
    response = post(client, "/manage/hours/exceptions", {
        "label": "Inventaire", "starts_on": "2099-12-30", "ends_on": "2099-12-29", "closed": "special",
        "hours-open1": "25:00",
    })
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "The last day cannot come before the first." in body
    assert "Use the HH:MM format, e.g. 09:30." in body
    assert 'value="Inventaire"' in body  # what was typed stays
    assert "Christmas" in body  # and what was saved too
    assert db.session.scalar(select(HoursException.label)) == "Christmas"
    response = post(client, "/manage/hours/exceptions", {"label": "", "starts_on": "", "closed": "special"})
    body = response.get_data(as_text=True)
    assert "Say what the day is, e.g. Christmas or Inventory." in body and "Give the date" in body
    assert "Give the special hours, or choose closed all day." in post(client, "/manage/hours/exceptions", {
        "label": "Fête", "starts_on": "2099-07-14", "closed": "special"}).get_data(as_text=True)


def test_the_page_is_in_the_persons_language(app, client):
    territory = make_territory(timezone="Europe/Paris")
    shop = make_actor(territory, "Boulangerie")
    owner = make_user(territory, language="fr")
    make_member(owner, shop, "owner")
    login_as(client, owner, acting_actor=shop)
    response = post(client, "/manage/hours/exceptions", {"label": "", "starts_on": "2099-07-14"})
    assert response.status_code == 422
    assert 'lang="fr"' in response.get_data(as_text=True)


def test_another_actors_exception_cannot_be_removed(app, client):
    territory, shop = _shop(app, client)
    other = make_actor(territory, "Autre boutique")
    theirs = HoursException(territory_id=territory.id, actor_id=other.id, starts_on=date(2099, 1, 1),
                            ends_on=date(2099, 1, 1), closed=True, hours_json="[]", label="New year")
    db.session.add(theirs)
    db.session.commit()
    assert post(client, f"/manage/hours/exceptions/{theirs.id}/delete").status_code == 404
    assert db.session.get(HoursException, theirs.id) is not None
    # Without the CSRF token, nothing happens.
    response = client.post("/manage/hours/exceptions", data={"label": "X", "starts_on": "2099-01-02"})
    assert response.status_code == 400


def test_the_public_page_lists_the_coming_holidays(app, client):
    territory = make_territory(timezone="Europe/Paris")
    shop = make_actor(territory, "Boulangerie du Port")
    shop.opening_hours = {"mon": [["07:00", "19:00"]]}
    db.session.commit()
    today = utcnow().date()
    hours.add_exception(shop, today + timedelta(days=3), today + timedelta(days=3), "Inventaire")
    hours.add_exception(shop, today + timedelta(days=5), today + timedelta(days=5), "Fête du port", [["10:00", "13:00"]])
    hours.add_exception(shop, today + timedelta(days=200), today + timedelta(days=200), "Trop loin")
    body = client.get(f"/actors/{shop.slug}", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Inventaire" in body and "Fête du port" in body and "10:00–13:00" in body
    assert "Trop loin" not in body

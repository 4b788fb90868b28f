"""A shop declares click-and-collect and delivery on its page: shown on the page and in Near me,
hidden when not declared; Near me filters on them."""

from __future__ import annotations

import pytest

from app.extensions import db
from tests.factories import login_as, make_actor, make_member, make_territory, make_user
from tests.support.csrf import csrf_token

ALWAYS_OPEN = {day: [["00:00", "00:00"]] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
HARBOUR = (43.1748, 5.6046)


@pytest.fixture
def shop(client):
    territory = make_territory()
    actor = make_actor(territory, "Fromagerie", lat=HARBOUR[0], lon=HARBOUR[1])
    actor.opening_hours = ALWAYS_OPEN
    db.session.commit()
    person = make_user(territory)
    make_member(person, actor, role="editor")
    login_as(client, person, acting_actor=actor)
    return territory, actor


def _page_form(client, **overrides):
    data = {"csrf_token": csrf_token(client, "/manage/page"), "name": "Fromagerie", "kind": "merchant"}
    data.update(overrides)
    return data


def test_shop_declares_click_and_collect_and_delivery_shown_on_its_page(client, shop):
    _territory, actor = shop
    form = client.get("/manage/page").get_data(as_text=True)
    assert 'id="commerce-declarations"' in form
    response = client.post("/manage/page", data=_page_form(
        client, click_and_collect="y", click_and_collect_note="Order by phone, collect tomorrow",
        delivers="y", delivery_note="In town on Fridays"))
    assert response.status_code == 303
    db.session.refresh(actor)
    assert actor.click_and_collect and actor.delivers
    assert actor.delivery_note == "In town on Fridays"
    page = client.get("/actors/fromagerie").get_data(as_text=True)
    assert 'data-commerce="click-and-collect"' in page and 'data-commerce="delivery"' in page
    assert "Order by phone, collect tomorrow" in page and "In town on Fridays" in page


def test_unticking_clears_the_note_and_hides_the_badge(client, shop):
    _territory, actor = shop
    actor.click_and_collect, actor.click_and_collect_note = True, "Old note"
    db.session.commit()
    client.post("/manage/page", data=_page_form(client, click_and_collect_note="kept?"))
    db.session.refresh(actor)
    assert not actor.click_and_collect and actor.click_and_collect_note == ""
    page = client.get("/actors/fromagerie").get_data(as_text=True)
    assert "data-commerce=" not in page and "commerce-heading" not in page


def test_a_note_too_long_is_refused(client, shop):
    response = client.post("/manage/page", data=_page_form(client, delivers="y", delivery_note="x" * 201))
    assert response.status_code == 422
    assert "At most 200 characters." in response.get_data(as_text=True)


def test_not_a_shop_sees_no_declarations(client):
    territory = make_territory()
    club = make_actor(territory, "Club", kind="sports_club")
    person = make_user(territory)
    make_member(person, club)
    login_as(client, person, acting_actor=club)
    assert 'id="commerce-declarations"' not in client.get("/manage/page").get_data(as_text=True)


def test_near_me_shows_the_badges_and_filters_on_them(client, shop):
    territory, actor = shop
    actor.click_and_collect = True
    other = make_actor(territory, "Boulangerie", lat=HARBOUR[0], lon=HARBOUR[1] + 0.001)
    other.opening_hours = ALWAYS_OPEN
    db.session.commit()
    html = client.get(f"/near?lat={HARBOUR[0]}&lon={HARBOUR[1]}").get_data(as_text=True)
    assert "Fromagerie" in html and "Boulangerie" in html
    assert html.count('data-commerce="click-and-collect"') == 1
    assert 'data-commerce="delivery"' not in html
    assert 'data-title="Fromagerie · Click-and-collect"' in html  # the map's tooltip says it too
    html = client.get(f"/near?lat={HARBOUR[0]}&lon={HARBOUR[1]}&service=click-and-collect").get_data(as_text=True)
    assert "Fromagerie" in html and "Boulangerie" not in html
    html = client.get(f"/near?lat={HARBOUR[0]}&lon={HARBOUR[1]}&service=delivery").get_data(as_text=True)
    assert "Fromagerie" not in html.split('id="near-results"')[1]
    html = client.get(f"/near?lat={HARBOUR[0]}&lon={HARBOUR[1]}&service=bogus").get_data(as_text=True)
    assert "Boulangerie" in html

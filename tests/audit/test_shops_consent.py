"""The town's view of the self-assessment: aggregates only from MIN_ANSWERS shops on; a shop's own
answers only with its consent; and no subtraction of the list from the totals isolates a shop
that kept its answers private."""

from __future__ import annotations

import re

import pytest

from app.audit import services_shops
from app.audit.services_shops import MIN_ANSWERS, list_may_be_shown
from tests.audit.shops import answered_shops
from tests.factories import login_as, make_member, make_territory, make_user

PATH = "/admin/audit/shops"


@pytest.fixture
def town(client):
    territory = make_territory()
    admin = make_user(territory, is_admin=True)
    login_as(client, admin)
    return territory


def test_only_the_towns_admins_see_the_page(client):
    territory = make_territory()
    assert client.get(PATH).status_code in (302, 401)
    login_as(client, make_user(territory))
    assert client.get(PATH).status_code == 403
    other = make_territory(slug="station", name="Station", hosts=("station.localhost",))
    login_as(client, make_user(other, is_admin=True), base_url="http://station.localhost")
    assert client.get(PATH, base_url="http://station.localhost").status_code == 200
    assert client.get(PATH).status_code == 403  # La Ciotat: still its plain resident


def test_below_the_minimum_the_breakdown_is_hidden(client, town):
    answered_shops(town, MIN_ANSWERS - 1)
    html = client.get(PATH).get_data(as_text=True)
    assert f"{MIN_ANSWERS - 1} of {MIN_ANSWERS - 1} shops answered" in html
    assert "data-option=" not in html and "breakdown-hidden" in html


def test_from_the_minimum_the_breakdown_counts_every_answer(client, town):
    answered_shops(town, MIN_ANSWERS + 1, delivery="yes")
    answered_shops(town, 2, prefix="Late", delivery="no")  # 8 shops
    view = services_shops.town_view(town)
    delivery = next(q for q in view.questions if q.question == "delivery")
    assert delivery.shown and ("yes", 6, 75) in delivery.options and ("no", 2, 25) in delivery.options
    html = client.get(PATH).get_data(as_text=True)
    assert re.search(r'data-option="yes">.*?6 of 8.*?75 %', html, re.S)


def test_a_shop_without_consent_never_appears_by_name(client, town):
    shops = answered_shops(town, 10, consenting=0, comment="Secret plans")
    html = client.get(PATH).get_data(as_text=True)
    for shop in shops:
        assert shop.name not in html
    assert "Secret plans" not in html


def test_a_consenting_shop_is_listed_when_enough_keep_theirs_private(client, town):
    shops = answered_shops(town, 2 + MIN_ANSWERS, consenting=2, comment="Open to ideas")
    html = client.get(PATH).get_data(as_text=True)
    assert shops[0].name in html and shops[1].name in html and "Open to ideas" in html
    for private in shops[2:]:
        assert private.name not in html


def test_the_subtraction_case_one_private_shop_hides_the_list(client, town):
    """Nine shops consent, one does not: totals minus the nine listed would give the tenth's
    answers, so the list is not shown (the totals still are)."""
    shops = answered_shops(town, 10, consenting=9)
    html = client.get(PATH).get_data(as_text=True)
    assert "data-option=" in html and 'id="list-hidden"' in html
    for shop in shops:
        assert shop.name not in html
    view = services_shops.town_view(town)
    assert view.private == 1 and not view.list_shown and view.consenting == []


def test_everyone_consenting_is_listed(client, town):
    shops = answered_shops(town, 3, consenting=3)
    html = client.get(PATH).get_data(as_text=True)
    assert all(shop.name in html for shop in shops)


@pytest.mark.parametrize(("answering", "private", "shown"), [
    (0, 0, False), (3, 0, True), (10, 1, False), (10, MIN_ANSWERS - 1, False), (10, MIN_ANSWERS, True),
    (MIN_ANSWERS, MIN_ANSWERS, True),
])
def test_the_rule_of_the_list(answering, private, shown):
    assert list_may_be_shown(answering, private) is shown


def test_another_territorys_answers_are_not_counted(client, town):
    other = make_territory(slug="station", name="Station", hosts=("station.localhost",))
    answered_shops(other, 6, consenting=6, prefix="Ski")
    answered_shops(town, 2)
    view = services_shops.town_view(town)
    assert view.answering == 2 and view.shops == 2
    html = client.get(PATH).get_data(as_text=True)
    assert "Ski 0" not in html


def test_the_merchant_sees_what_the_town_sees(client):
    territory = make_territory()
    shop = answered_shops(territory, 1, consenting=1, comment="Hello town")[0]
    person = make_user(territory)
    make_member(person, shop)
    login_as(client, person, acting_actor=shop)
    html = client.get("/manage/self-assessment").get_data(as_text=True)
    section = html.split('id="what-the-town-sees"')[1].split("</section>")[0]
    assert "You allow the town to see your own answers." in section and "Hello town" in section


def test_a_consenting_shop_is_told_when_the_towns_list_is_hidden(client):
    territory = make_territory()
    shops = answered_shops(territory, 3, consenting=1)  # two private: the list is hidden
    person = make_user(territory)
    make_member(person, shops[0])
    login_as(client, person, acting_actor=shops[0])
    assert 'id="town-list-hidden"' in client.get("/manage/self-assessment").get_data(as_text=True)
    answered_shops(territory, 3, consenting=3, prefix="Open")  # the list: no, still two private
    answered_shops(territory, MIN_ANSWERS - 2, prefix="Quiet")  # now five private
    assert 'id="town-list-hidden"' not in client.get("/manage/self-assessment").get_data(as_text=True)

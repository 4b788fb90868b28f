"""Every page an actor and the town see: a merchant acting for their shop, an association's
president for their theatre, the town's administrator, and the town service: axe-core finds no
violation of any impact, no page scrolls sideways at 360 px, screenshots at 360×740 and 1280×800
(tests/e2e/tour.py)."""

import pytest

from tests.e2e import tour
from tests.e2e.conftest import act_as, log_in

pytestmark = pytest.mark.e2e


@pytest.fixture
def context(incognito_context):
    """Pages are checked as they render: no installed app needed."""
    return incognito_context


def test_every_page_of_a_shop(page, live_server, seed, tour_names, axe):
    log_in(page, live_server, seed.merchant_email, seed.password)
    act_as(page, seed.shop_name)
    tour.tour(page, live_server, axe, "shop", tour.SHOP, tour_names)


def test_every_page_of_an_association(page, live_server, seed, tour_names, axe):
    log_in(page, live_server, seed.president_email, seed.password)
    act_as(page, seed.theatre_name)
    tour.tour(page, live_server, axe, "association", tour.ASSOCIATION, tour_names)
    act_as(page, "Office de Tourisme (tour)")
    tour.tour(page, live_server, axe, "tourism-office", tour.TOURISM_OFFICE, tour_names)


def test_every_page_of_the_town(page, live_server, seed, tour_names, axe):
    log_in(page, live_server, seed.admin_email, seed.password)
    tour.tour(page, live_server, axe, "town-admin", tour.TOWN_ADMIN, tour_names)
    act_as(page, seed.town_name)
    tour.tour(page, live_server, axe, "town-service", tour.TOWN_SERVICE, tour_names)

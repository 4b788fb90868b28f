"""Every page a visitor and a citizen see, in both territories: axe-core finds no violation of any
impact, no page scrolls sideways at 360 px, screenshots at 360×740 and 1280×800 (tests/e2e/tour.py)."""

import pytest

from tests.e2e import tour
from tests.e2e.conftest import log_in

pytestmark = pytest.mark.e2e


@pytest.fixture
def context(incognito_context):
    """Pages are checked as they render: no installed app needed."""
    return incognito_context


def test_every_page_of_a_visitor(page, live_server, seed, tour_names, axe):
    tour.tour(page, live_server, axe, "visitor", tour.VISITOR, tour_names)


def test_every_page_of_a_citizen(page, live_server, seed, tour_names, axe):
    log_in(page, live_server, seed.citizen_email, seed.password)
    tour.tour(page, live_server, axe, "citizen", tour.CITIZEN, tour_names)


def test_the_other_territorys_pages(page, live_server, seed, tour_names, axe):
    """Montgenèvre, in its own colours: a visitor, then its citizen."""
    paths = ["/", "/all", "/actors", "/near", "/login"]
    tour.tour(page, live_server, axe, "station-visitor", paths, tour_names, host=seed.station_host)
    page.goto(live_server.url("/login", host=seed.station_host))
    page.locator("#email").fill(seed.station_citizen_email)
    page.locator("#password").fill(seed.password)
    page.locator("main form button[type=submit]").click()
    page.locator("footer form[action$='/logout']").wait_for()
    tour.tour(page, live_server, axe, "station-citizen", ["/", "/me", "/me/inbox"], tour_names, host=seed.station_host)


def test_error_pages(page, live_server, seed, axe):
    problems = tour.check_page(page, axe, live_server.url("/actors/nobody-by-this-name"), "visitor",
                               "/actors/nobody-by-this-name", expected_status=404)
    problems += tour.check_page(page, axe, live_server.url("/password/reset/not-a-valid-token"), "visitor",
                                "/password/reset/not-a-valid-token", expected_status=400)
    assert not problems, "\n".join(problems)


def test_a_visitor_reading_dutch(browser, live_server, seed, tour_names, axe):
    """Dutch runs longer (Toegankelijkheidsverklaring): the public pages still fit a phone."""
    context = browser.new_context(viewport=tour.PHONE, locale="nl-BE")
    try:
        page = context.new_page()
        paths = ["/", "/all", "/agenda", "/actors", "/actors/{shop}", "/p/{event}", "/near", "/register",
                 "/legal/terms", "/legal/accessibility", "/legal/privacy"]
        tour.tour(page, live_server, axe, "visitor-nl", paths, tour_names)
    finally:
        context.close()

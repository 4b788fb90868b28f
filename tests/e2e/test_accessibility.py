"""Forms with their errors shown pass axe-core (no violation of any impact)."""

import pytest

from tests.e2e.conftest import act_as, describe_violations, log_in

pytestmark = pytest.mark.e2e

# Every page for every role is toured in test_tour_people.py and test_tour_actors.py (axe, no
# sideways scroll, screenshots); here, forms with their errors shown.


@pytest.fixture
def context(incognito_context):
    """Pages are checked as they render: no installed app needed."""
    return incognito_context


def test_the_register_form_with_its_errors_passes_axe(page, live_server, seed, axe):
    page.goto(live_server.url("/register"))
    page.locator("main form button[type=submit]").click()
    page.locator(".field-error").first.wait_for()
    violations = axe(page)
    assert not violations, describe_violations(violations)


def test_the_publication_form_with_its_errors_passes_axe(page, live_server, seed, axe):
    log_in(page, live_server, seed.merchant_email, seed.password)
    act_as(page, seed.shop_name)
    page.goto(live_server.url("/manage/publications/new?kind=event"))
    page.locator("main form button[value=publish]").click()
    page.locator(".field-error").first.wait_for()
    violations = axe(page)
    assert not violations, describe_violations(violations)

"""Every main page passes axe-core (no serious or critical violation), as a visitor, a citizen, a
merchant acting as their shop and the town's administrator; forms also with their errors shown."""

from urllib.parse import urlsplit

import pytest

from tests.e2e.conftest import act_as, describe_violations, log_in

pytestmark = pytest.mark.e2e

# Paths may name the seed's objects: {offer}, {event} (publication ids), {shop} (the shop's slug),
# {neighbourhood} (the id of the Vieux Port).
VISITOR_PAGES = [
    "/",
    "/all",
    "/all?kind=event",
    "/agenda",
    "/actors",
    "/actors?hashtag=bio",
    "/actors/{shop}",
    "/p/{offer}",
    "/p/{event}",
    "/login",
    "/register",
    "/register/sent",
    "/password/forgot",
    "/offline",
]
CITIZEN_PAGES = [
    "/",
    "/all",
    "/agenda",
    "/actors",
    "/actors/{shop}",
    "/p/{offer}",
    "/welcome",
    "/welcome/follow",
    "/welcome/about",
    "/me",
    "/me/password",
    "/me/privacy",
    "/me/privacy/delete",
    "/me/security",
    "/me/email",
    "/actors/new",
]
SHOP_PAGES = [
    "/manage",
    "/manage/page",
    "/manage/members",
    "/manage/publications",
    "/manage/publications?status=published",
    "/manage/publications/new",
    "/manage/publications/new?kind=news",
    "/manage/publications/new?kind=event",
    "/manage/publications/new?kind=offer",
    "/manage/publications/{offer}/edit",
    "/p/{offer}",
]
ADMIN_PAGES = [
    "/admin",
    "/admin/settings",
    "/admin/neighbourhoods",
    "/admin/neighbourhoods/{neighbourhood}",
    "/admin/boundary",
    "/admin/hashtags",
    "/admin/actors",
    "/admin/moderation",
    "/me/security",
    "/me/security/two-factor",
]


@pytest.fixture
def context(incognito_context):
    """Pages are checked as they render: no installed app needed."""
    return incognito_context


@pytest.fixture
def names(seed, live_db):
    from sqlalchemy import select

    from app.extensions import db
    from app.territories.models import Neighbourhood

    with live_db():
        neighbourhood = db.session.scalar(
            select(Neighbourhood.id).where(
                Neighbourhood.territory_id == seed.ids["coast"], Neighbourhood.name == "Vieux Port"
            )
        )
    return {
        "offer": seed.ids["offer"],
        "event": seed.ids["event"],
        "shop": seed.shop_slug,
        "neighbourhood": neighbourhood,
    }



def assert_page_passes_axe(page, live_server, axe, path, expected_status=200):
    response = page.goto(live_server.url(path))
    assert response is not None and response.status == expected_status, (
        path,
        response and response.status,
    )
    requested = urlsplit(live_server.url(path))
    assert urlsplit(page.url)[2:4] == requested[2:4], (
        f"{path} led to {page.url}"
    )  # not sent to log in
    violations = axe(page)
    assert not violations, f"{path}:\n{describe_violations(violations)}"


@pytest.mark.parametrize("path", VISITOR_PAGES)
def test_public_page_passes_axe(page, live_server, seed, names, axe, path):
    assert_page_passes_axe(page, live_server, axe, path.format(**names))


@pytest.mark.parametrize("path", CITIZEN_PAGES)
def test_citizen_page_passes_axe(page, live_server, seed, names, axe, path):
    log_in(page, live_server, seed.citizen_email, seed.password)
    assert_page_passes_axe(page, live_server, axe, path.format(**names))


@pytest.mark.parametrize("path", SHOP_PAGES)
def test_shop_page_passes_axe(page, live_server, seed, names, axe, path):
    log_in(page, live_server, seed.merchant_email, seed.password)
    act_as(page, seed.shop_name)
    assert_page_passes_axe(page, live_server, axe, path.format(**names))


@pytest.mark.parametrize("path", ADMIN_PAGES)
def test_town_admin_page_passes_axe(page, live_server, seed, names, axe, path):
    log_in(page, live_server, seed.admin_email, seed.password)
    assert_page_passes_axe(page, live_server, axe, path.format(**names))


def test_the_other_territorys_home_page_passes_axe(page, live_server, seed, axe):
    page.goto(live_server.url("/", host=seed.station_host))
    assert seed.station_name in page.title()
    violations = axe(page)
    assert not violations, describe_violations(violations)


def test_the_invalid_link_page_passes_axe(page, live_server, seed, axe):
    assert_page_passes_axe(
        page, live_server, axe, "/password/reset/not-a-valid-token", expected_status=400
    )


def test_a_page_that_does_not_exist_passes_axe(page, live_server, seed, axe):
    assert_page_passes_axe(
        page, live_server, axe, "/actors/nobody-by-this-name", expected_status=404
    )


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

"""On a 360×740 phone: the five main sections are a tab bar at the bottom of the screen, all in
reach (the inbox with its unread count among them), and no page scrolls sideways; on a wide screen
the same links sit in the header. Plain links: they work before any script runs."""

import pytest

from tests.e2e.conftest import act_as, log_in

pytestmark = pytest.mark.e2e

PHONE = {"width": 360, "height": 740}
WIDE = {"width": 1280, "height": 800}
VISITOR_PAGES = ["/", "/all", "/agenda", "/actors", "/actors/{shop}", "/p/{offer}", "/near", "/login", "/register"]
CITIZEN_PAGES = ["/", "/me", "/me/inbox", "/me/notifications", "/me/privacy", "/actors/{shop}"]
SHOP_PAGES = ["/manage", "/manage/publications", "/manage/campaigns", "/manage/page", "/manage/members"]

# Where each link of the tab bar is drawn, and how wide the page is.
MEASURE = """() => ({
  scrollWidth: document.documentElement.scrollWidth,
  tabs: [...document.querySelectorAll('.main-nav .nav-tabs a')].map((a) => {
    const r = a.getBoundingClientRect();
    return {href: a.getAttribute('href'), left: r.left, right: r.right, top: r.top, bottom: r.bottom};
  }),
})"""


def _check_phone(page, path):
    measured = page.evaluate(MEASURE)
    assert measured["scrollWidth"] <= PHONE["width"], f"{path} scrolls sideways ({measured['scrollWidth']} px)"
    tabs = measured["tabs"]
    assert len(tabs) == 5, (path, tabs)
    for tab in tabs:
        assert 0 <= tab["left"] and tab["right"] <= PHONE["width"] + 0.5, (path, tab)
        assert PHONE["height"] - 80 <= tab["top"] and tab["bottom"] <= PHONE["height"] + 0.5, (path, tab)
    return tabs


@pytest.fixture
def phone(browser, live_server):
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    yield context.new_page()
    context.close()


def test_a_visitors_pages_fit_a_phone_with_the_tab_bar_in_reach(phone, live_server, seed):
    for path in VISITOR_PAGES:
        phone.goto(live_server.url(path.format(shop=seed.shop_slug, offer=seed.ids["offer"])))
        _check_phone(phone, path)


def test_a_citizens_tab_bar_holds_the_inbox_and_its_unread_count(phone, live_server, seed):
    log_in(phone, live_server, seed.citizen_email, seed.password)
    for path in CITIZEN_PAGES:
        phone.goto(live_server.url(path.format(shop=seed.shop_slug, offer=seed.ids["offer"])))
        tabs = _check_phone(phone, path)
        assert {"/", "/near", "/agenda", "/me/inbox", "/me"} == {t["href"] for t in tabs}, tabs
    # A tab is a plain link: it leads to its page.
    phone.locator(".nav-tabs a[href='/me/inbox']").click()
    phone.wait_for_url("**/me/inbox")


def test_an_actors_pages_fit_a_phone(phone, live_server, seed):
    log_in(phone, live_server, seed.merchant_email, seed.password)
    act_as(phone, seed.shop_name)
    for path in SHOP_PAGES:
        phone.goto(live_server.url(path))
        _check_phone(phone, path)


def test_on_a_wide_screen_the_sections_sit_in_the_header(browser, live_server, seed):
    context = browser.new_context(viewport=WIDE)
    try:
        page = context.new_page()
        page.goto(live_server.url("/"))
        tabs = page.evaluate(MEASURE)["tabs"]
        header = page.locator(".site-header").bounding_box()
        assert tabs and all(t["bottom"] <= header["y"] + header["height"] + 0.5 for t in tabs), (tabs, header)
    finally:
        context.close()


LONG_NAME = "Association des commerçants et artisans du Vieux Port de La Ciotat"


@pytest.fixture
def long_named_role(seed, live_db):
    from app.accounts.models import User
    from app.actors.models import Actor
    from app.extensions import db
    from app.territories.models import Territory
    from tests.factories import make_actor, make_member

    with live_db():
        merchant = db.session.get(User, seed.ids["merchant"])
        actor = make_actor(db.session.get(Territory, seed.ids["coast"]), LONG_NAME, kind="association")
        make_member(merchant, actor, "editor")
        actor_id = actor.id
    yield
    with live_db():
        db.session.delete(db.session.get(Actor, actor_id))
        db.session.commit()


def test_the_role_sheet_shows_every_role_whole_and_the_current_one_always(phone, live_server, seed, long_named_role):
    log_in(phone, live_server, seed.merchant_email, seed.password)
    summary = phone.locator(".role-sheet summary")
    assert summary.inner_text().split()[-1] == "Me"  # the current role, before any switch
    summary.click()
    buttons = phone.locator(".role-list button")
    names = [b.inner_text() for b in buttons.all()]
    assert any(LONG_NAME in n for n in names) and any(seed.shop_name in n for n in names), names
    # Whole: no name is cut, and the open sheet does not widen the page.
    assert phone.evaluate("""() => [...document.querySelectorAll('.role-list button')].every(
        (b) => b.scrollWidth <= b.clientWidth + 1)""")
    _check_phone(phone, "/ (role sheet open)")
    buttons.filter(has_text=LONG_NAME).click()
    phone.wait_for_url("**/manage")
    assert LONG_NAME in phone.locator(".role-sheet summary").inner_text()

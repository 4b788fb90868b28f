"""The territory's app installs on a phone and keeps what matters readable offline."""

import io
import json
import re

import pytest
from PIL import Image

from app.actors.models import Actor
from app.extensions import db
from app.media.models import Media
from app.publications.models import Publication
from tests.e2e.conftest import describe_violations, log_in, wait_for_service_worker, wait_until

OFFLINE_HEADING = re.compile("hors ligne|offline", re.I)  # French by default; English if not compiled

pytestmark = pytest.mark.e2e


SAVED_PAGE = "path => caches.open('pages').then(c => c.match(new URL(path, location.href).href, {ignoreVary: true})).then(r => !!r)"


def _saved_page(page, path):
    return page.evaluate(SAVED_PAGE, path)


def _wait_until_saved(page, path):
    """The worker saves a page it did not see load (the first one) in the background."""
    wait_until(page, SAVED_PAGE, path)


def test_the_app_is_installable_once_its_service_worker_runs(page, live_server, seed):
    page.goto(live_server.url("/"))
    wait_for_service_worker(page)
    cdp = page.context.new_cdp_session(page)
    result = cdp.send("Page.getInstallabilityErrors")
    assert result["installabilityErrors"] == []
    manifest = cdp.send("Page.getAppManifest")
    assert not manifest.get("errors"), manifest.get("errors")
    assert json.loads(manifest["data"])["name"] == seed.coast_name


def test_each_territory_installs_under_its_own_name(page, live_server, seed):
    page.goto(live_server.url("/", host=seed.station_host))
    wait_for_service_worker(page)
    cdp = page.context.new_cdp_session(page)
    assert cdp.send("Page.getInstallabilityErrors")["installabilityErrors"] == []
    manifest = json.loads(cdp.send("Page.getAppManifest")["data"])
    assert manifest["name"] == seed.station_name
    assert manifest["theme_color"] == "#7a1f5c"


IPHONE = ("Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
          "Version/18.0 Mobile/15E148 Safari/604.1")


def test_the_install_offer_comes_in_context_and_goes_when_dismissed(page, live_server, seed):
    response = page.goto(live_server.url("/"))
    # As served, the offer is hidden: a browser that cannot install never shows it.
    assert '<section id="install-offer" class="install-offer" hidden' in response.text()
    wait_for_service_worker(page)
    # Chromium offers installation (beforeinstallprompt): held back, and on a first visit the
    # offer stays hidden (nothing pops up by itself).
    assert not page.locator("#install-offer").is_visible()
    # The second visit: the offer, with the browser's own button.
    page.reload()
    page.locator("#install-offer").wait_for(state="visible")
    assert page.locator("#install-button").is_visible() and not page.locator("#install-ios").is_visible()
    # Dismissed: gone, and remembered on this device.
    page.locator("#install-dismiss").click()
    page.locator("#install-offer").wait_for(state="hidden")
    page.reload()
    wait_until(page, "() => document.getElementById('install-offer') !== null")
    assert not page.locator("#install-offer").is_visible()
    # Never on an error page.
    assert 'id="install-offer"' not in page.goto(live_server.url("/p/999999")).text()


def test_on_ios_the_offer_is_a_guide_to_the_home_screen(browser, live_server, seed):
    """iOS has no install prompt (web push needs the app on the home screen): a guide, no dead button."""
    context = browser.new_context(user_agent=IPHONE, viewport={"width": 390, "height": 844}, is_mobile=True)
    try:
        page = context.new_page()
        page.goto(live_server.url("/"))
        page.goto(live_server.url("/agenda"))  # the second visit
        page.locator("#install-ios").wait_for(state="visible")
        assert not page.locator("#install-button").is_visible()
    finally:
        context.close()


def test_the_feed_opens_offline_after_one_visit(page, context, live_server, seed):
    page.goto(live_server.url("/"))
    wait_for_service_worker(page)
    _wait_until_saved(page, "/")
    assert _saved_page(page, "/")
    online_text = page.locator("main").inner_text()

    context.set_offline(True)
    page.reload()
    assert seed.coast_name in page.title()
    assert page.locator("h1", has_text=OFFLINE_HEADING).count() == 0
    assert page.locator("main").inner_text() == online_text
    context.set_offline(False)


def test_an_unvisited_page_offline_shows_the_offline_page(page, context, live_server, seed):
    page.goto(live_server.url("/"))
    wait_for_service_worker(page)
    _wait_until_saved(page, "/")
    context.set_offline(True)
    page.goto(live_server.url("/agenda"))
    assert OFFLINE_HEADING.search(page.locator("h1").inner_text())
    assert seed.coast_name in page.locator(".site-header").inner_text()
    # The list of pages saved on this device links back to the feed seen online.
    page.wait_for_function("() => document.querySelectorAll('#offline-pages a').length > 0")
    links = page.locator("#offline-pages a").evaluate_all("links => links.map(a => a.pathname)")
    assert "/" in links
    context.set_offline(False)


def test_following_a_link_offline_shows_the_saved_page_or_the_offline_page(page, context, live_server, seed):
    page.goto(live_server.url("/all"))
    wait_for_service_worker(page)
    page.goto(live_server.url("/"))
    wait_until(page, "() => caches.open('pages').then(c => c.keys()).then(k => k.length >= 2)")
    context.set_offline(True)
    page.locator(".main-nav a[href='/agenda']").click()  # never visited: the offline page
    page.locator("h1", has_text=OFFLINE_HEADING).wait_for()
    page.locator(".main-nav a[href='/all']").click()  # visited: its saved copy
    page.wait_for_url(live_server.url("/all"))
    assert page.locator("h1", has_text=OFFLINE_HEADING).count() == 0
    # A saved copy says so, and how old it is.
    notice = page.locator("#saved-copy")
    notice.wait_for()
    assert re.search(r"\d{1,2}[:h.]\d{2}", notice.inner_text()), notice.inner_text()
    # What needs the network says so instead of failing silently (a boosted form, offline).
    page.locator("#language-select").select_option("nl")
    page.locator("#flash", has_text=re.compile("network|réseau|netwerk")).wait_for()
    context.set_offline(False)
    # Online, the page is the live one: no notice.
    page.goto(live_server.url("/all"))
    assert not page.locator("#saved-copy").is_visible()


def test_private_pages_are_never_kept_for_offline_reading(page, live_server, seed):
    page.goto(live_server.url("/"))
    wait_for_service_worker(page)
    page.goto(live_server.url("/login"))
    page.goto(live_server.url("/all"))
    wait_until(page, "() => caches.open('pages').then(c => c.keys()).then(k => k.some(r => r.url.endsWith('/all')))")
    assert not _saved_page(page, "/login")


KEPT_MEDIA = "path => caches.open('media').then(c => c.keys()).then(k => k.some(r => r.url.endsWith(path)))"


def test_a_drafts_image_is_never_kept_on_the_device(page, live_server, seed, live_db):
    """Its actor's member sees it, but the worker (which keeps images once seen) does not keep
    an image answered "no-store": the next person on the device must not find it."""
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 80, 20)).save(buffer, format="WEBP")
    with live_db():
        image = Media(territory_id=seed.ids["coast"], content_type="image/webp", data=buffer.getvalue(),
                      width=40, height=30)
        db.session.add(image)
        db.session.flush()
        shop = db.session.get(Actor, seed.ids["shop"])
        draft = Publication(territory_id=shop.territory_id, actor_id=shop.id, kind="news", title="Brouillon",
                            status="draft", image_media_id=image.id)
        db.session.add(draft)
        db.session.flush()
        draft_id, image_path = draft.id, f"/media/{image.token}"
    try:
        log_in(page, live_server, seed.merchant_email, seed.password)
        wait_for_service_worker(page)
        page.goto(live_server.url(f"/p/{draft_id}"))
        # The worker puts what it keeps in its cache before it answers the page.
        page.wait_for_function("() => { const img = document.querySelector('img.pub-image');"
                               " return img && img.complete && img.naturalWidth === 40; }")
        assert image_path in page.locator("img.pub-image").get_attribute("src")
        assert not page.evaluate(KEPT_MEDIA, image_path)
    finally:
        with live_db():
            db.session.delete(db.session.get(Publication, draft_id))
            db.session.delete(db.session.get(Media, image.id))


SAVED_PAGES_TEXT = """() => caches.open('pages')
    .then(c => c.keys().then(keys => Promise.all(keys.map(k => c.match(k, {ignoreVary: true}).then(r => r.text())))))
    .then(texts => texts.join('\\n'))"""


def test_logging_out_forgets_the_pages_saved_while_logged_in(page, live_server, seed):
    page.goto(live_server.url("/login"))
    wait_for_service_worker(page)
    page.locator("input[name=email]").fill(seed.citizen_email)
    page.locator("input[name=password]").fill(seed.password)
    page.locator("main form button[type=submit], main form input[type=submit]").first.click()
    page.locator("footer form[action$='/logout']").wait_for()
    page.goto(live_server.url("/"))
    # A page as the logged-in person saw it: their inbox link and log-out form in it.
    wait_until(page, SAVED_PAGES_TEXT.replace(".then(texts => texts.join('\\n'))", ".then(t => t.join('').includes('id=\"inbox-link\"'))"))

    page.locator("footer form[action$='/logout'] button").click()
    page.wait_for_url(live_server.url("/"))
    page.locator("footer a[href$='/login']").wait_for()
    assert 'id="inbox-link"' not in page.evaluate(SAVED_PAGES_TEXT)


def test_the_offline_page_passes_axe(page, live_server, seed, axe):
    page.goto(live_server.url("/offline"))
    violations = axe(page)
    assert not violations, describe_violations(violations)


def test_the_home_page_passes_axe(page, live_server, seed, axe):
    page.goto(live_server.url("/"))
    assert seed.coast_name in page.title()
    violations = axe(page)
    assert not violations, describe_violations(violations)

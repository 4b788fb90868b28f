"""On a phone: the "open now" page reached from the navigation, with the open shop on the list and
the map; the town's own website (another origin, with its own strict CSP) showing the agenda
through the widget script, sized to its content, while a site the town did not allow gets nothing."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from tests.e2e.conftest import wait_until

pytestmark = pytest.mark.e2e


class _Site:
    """Another website on this machine (its own origin: ``http://<name>.localhost:<port>``) whose
    one page includes the widget, under its own strict Content-Security-Policy."""

    def __init__(self, live_server: Any) -> None:
        app_origin = live_server.url("").rstrip("/")
        page = (
            "<!doctype html><html lang='fr'><head><meta charset='utf-8'><title>Ville</title></head><body>"
            "<h1>Site de la ville</h1>"
            f"<script src='{live_server.url('/embed/widget.js')}' data-widget='agenda' async></script>"
            "</body></html>"
        ).encode()
        csp = f"default-src 'self'; script-src {app_origin}; frame-src {app_origin}; style-src 'self'"

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Security-Policy", csp)
                self.send_header("Content-Length", str(len(page)))
                self.end_headers()
                self.wfile.write(page)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def origin(self, name: str) -> str:
        return f"http://{name}.localhost:{self.server.server_port}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


@pytest.fixture
def site(live_server):
    running = _Site(live_server)
    yield running
    running.close()


@pytest.fixture
def open_shop(seed, live_db, site):
    from app.actors.models import Actor
    from app.embed import services as embed_services
    from app.extensions import db
    from app.territories.models import Territory

    with live_db():
        shop = db.session.get(Actor, seed.ids["shop"])
        previous = shop.opening_hours
        shop.opening_hours = {day: [["00:00", "00:00"]] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
        embed_services.save_origins(db.session.get(Territory, seed.ids["coast"]), [site.origin("ville")])
    yield seed
    with live_db():
        db.session.get(Actor, seed.ids["shop"]).opening_hours = previous
        embed_services.save_origins(db.session.get(Territory, seed.ids["coast"]), [])


def test_a_visitor_finds_what_is_open_now_from_the_navigation(incognito_context, live_server, open_shop):
    page = incognito_context.new_page()
    page.goto(live_server.url("/"))
    page.locator('nav.main-nav a[href="/open-now"]').click()
    page.wait_for_url("**/open-now")
    card = page.locator(".open-now-list .card", has_text=open_shop.shop_name)
    assert card.is_visible()
    assert card.locator(".card-kicker").inner_text()  # its kind (and closing time, if any today)
    wait_until(page, "() => document.querySelector('#open-now-map.has-map') !== null")
    assert page.locator("#open-now-map .leaflet-interactive").count() >= 1  # the shop's marker


def test_the_towns_site_shows_the_agenda_sized_to_its_content(incognito_context, site, open_shop):
    page = incognito_context.new_page()
    page.goto(site.origin("ville") + "/")
    frame_element = page.locator("iframe")
    frame_element.wait_for()
    frame = page.frame_locator("iframe")
    assert frame.get_by_role("link", name=open_shop.theatre_event_title).is_visible()
    # The frame told the page its height: no longer the default 480 px.
    wait_until(page, "() => document.querySelector('iframe').getAttribute('height') !== '480'")
    height = int(frame_element.get_attribute("height") or "0")
    assert height > 100
    box = frame_element.bounding_box()
    assert box is not None and abs(box["height"] - height) <= 2


def test_a_site_the_town_did_not_allow_gets_no_agenda(incognito_context, site, open_shop):
    page = incognito_context.new_page()
    page.goto(site.origin("autre") + "/")
    page.locator("iframe").wait_for()
    page.wait_for_timeout(1500)
    child = [frame for frame in page.frames if frame != page.main_frame]
    texts = []
    for frame in child:
        try:
            texts.append(frame.content())
        except Exception:  # a refused frame may have no document to read
            texts.append("")
    assert not [text for text in texts if open_shop.theatre_event_title in text]
    assert page.locator("iframe").get_attribute("height") == "480"

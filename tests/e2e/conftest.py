"""Browser tests: the real app served on a free loopback port, driven by Debian's Chromium.

- ``live_server``: the app (a temporary SQLite file, mails in memory, no rate limits) served by
  werkzeug in a thread; ``live_server.url("/")`` is ``http://localhost:PORT/`` and
  ``live_server.url("/", host="station.localhost")`` reaches the second territory (Chromium
  resolves ``*.localhost`` to loopback and treats it as a secure context, as PWAs need).
- ``seed``: a small realistic data set built once through tests/factories.py (two territories,
  hashtags, verified actors, a merchant with a #bio offer, users); its fields are plain values.
- ``live_db()``: a context manager to add more data from a test (``with live_db(): make_user(...)``).
- ``context`` / ``page``: a fresh persistent Chromium profile per test (a service worker and its
  caches never leak from one test to the next; incognito would not be installable), 360x740.
- ``incognito_context``: the same, off the record, in one Chromium shared by the package's tests;
  much cheaper, for tests that need no installing (a module overrides ``context`` with it).
- ``axe(page)``: run axe-core on the page and return its violations, of any impact.

The app's database engine is process-wide: these fixtures point it at their own file while the
browser tests of this folder run (package scope), then put the previous one back. Do not mix the
``app``/``client`` fixtures with ``live_server`` in one test.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from werkzeug.serving import make_server

from app import create_app
from app import mail as mail_module
from app.extensions import db
from app.models import Base
from app.models_common import utcnow
from app.queue import huey
from tests.support import config as test_config

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-gpu",
]
AXE_SOURCE = Path(__file__).parent / "vendor" / "axe-core-4.14.1" / "axe.min.js"
MOBILE_VIEWPORT = {"width": 360, "height": 740}


@pytest.hookimpl(tryfirst=True)  # before xdist reads the groups
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test in this folder drives a browser: mark it, so ``-m 'not e2e'`` skips them all.
    Under ``pytest -n 2 --dist loadgroup`` a module's tests run one after another in one worker,
    in their order, as without xdist; each worker has its own live server and seed."""
    here = Path(__file__).parent
    for item in items:
        path = Path(str(item.fspath))
        if here in path.parents:
            item.add_marker(pytest.mark.e2e)
            item.add_marker(pytest.mark.xdist_group(f"e2e-{path.stem}"))


@dataclass
class LiveServer:
    app: Any
    port: int
    thread: threading.Thread
    server: Any

    def url(self, path: str = "/", host: str = "localhost") -> str:
        return f"http://{host}:{self.port}{path}"


def _whole_bodies(app: Any) -> Any:
    """The app, each answer's body read whole and its file closed before the first byte goes
    out: a browser that leaves a page while a script (a static file, streamed by WhiteNoise)
    is still coming drops the connection, and the development server then lets the open file
    go unclosed (a ResourceWarning the suite turns into an error in whatever test runs next)."""

    def wsgi(environ: Any, start_response: Any) -> Any:
        body = app(environ, start_response)
        try:
            return [b"".join(body)]
        finally:
            close = getattr(body, "close", None)
            if close is not None:
                close()

    return wsgi


@pytest.fixture(scope="package")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    folder = tmp_path_factory.mktemp("e2e")
    huey.immediate = True
    # create_app() points the process-wide engine at this server's file; the engine the other
    # tests' fixtures hold is put back afterwards (a new one would leave theirs unclosed).
    previous_engine = db.engine
    app = create_app(
        {
            "TESTING": False,
            "SECRET_KEY": "e2e-secret",
            "SQLALCHEMY_URL": f"sqlite:///{folder / 'e2e.db'}",
            "INSTANCE_DIR": folder,
            "MAIL_BACKEND": "memory",
            "RATELIMIT_ENABLED": False,
            "SERVER_NAME": None,
            "PASSWORD_HASH_PROFILE": test_config.PASSWORD_HASH_PROFILE,
        }
    )
    with app.app_context():
        assert db.engine is not None
        Base.metadata.create_all(db.engine)
    server = make_server("127.0.0.1", 0, _whole_bodies(app), threaded=True)  # a free port, its own
    thread = threading.Thread(target=server.serve_forever, name="e2e-live-server", daemon=True)
    thread.start()
    try:
        yield LiveServer(app=app, port=server.server_port, thread=thread, server=server)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
        db.session.remove()
        if db.engine is not None and db.engine is not previous_engine:
            db.engine.dispose()
        db.engine = previous_engine
        db.session.configure(bind=previous_engine)


@pytest.fixture
def live_db(live_server: LiveServer) -> Callable[[], AbstractContextManager[None]]:
    """``with live_db(): ...`` runs factories against the live server's database."""

    @contextmanager
    def _context() -> Iterator[None]:
        # Another test module may have pointed the process-wide engine elsewhere meanwhile.
        db.configure(live_server.app.config["SQLALCHEMY_URL"])
        with live_server.app.app_context():
            try:
                yield
                db.session.commit()
            finally:
                db.session.remove()

    return _context


@dataclass
class Seed:
    """What the seed built, as plain values (ORM objects would be detached in the tests)."""

    password: str
    coast_name: str = "La Ciotat"
    station_name: str = "Montgenèvre"
    coast_host: str = "localhost"
    station_host: str = "station.localhost"
    hashtags: tuple[str, ...] = ("bio", "theatre", "marche")
    citizen_email: str = "citoyenne@example.org"
    merchant_email: str = "epiciere@example.org"
    president_email: str = "president@example.org"
    admin_email: str = "mairie@example.org"
    station_citizen_email: str = "skieur@example.org"
    shop_name: str = "Épicerie du Port"
    shop_slug: str = ""
    shop_offer_title: str = "Paniers bio à -20 %"
    theatre_name: str = "Théâtre de l'Eden"
    theatre_slug: str = ""
    theatre_event_title: str = "Soirée d'improvisation"
    town_name: str = "Mairie de La Ciotat"
    station_shop_name: str = "Ski Shop Montgenèvre"
    ids: dict[str, int] = field(default_factory=dict)


@pytest.fixture(scope="package")
def seed(live_server: LiveServer) -> Seed:
    from tests.factories import (
        NEGLIGIBLE_NOISE,
        PASSWORD,
        make_actor,
        make_hashtag,
        make_member,
        make_neighbourhood,
        make_publication,
        make_territory,
        make_user,
    )

    data = Seed(password=PASSWORD)
    db.configure(live_server.app.config["SQLALCHEMY_URL"])
    with live_server.app.app_context():
        # The journeys are about what people click and see: counts are released with negligible
        # noise (the release engine's noise: tests/releases).
        coast = make_territory(
            "laciotat", data.coast_name, hosts=(data.coast_host,), primary_color="#0b5fa5",
            tagline="La ville, ses commerces et ses associations", **NEGLIGIBLE_NOISE,
        )
        station = make_territory(
            "montgenevre", data.station_name, hosts=(data.station_host,), primary_color="#7a1f5c",
            tagline="Station de ski et village de montagne", **NEGLIGIBLE_NOISE,
        )
        station.center_lat, station.center_lon = 44.93, 6.72
        tags = {tag: make_hashtag(coast, tag) for tag in data.hashtags}
        station_tags = {tag: make_hashtag(station, tag) for tag in data.hashtags}
        port = make_neighbourhood(coast, "Vieux Port")
        make_neighbourhood(coast, "Fardeloup")
        make_neighbourhood(station, "Le Village")

        citizen = make_user(coast, data.citizen_email, display_name="Camille", neighbourhood_id=port.id,
                            population_type="resident", onboarded_at=utcnow())
        merchant = make_user(coast, data.merchant_email, display_name="Nadia", onboarded_at=utcnow())
        president = make_user(coast, data.president_email, display_name="Louis", onboarded_at=utcnow())
        admin = make_user(coast, data.admin_email, display_name="Mairie", is_admin=True, onboarded_at=utcnow())
        skier = make_user(station, data.station_citizen_email, display_name="Jules", onboarded_at=utcnow())

        shop = make_actor(coast, data.shop_name, kind="merchant", summary="Fruits, légumes et produits bio du pays",
                          address="12 quai François Mitterrand, La Ciotat", lat=43.1745, lon=5.6046,
                          neighbourhood_id=port.id, verified_at=utcnow())
        shop.hashtags = [tags["bio"], tags["marche"]]
        theatre = make_actor(coast, data.theatre_name, kind="culture", summary="Le plus vieux cinéma du monde, aussi une scène",
                             verified_at=utcnow())
        theatre.hashtags = [tags["theatre"]]
        town = make_actor(coast, data.town_name, kind="town_service", summary="Les services de la ville",
                          verified_at=utcnow())
        station_shop = make_actor(station, data.station_shop_name, kind="merchant", verified_at=utcnow())
        station_shop.hashtags = [station_tags["bio"]]
        # Plain ASCII slugs (the factory only lower-cases the name).
        shop.slug, theatre.slug, town.slug = "epicerie-du-port", "theatre-de-l-eden", "mairie"
        station_shop.slug = "ski-shop"
        db.session.commit()

        make_member(merchant, shop, "owner")
        make_member(president, theatre, "owner")
        make_member(admin, town, "owner")

        offer = make_publication(shop, data.shop_offer_title, kind="offer", hashtags=[tags["bio"]],
                                 summary="Chaque samedi matin, des paniers de saison moins chers.")
        event = make_publication(theatre, data.theatre_event_title, kind="event", hashtags=[tags["theatre"]],
                                 summary="Une soirée d'improvisation ouverte à tous.", place_name="Théâtre de l'Eden")
        news = make_publication(town, "Le marché du dimanche déménage", kind="news", hashtags=[tags["marche"]],
                                published_at=utcnow() - timedelta(hours=3),
                                summary="Le marché s'installe sur le Vieux Port à partir de dimanche.")
        make_publication(station_shop, "Location de skis -15 %", kind="offer", hashtags=[station_tags["bio"]])

        data.shop_slug, data.theatre_slug = shop.slug, theatre.slug
        data.ids = {
            "coast": coast.id, "station": station.id, "citizen": citizen.id, "merchant": merchant.id,
            "president": president.id, "admin": admin.id, "station_citizen": skier.id, "shop": shop.id,
            "theatre": theatre.id, "town": town.id, "station_shop": station_shop.id, "offer": offer.id,
            "event": event.id, "news": news.id,
        }
        db.session.remove()
    return data


@pytest.fixture
def tour_names(seed: Seed, live_db: Any) -> dict[str, Any]:
    """What the page tours' paths name (tests/e2e/tour.py): the seed's objects, and a sent
    campaign, an inbox message and a screen (made once per server: a second call finds them)."""
    from sqlalchemy import delete, select

    from app.accounts.models import User
    from app.actors.models import Actor
    from app.campaigns.models import Campaign
    from app.delivery.models import InboxItem
    from app.extensions import db
    from app.kiosks.models import KioskToken
    from app.territories.models import Neighbourhood, Territory
    from tests.factories import (
        make_actor,
        make_campaign,
        make_kiosk,
        make_member,
        make_publication,
        make_run,
    )

    with live_db():
        neighbourhood = db.session.scalar(
            select(Neighbourhood.id).where(
                Neighbourhood.territory_id == seed.ids["coast"], Neighbourhood.name == "Vieux Port"
            )
        )
        shop = db.session.get(Actor, seed.ids["shop"])
        campaign = db.session.scalar(select(Campaign).where(Campaign.title == "Tour: paniers du samedi"))
        if campaign is None:
            campaign = make_campaign(shop, "Tour: paniers du samedi", "Des paniers de saison, samedi matin.")
            make_run(campaign)
        item = db.session.scalar(select(InboxItem).where(InboxItem.title == "Tour: paniers du samedi"))
        if item is None:
            item = InboxItem(user_id=seed.ids["citizen"], territory_id=seed.ids["coast"], actor_id=shop.id,
                             title="Tour: paniers du samedi", body="Des paniers de saison, samedi matin.")
            db.session.add(item)
            db.session.commit()
        office = db.session.scalar(select(Actor).where(Actor.name == "Office de Tourisme (tour)"))
        if office is None:
            territory = db.session.get(Territory, seed.ids["coast"])
            office = make_actor(territory, "Office de Tourisme (tour)", kind="tourism_office",
                                lat=43.1745, lon=5.6046)
            office.slug = "office-tour"
            make_member(db.session.get(User, seed.ids["president"]), office, "owner")
            make_publication(office, "Visite du port (tour)", kind="event", place_name="Quai",
                             lat=43.1746, lon=5.6047)
        # A screen's link is shown once: a new one for each tour.
        db.session.execute(delete(KioskToken).where(KioskToken.actor_id == office.id))
        db.session.commit()
        _kiosk, token = make_kiosk(office, "Tour")
        return {
            "offer": seed.ids["offer"], "event": seed.ids["event"], "news": seed.ids["news"],
            "shop": seed.shop_slug, "shop_id": seed.ids["shop"], "neighbourhood": neighbourhood, "campaign": campaign.id,
            "inbox_item": item.id, "kiosk": token,
        }


@pytest.fixture
def outbox() -> list:  # type: ignore[type-arg]
    """Mails the live server sent (same process: the memory backend's list)."""
    mail_module.outbox.clear()
    return mail_module.outbox


@pytest.fixture(scope="session")
def playwright_driver() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as driver:
        yield driver


@pytest.fixture
def context(playwright_driver: Any, tmp_path: Path, live_server: LiveServer) -> Iterator[Any]:
    context = playwright_driver.chromium.launch_persistent_context(
        str(tmp_path / "profile"),
        executable_path=CHROMIUM,
        headless=True,
        args=CHROMIUM_ARGS,
        viewport=MOBILE_VIEWPORT,
        locale="fr-FR",
        service_workers="allow",
    )
    context.set_default_timeout(10_000)
    try:
        yield context
    finally:
        context.close()


@pytest.fixture(scope="package")
def browser(playwright_driver: Any) -> Iterator[Any]:
    """One Chromium for the ``incognito_context`` of many tests."""
    browser = playwright_driver.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
    try:
        yield browser
    finally:
        browser.close()


@pytest.fixture
def incognito_context(browser: Any, live_server: LiveServer) -> Iterator[Any]:
    """A fresh context of the shared Chromium, as ``context`` but off the record: its own cookies,
    storage, caches and service workers, nothing kept on disk and no installing the app. A tenth
    of the cost of a new profile: a module whose tests need no installing takes it as its
    ``context``."""
    context = browser.new_context(viewport=MOBILE_VIEWPORT, locale="fr-FR", service_workers="allow")
    context.set_default_timeout(10_000)
    try:
        yield context
    finally:
        context.close()


@pytest.fixture
def page(context: Any) -> Any:
    return context.pages[0] if context.pages else context.new_page()


def run_axe(
    page: Any, impacts: tuple[str, ...] = ("minor", "moderate", "serious", "critical")
) -> list[dict[str, Any]]:
    """Run axe-core on the page; return its violations of the given impacts.

    The CSP forbids inline scripts, so axe is not injected with a <script> tag: its source is
    evaluated through the DevTools protocol, which the page's CSP does not govern."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(AXE_SOURCE.read_text(encoding="utf-8") + "\n;undefined")
    results = page.evaluate(
        "() => axe.run(document, {resultTypes: ['violations']}).then(r => JSON.stringify(r.violations))"
    )
    violations = json.loads(results)
    return [v for v in violations if v.get("impact") in impacts]


def describe_violations(violations: list[dict[str, Any]]) -> str:
    lines = []
    for violation in violations:
        targets = [", ".join(node.get("target", [])) for node in violation.get("nodes", [])][:5]
        lines.append(f"{violation['id']} ({violation['impact']}): {violation['help']} → {targets}")
    return "\n".join(lines)


ALL_IMPACTS = ("minor", "moderate", "serious", "critical")


def fits_with_no_violation(page: Any, axe: Callable[..., list[dict[str, Any]]]) -> None:
    """The page fits a phone's width (no sideways scrolling) and axe finds nothing, minor included."""
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= MOBILE_VIEWPORT["width"], f"{page.url} scrolls sideways ({width} px)"
    violations = axe(page, impacts=ALL_IMPACTS)
    assert not violations, describe_violations(violations)


@pytest.fixture
def axe() -> Callable[..., list[dict[str, Any]]]:
    """``assert not axe(page)``: axe-core violations of any impact (empty when none).
    Use ``describe_violations`` in the assertion message to see what failed."""
    return run_axe


def wait_until(page: Any, expression: str, arg: Any = None, timeout: float = 10.0) -> Any:
    """Evaluate ``expression`` in the page (a function of ``arg``, which may return a promise: the
    Cache API's answers) until its value is truthy; return that value. Playwright's
    ``wait_for_function`` cannot wait on a promise: it takes the promise itself for a truthy value
    and returns at once."""
    deadline = time.monotonic() + timeout
    while not (value := page.evaluate(expression, arg)):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {expression}")
        page.wait_for_timeout(50)
    return value


class ShownNotifications:
    """Counts the notifications the page's service worker has finished showing, so that a test
    reads ``getNotifications()`` only once a pushed one is written: a read while Chromium still
    writes it loses it (showNotification resolves, the list stays empty). Make it just before
    delivering the push (the worker is running then), wait with ``wait_for(n)``."""

    COUNT = """() => {
      if (self.__notificationsShown !== undefined) return;
      self.__notificationsShown = 0;
      const show = self.registration.showNotification.bind(self.registration);
      self.registration.showNotification = (title, options) =>
        show(title, options).then((value) => { self.__notificationsShown += 1; return value; });
    }"""
    WAIT = """async (count) => {
      for (let i = 0; i < 200 && self.__notificationsShown < count; i += 1) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      return self.__notificationsShown;
    }"""

    def __init__(self, page: Any, origin: str) -> None:
        [self.worker] = [w for w in page.context.service_workers if w.url.startswith(origin)]
        self.worker.evaluate(self.COUNT)

    def wait_for(self, count: int) -> None:
        shown = self.worker.evaluate(self.WAIT, count)
        assert shown >= count, f"the service worker showed {shown} notifications, not {count}"


def wait_for_service_worker(page: Any) -> None:
    """Wait until the page's service worker is active and controls the page.

    A page whose navigation began while the worker was still activating can stay uncontrolled
    (the worker's clients.claim() ran before the page was its client): as for a person, the next
    load of the page is controlled, so it is reloaded once."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    page.evaluate("() => navigator.serviceWorker.ready.then(() => true)")
    try:
        page.wait_for_function("() => navigator.serviceWorker.controller !== null", timeout=5_000)
    except PlaywrightTimeout:
        page.reload()
        page.wait_for_function("() => navigator.serviceWorker.controller !== null")


def log_in(page: Any, live_server: LiveServer, email: str, password: str) -> None:
    """Log in through the form and wait for the logged-in footer."""
    page.goto(live_server.url("/login"))
    page.locator("#email").fill(email)
    page.locator("#password").fill(password)
    page.locator("main form button[type=submit]").click()
    page.locator("footer form[action$='/logout']").wait_for()


def act_as(page: Any, actor_name: str) -> None:
    """Through the header's role switcher, as a person would."""
    page.locator(".role-sheet summary").click()
    page.locator(".role-list button", has_text=actor_name).click()
    page.wait_for_url("**/manage")

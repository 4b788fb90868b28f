"""A welcome offer in a browser: a tourist turns push and live location on, stands on the market
square (geolocation emulated), sees the welcome offer in "Near me" and receives it once through
a real (local) push service that decrypts it; walking away and back sends nothing more; turning
live location off deletes the stored cell."""

from __future__ import annotations

import json
import time

import pytest
from sqlalchemy import func, select, update

from app import geo
from app.accounts.models import Consent
from app.extensions import db
from app.models_common import utcnow
from app.notifications.models import NotificationSettings, PushSubscription
from app.notifications.services import endpoint_hash
from app.places.models import LiveCell
from app.publications.models import Publication
from app.welcome import services as welcome_services
from app.welcome.models import WelcomeSent
from tests.e2e.conftest import log_in, wait_for_service_worker
from tests.e2e.test_push_settings import FAKE_PUSH
from tests.factories import make_actor, make_publication, make_user
from tests.support.push_service import PushService

pytestmark = pytest.mark.e2e

MARKET_SQUARE = {"latitude": 43.17512345, "longitude": 5.60498765}
FAR_AWAY = {"latitude": 43.1500, "longitude": 5.6400}  # a beach 4 km away, still in town
OFFER_TITLE = "Bienvenue au marché : un café offert"
TOURIST_EMAIL = "touriste@example.org"
BROWSER_PUSH_HOST = "push.e2e.local"  # what the page's (fake) subscription says


def wait_for(predicate, seconds: float = 10.0):  # type: ignore[no-untyped-def]
    deadline = time.time() + seconds
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    return predicate()


@pytest.fixture
def push_service(live_server):  # type: ignore[no-untyped-def]
    config = live_server.app.config
    saved = {key: config.get(key) for key in ("PUSH_ALLOWED_HOSTS", "PUSH_ALLOW_INSECURE_HOSTS")}
    with PushService() as service:
        config["PUSH_ALLOWED_HOSTS"] = (*saved["PUSH_ALLOWED_HOSTS"], BROWSER_PUSH_HOST)
        config["PUSH_ALLOW_INSECURE_HOSTS"] = (service.netloc,)
        try:
            yield service
        finally:
            config.update(saved)


@pytest.fixture
def welcome(live_db, seed):  # type: ignore[no-untyped-def]
    """A tourist (profile targeting allowed, quiet hours off) and the tourism office's welcome
    offer around the market square."""
    with live_db():
        from app.territories.models import Territory

        coast = db.session.get(Territory, seed.ids["coast"])
        tourist = make_user(coast, TOURIST_EMAIL, display_name="Tess", population_type="tourist",
                            language="fr", onboarded_at=utcnow())
        db.session.add(Consent(user_id=tourist.id, purpose="profile_targeting"))
        db.session.add(NotificationSettings(user_id=tourist.id, quiet_start=None, quiet_end=None))
        office = make_actor(coast, "Office de Tourisme du Port", kind="tourism_office", verified_at=utcnow(),
                            lat=MARKET_SQUARE["latitude"], lon=MARKET_SQUARE["longitude"])
        offer = make_publication(office, OFFER_TITLE, kind="offer", summary="Montrez ce message au kiosque.",
                                 lat=MARKET_SQUARE["latitude"], lon=MARKET_SQUARE["longitude"], radius_m=200,
                                 is_welcome_offer=True, welcome_population_types="tourist")
        ids = {"tourist": tourist.id, "offer": offer.id}
    yield ids
    with live_db():  # leave the other browser tests a town without this offer
        db.session.execute(update(Publication).where(Publication.id == ids["offer"]).values(status="archived"))
        db.session.commit()
        welcome_services.forget_welcome_zones()



def live_cell(live_db, user_id):  # type: ignore[no-untyped-def]
    with live_db():
        return db.session.scalar(select(LiveCell.cell).where(LiveCell.user_id == user_id))


def check_in_from(page, live_server, context, position):  # type: ignore[no-untyped-def]
    """Be somewhere and open the live-location page: it reports the position at once (the
    5-minute throttle starts again from that page)."""
    context.set_geolocation(position)
    page.goto(live_server.url("/near/location"))
    page.locator("[data-live-location-state=on]").wait_for()


def test_tourist_on_the_market_square_gets_the_welcome_offer_once(
        context, page, live_server, live_db, seed, push_service, welcome):
    origin = live_server.url("/").rstrip("/")
    context.grant_permissions(["geolocation", "notifications"], origin=origin)
    context.set_geolocation(MARKET_SQUARE)
    subscription = push_service.make_subscription()
    path_id = subscription["endpoint"].rsplit("/", 1)[1]
    browser_endpoint = f"https://{BROWSER_PUSH_HOST}/push/{path_id}"
    page.add_init_script(FAKE_PUSH % json.dumps({"endpoint": browser_endpoint, **subscription["keys"]}))
    log_in(page, live_server, TOURIST_EMAIL, seed.password)

    # Push on, by the button; the stored subscription is then pointed at the local push service
    # (a browser's endpoint is https on a known push service; ours speaks http on loopback).
    page.goto(live_server.url("/me/notifications"))
    wait_for_service_worker(page)
    page.locator("#push .push-on").click()
    page.locator('#push[data-push-state="on"]').wait_for()
    with live_db():
        changed = db.session.execute(
            update(PushSubscription).where(PushSubscription.user_id == welcome["tourist"])
            .values(endpoint=subscription["endpoint"], endpoint_hash=endpoint_hash(subscription["endpoint"]))
        )
        assert changed.rowcount == 1

    # Live location on, on the market square: the check-in finds the welcome offer.
    page.goto(live_server.url("/near/location"))
    page.locator("button[name=action][value=on]").click()
    page.locator("[data-live-location-state=on]").wait_for()
    market_cell = geo.cell_of(MARKET_SQUARE["latitude"], MARKET_SQUARE["longitude"])
    assert wait_for(lambda: live_cell(live_db, welcome["tourist"]) == market_cell)
    received = push_service.wait_for(1)
    assert len(received) == 1 and not push_service.errors, push_service.errors
    assert received[0].json["title"] == OFFER_TITLE

    # "Near me" shows it around the person.
    page.goto(live_server.url("/near?from=live"))
    assert page.locator(".near-list").get_by_text(OFFER_TITLE).first.is_visible()

    # Away, then back: not sent again.
    far_cell = geo.cell_of(FAR_AWAY["latitude"], FAR_AWAY["longitude"])
    check_in_from(page, live_server, context, FAR_AWAY)
    assert wait_for(lambda: live_cell(live_db, welcome["tourist"]) == far_cell)
    check_in_from(page, live_server, context, MARKET_SQUARE)
    assert wait_for(lambda: live_cell(live_db, welcome["tourist"]) == market_cell)
    time.sleep(0.5)
    assert len(push_service.received) == 1
    with live_db():
        assert db.session.scalar(select(func.count()).select_from(WelcomeSent)
                                 .where(WelcomeSent.user_id == welcome["tourist"])) == 1

    # Live location off: the stored cell is gone at once.
    page.locator("button[name=action][value=off]").click()
    page.locator("[data-live-location-state=off]").wait_for()
    assert live_cell(live_db, welcome["tourist"]) is None

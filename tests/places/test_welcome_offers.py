"""Welcome offers: a person who opted in to live location and enters the zone of a welcome offer
for their population type gets it once, through the delivery engine (cap, quiet hours, mutes,
accepted channels), and never again for leaving and coming back."""

from __future__ import annotations

import json
import os
import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app import geo
from app.accounts.models import Consent
from app.campaigns.models import Campaign, Delivery
from app.delivery.models import InboxItem
from app.extensions import db
from app.models_common import utcnow
from app.notifications.models import Mute, NotificationSettings, PushSubscription
from app.places import live
from app.publications.models import Publication
from app.welcome import services as welcome
from app.welcome.models import WelcomeSent
from tests.factories import login_as, make_actor, make_publication, make_user
from tests.places.conftest import FAR_BEACH, MARKET_SQUARE, post_position, square

OFFER_TITLE = "Bienvenue : un café offert"


@pytest.fixture
def office(town):  # type: ignore[no-untyped-def]
    return make_actor(town.territory, "Office de Tourisme", kind="tourism_office", lat=MARKET_SQUARE[0],
                      lon=MARKET_SQUARE[1])


@pytest.fixture
def offer(office):  # type: ignore[no-untyped-def]
    publication = make_publication(
        office, OFFER_TITLE, kind="offer", summary="Présentez ce message au kiosque.",
        lat=MARKET_SQUARE[0], lon=MARKET_SQUARE[1], radius_m=200, is_welcome_offer=True,
        welcome_population_types="tourist,visitor",
    )
    welcome.forget_welcome_zones()
    return publication


@pytest.fixture
def tourist(client, town):  # type: ignore[no-untyped-def]
    """A tourist who allowed live location and profile targeting, push on with a subscription
    (so that the policy has something to hold back), quiet hours off (any time of day)."""
    user = make_user(town.territory, language="en", population_type="tourist")
    for purpose in ("live_location", "profile_targeting"):
        db.session.add(Consent(user_id=user.id, purpose=purpose))
    db.session.add(NotificationSettings(user_id=user.id, push_enabled=True, quiet_start=None, quiet_end=None,
                                        daily_cap=0))
    db.session.add(PushSubscription(user_id=user.id, territory_id=town.territory.id,
                                    endpoint="https://push.example/x", endpoint_hash="x" * 64,
                                    p256dh="p", auth="a"))
    db.session.commit()
    login_as(client, user)
    return user


def deliveries(user_id: int) -> dict[str, tuple[str, str | None]]:
    rows = db.session.execute(select(Delivery.channel, Delivery.status, Delivery.reason)
                              .where(Delivery.user_id == user_id)).all()
    return {channel: (status, reason) for channel, status, reason in rows}


def inbox_titles(user_id: int) -> list[str]:
    return list(db.session.scalars(select(InboxItem.title).where(InboxItem.user_id == user_id)))


def test_entering_the_zone_sends_the_offer_once_through_the_delivery_engine(client, town, offer, tourist):
    assert post_position(client, *MARKET_SQUARE).status_code == 200
    db.session.expire_all()
    assert inbox_titles(tourist.id) == [OFFER_TITLE]
    # The daily cap (0 here) holds the push back for the digest; the inbox gets it.
    assert deliveries(tourist.id) == {"inbox": ("sent", None), "push": ("deferred", "cap")}
    assert db.session.scalar(select(func.count()).select_from(WelcomeSent)) == 1

    # Staying, leaving and coming back: nothing more.
    for point in (MARKET_SQUARE, FAR_BEACH, MARKET_SQUARE):
        assert post_position(client, *point).status_code == 200
    db.session.expire_all()
    assert inbox_titles(tourist.id) == [OFFER_TITLE]
    assert db.session.scalar(select(func.count()).select_from(Delivery)) == 2
    # One system campaign for the offer, one run: the actor never sees a run per person.
    campaign = db.session.scalar(select(Campaign).where(Campaign.publication_id == offer.id))
    assert campaign is not None and campaign.schedule_kind == "welcome" and len(campaign.runs) == 1


def test_sending_twice_at_once_records_the_offer_once(town, offer, tourist):
    live.check_in(tourist, town.territory, *MARKET_SQUARE)
    assert welcome.send_welcome_offer(tourist.id, offer.id) is False  # already sent
    assert db.session.scalar(select(func.count()).select_from(WelcomeSent)) == 1
    assert len(inbox_titles(tourist.id)) == 1


def test_outside_the_zone_nothing_is_sent(client, town, offer, tourist):
    assert post_position(client, *FAR_BEACH).status_code == 200
    assert inbox_titles(tourist.id) == []
    assert db.session.scalar(select(func.count()).select_from(WelcomeSent)) == 0


def test_a_drawn_zone_matches_the_exact_point_on_its_border_cells(town, office, tourist):
    lat, lon = MARKET_SQUARE
    publication = make_publication(office, "Zone dessinée", kind="offer", is_welcome_offer=True,
                                   zone_geojson=json.dumps(square(lon, lat, 0.002)))
    welcome.forget_welcome_zones()
    zone = next(z for z in welcome.welcome_zones(town.territory.id) if z.publication_id == publication.id)
    assert zone.border  # a drawn square cuts hexagons
    assert welcome.welcome_offers_at(tourist, town.territory, lat, lon, geo.cell_of(lat, lon), utcnow()) \
        == [publication.id]
    outside = (lat, lon + 0.0025)  # just east of the square, maybe in one of its border cells
    assert welcome.welcome_offers_at(tourist, town.territory, *outside, geo.cell_of(*outside), utcnow()) == []


def test_only_the_population_types_welcomed_and_with_the_profile_consent(client, town, offer, tourist):
    resident = make_user(town.territory, population_type="resident")
    unconsenting = make_user(town.territory, population_type="tourist")
    for user in (resident, unconsenting):
        db.session.add(Consent(user_id=user.id, purpose="live_location"))
    db.session.add(Consent(user_id=resident.id, purpose="profile_targeting"))
    db.session.commit()
    for user in (resident, unconsenting):
        live.check_in(user, town.territory, *MARKET_SQUARE)
        assert inbox_titles(user.id) == []
    assert db.session.scalar(select(func.count()).select_from(WelcomeSent)) == 0


def test_an_offer_for_everyone_needs_no_profile_consent(town, office):
    make_publication(office, "Pour tous", kind="offer", lat=MARKET_SQUARE[0], lon=MARKET_SQUARE[1],
                     radius_m=100, is_welcome_offer=True, welcome_population_types="")
    welcome.forget_welcome_zones()
    visitor = make_user(town.territory)
    db.session.add(Consent(user_id=visitor.id, purpose="live_location"))
    db.session.commit()
    live.check_in(visitor, town.territory, *MARKET_SQUARE)
    assert inbox_titles(visitor.id) == ["Pour tous"]


def test_an_ended_draft_or_ordinary_offer_is_not_sent(town, office, tourist):
    point = dict(lat=MARKET_SQUARE[0], lon=MARKET_SQUARE[1], radius_m=300)
    make_publication(office, "Finie", kind="offer", is_welcome_offer=True, valid_until=utcnow() - timedelta(hours=1), **point)
    make_publication(office, "Brouillon", kind="offer", status="draft", is_welcome_offer=True, **point)
    make_publication(office, "Ordinaire", kind="offer", **point)
    welcome.forget_welcome_zones()
    live.check_in(tourist, town.territory, *MARKET_SQUARE)
    assert inbox_titles(tourist.id) == []


def test_a_person_who_muted_the_actor_is_skipped_by_the_delivery_engine(town, offer, office, tourist):
    db.session.add(Mute(user_id=tourist.id, actor_id=office.id))
    db.session.commit()
    live.check_in(tourist, town.territory, *MARKET_SQUARE)
    assert inbox_titles(tourist.id) == []
    assert set(deliveries(tourist.id).values()) == {("skipped", "muted")}


def test_quiet_hours_hold_the_push_until_morning(town, offer, tourist):
    settings = db.session.get(NotificationSettings, tourist.id)
    settings.daily_cap, settings.quiet_start, settings.quiet_end = 5, "00:00", "23:59"
    db.session.commit()
    live.check_in(tourist, town.territory, *MARKET_SQUARE)
    assert deliveries(tourist.id)["push"] == ("deferred", "quiet_hours")
    assert inbox_titles(tourist.id) == [OFFER_TITLE]


def test_without_live_location_consent_nothing_is_sent(town, offer):
    other = make_user(town.territory, population_type="tourist")
    db.session.add(Consent(user_id=other.id, purpose="profile_targeting"))
    db.session.commit()
    assert welcome.send_welcome_offer(other.id, offer.id) is False  # no live-location consent


def test_near_me_shows_the_welcome_offer_around_the_live_cell(client, town, offer, tourist):
    post_position(client, *MARKET_SQUARE)
    page = client.get("/near?from=live").get_data(as_text=True)
    assert OFFER_TITLE in page


def test_the_check_in_path_asks_no_query_outside_welcome_zones(app, town, offer, tourist):
    from sqlalchemy import event

    welcome.welcome_zones(town.territory.id)  # warm the per-process cache
    statements: list[str] = []
    engine = db.session.get_bind()

    def count(*args) -> None:  # type: ignore[no-untyped-def]
        statements.append(args[2])

    event.listen(engine, "before_cursor_execute", count)
    try:
        cell = geo.cell_of(*FAR_BEACH)
        assert welcome.welcome_offers_at(tourist, town.territory, *FAR_BEACH, cell, utcnow()) == []
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert statements == []



@pytest.mark.skipif(not os.environ.get("TEST_DATABASE_URL", "").startswith("postgresql"),
                    reason="PostgreSQL run only: SQLite writes one transaction at a time")
def test_two_workers_welcoming_at_once_make_one_campaign_for_the_offer(app, town, offer):
    """The first worker has made the offer's campaign and not committed yet; the second, welcoming
    someone else at that instant, waits for it and adds to the same run."""
    now = utcnow()
    first = welcome.welcome_run(offer, now)  # its transaction stays open
    found: dict[str, int] = {}

    def second_worker() -> None:
        with app.app_context():
            publication = db.session.get(Publication, offer.id)
            found["run"] = welcome.welcome_run(publication, now).id
            db.session.commit()

    worker = threading.Thread(target=second_worker)
    worker.start()
    worker.join(timeout=1.0)
    assert worker.is_alive()  # waiting for the first worker's transaction
    db.session.commit()
    worker.join(timeout=30)
    assert found["run"] == first.id
    assert db.session.scalar(select(func.count()).select_from(Campaign)
                             .where(Campaign.publication_id == offer.id)) == 1

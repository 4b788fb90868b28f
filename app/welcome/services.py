"""Welcome offers: an offer with a zone (a station, a square, the market) that reaches a person
who enters it, once, through the delivery engine (daily cap, quiet hours, mutes and channels
apply), as its own system campaign so the actor sees its aggregated reach."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from time import monotonic
from typing import Any

from shapely.geometry import Point
from shapely.prepared import prep
from sqlalchemy import Select, bindparam, event, or_, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from app import geo
from app.accounts.consents import PROFILE_TARGETING
from app.accounts.models import Consent, User
from app.actors.models import Actor
from app.campaigns.models import CampaignRun
from app.campaigns.services import system_campaign_run
from app.delivery.runs import add_recipients
from app.extensions import db
from app.models_common import utcnow
from app.places.live import has_live_location_consent, live_cell_of
from app.publications.models import Publication
from app.publications.services import visible_criteria
from app.territories.models import Territory
from app.territories.scoping import belongs, same_territory
from app.welcome.models import WelcomeSent

# --- welcome offers -------------------------------------------------------------------------
#
# A check-in must stay cheap (hundreds a second): the welcome zones of a territory are kept in
# memory for WELCOME_ZONES_TTL (inner and border cells, the exact shape for border cells), so
# that matching a point costs no query at all; only a point inside a zone asks the database,
# once, which of those offers the person already received. Sending is a Huey task: it checks
# everything again (the offer may have ended, the consent been withdrawn), records the offer as
# sent once per person (a unique row, inserted race-safely) and hands it to the delivery engine,
# where the daily cap, quiet hours, mutes and accepted channels apply.

WELCOME_ZONES_TTL = 30.0  # seconds; a new or edited offer is matched at most this much later
WELCOME_CHANNELS = ("push", "inbox")
WELCOME_SCHEDULE_KIND = "welcome"  # Campaign.schedule_kind of an offer's system campaign


@dataclass(frozen=True)
class WelcomeZone:
    publication_id: int
    inner: frozenset[int]
    border: frozenset[int]
    shape: Any  # prepared shapely geometry, for points in border cells
    population_types: frozenset[str]
    valid_from: datetime | None
    valid_until: datetime | None

    def covers(self, lat: float, lon: float, cell: int) -> bool:
        if cell in self.inner:
            return True
        return cell in self.border and bool(self.shape.covers(Point(lon, lat)))

    def welcomes(self, population_type: str | None) -> bool:
        return not self.population_types or population_type in self.population_types

    def valid_at(self, now: datetime) -> bool:
        return (self.valid_from is None or self.valid_from <= now) and (
            self.valid_until is None or self.valid_until >= now)


_welcome_zones: dict[int, tuple[float, list[WelcomeZone]]] = {}


def forget_welcome_zones(territory_id: int | None = None) -> None:
    """Drop the cached welcome zones (of one territory, or all)."""
    if territory_id is None:
        _welcome_zones.clear()
    else:
        _welcome_zones.pop(territory_id, None)


@event.listens_for(Publication, "after_insert")
@event.listens_for(Publication, "after_update")
@event.listens_for(Publication, "after_delete")
def _publication_changed(_mapper: Any, _connection: Any, publication: Publication) -> None:
    """This process sees its own edits at once; other processes within WELCOME_ZONES_TTL."""
    if publication.is_welcome_offer or publication.territory_id in _welcome_zones:
        forget_welcome_zones(publication.territory_id)


@event.listens_for(Territory, "after_insert")
@event.listens_for(Territory, "after_delete")
def _territory_changed(_mapper: Any, _connection: Any, territory: Territory) -> None:
    """A new territory may reuse a deleted one's id (a fresh test database): nothing stale."""
    forget_welcome_zones(territory.id)


@lru_cache(maxsize=256)
def _zone_parts(zone_geojson: str | None, lat: float | None, lon: float | None,
                radius_m: int | None) -> tuple[frozenset[int], frozenset[int], Any] | None:
    if zone_geojson:
        geometry = geo.as_geometry(zone_geojson)
    elif radius_m and lat is not None and lon is not None:
        geometry = geo.circle_zone(lat, lon, radius_m)
    else:
        return None
    inner, border = geo.zone_cells(geometry, geo.LIVE_RESOLUTION)
    return frozenset(inner), frozenset(border), prep(geometry)


def _visible_welcome_offers(territory_id: int, now: datetime) -> Select[Any]:
    return (
        select(Publication)
        .join(Actor, Actor.id == Publication.actor_id)
        .where(
            *visible_criteria(territory_id, now),
            Publication.kind == "offer",
            Publication.is_welcome_offer.is_(True),
            or_(Publication.valid_until.is_(None), Publication.valid_until >= now),
        )
    )


def welcome_zones(territory_id: int, now: datetime | None = None) -> list[WelcomeZone]:
    """The zones of the territory's published welcome offers that are valid now or later."""
    now = now or utcnow()
    clock = monotonic()
    cached = _welcome_zones.get(territory_id)
    if cached is not None and clock - cached[0] < WELCOME_ZONES_TTL:
        return cached[1]
    zones = []
    for publication in db.session.scalars(_visible_welcome_offers(territory_id, now)):
        parts = _zone_parts(publication.zone_geojson, publication.lat, publication.lon, publication.radius_m)
        if parts is None:
            continue
        zones.append(WelcomeZone(
            publication.id, parts[0], parts[1], parts[2],
            frozenset(publication.welcome_population_type_list),
            publication.valid_from, publication.valid_until,
        ))
    _welcome_zones[territory_id] = (clock, zones)
    return zones


def welcome_offers_at(user: User, territory: Territory, lat: float, lon: float, cell: int,
                      now: datetime) -> list[int]:
    """The welcome offers whose zone holds this exact point, valid now, for this person's
    population type, not yet sent to them."""
    candidates = [zone.publication_id for zone in welcome_zones(territory.id, now)
                  if zone.valid_at(now) and zone.welcomes(user.population_type)
                  and zone.covers(lat, lon, cell)]
    if not candidates:
        return []
    sent = set(db.session.scalars(
        select(WelcomeSent.publication_id).where(WelcomeSent.user_id == user.id,
                                                 WelcomeSent.publication_id.in_(candidates))
    ))
    return [pid for pid in candidates if pid not in sent]


def send_welcome_offer(user_id: int, publication_id: int, now: datetime | None = None) -> bool:
    """Send a welcome offer to a person who entered its zone, once (True if it went to the
    delivery engine now). Everything is checked again: the offer is published, valid and a
    welcome offer; the person still consents to live location and their fresh live cell is in
    its zone; a population filter also needs their consent to profile targeting."""
    now = now or utcnow()
    user = db.session.get(User, user_id)
    publication = db.session.get(Publication, publication_id)
    if user is None or publication is None or not same_territory(user, publication):
        return False
    territory = db.session.get(Territory, user.territory_id)
    if territory is None or not has_live_location_consent(user):
        return False
    offer = db.session.scalar(
        _visible_welcome_offers(territory.id, now).where(Publication.id == publication.id)
    )
    if offer is None:
        return False
    if (publication.valid_from and publication.valid_from > now) or (
            publication.valid_until and publication.valid_until < now):
        return False
    types = publication.welcome_population_type_list
    if types:
        consented = db.session.scalar(
            select(Consent.id).where(Consent.user_id == user.id, Consent.purpose == PROFILE_TARGETING,
                                     Consent.withdrawn_at.is_(None)).limit(1))
        if consented is None or user.population_type not in types:
            return False
    live_cell = live_cell_of(user, now)
    parts = _zone_parts(publication.zone_geojson, publication.lat, publication.lon, publication.radius_m)
    if live_cell is None or parts is None or live_cell.cell not in parts[0] | parts[1]:
        return False
    # Once per person and offer: the unique row decides, whoever inserts it first.
    connection = db.session.connection()
    inserted = connection.execute(
        _insert_ignore(connection.dialect.name, WelcomeSent.__table__),
        {"user_id": user.id, "publication_id": publication.id, "sent_at": now},
    ).scalar()  # the new row's id; None when it was there already (rowcount is -1 on psycopg)
    if inserted is None:
        db.session.rollback()
        return False
    # One run of the offer's own campaign gathers every welcomed person: the actor sees the
    # offer's reach among its campaigns, aggregated like any other, never a run per person.
    run = welcome_run(publication, now)
    recipient = select(User.id).where(User.id == user.id, belongs(User, territory))
    add_recipients(run, territory, recipient, now)
    return True


def _insert_ignore(dialect: str, table: Any) -> Any:
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    return insert(table).values(
        user_id=bindparam("user_id"), publication_id=bindparam("publication_id"),
        sent_at=bindparam("sent_at", type_=table.c.sent_at.type),
    ).on_conflict_do_nothing().returning(table.c.id)


def welcome_run(publication: Publication, now: datetime) -> CampaignRun:
    """The run of the offer's own campaign that every welcomed person joins."""
    return system_campaign_run(publication, WELCOME_SCHEDULE_KIND, WELCOME_CHANNELS, now)

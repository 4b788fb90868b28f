"""Places: live location (opt-in, coarse, short-lived), residence cells, zone look-ups, "Near me"
and the tourism office's screens.

What is stored of a person's position is one H3 cell (about 0.1 km²) and its time, overwritten
at each check-in and forgotten after ``LIVE_CELL_LIFETIME``: there is never a history, and the
coordinates a phone sends are used only while the request runs."""

from __future__ import annotations

import hashlib
import json
import math
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from time import monotonic
from typing import Any

from flask_babel import gettext as _
from shapely.geometry import Point
from sqlalchemy import Select, and_, bindparam, delete, event, exists, func, or_, select, union_all
from sqlalchemy.orm import joinedload, lazyload

from app.accounts.models import Consent, User
from app.actors.models import Actor, ActorHashtag
from app.actors.services import is_open_now
from app.extensions import db
from app.models_common import utcnow
from app.places import cells
from app.places.models import KioskToken, LiveCell
from app.publications.models import Publication, PublicationHashtag
from app.territories.models import Hashtag, Neighbourhood, Territory
from app.timezones import local_day_bounds

LIVE_LOCATION = "live_location"  # the consent's purpose
LIVE_CELL_LIFETIME = timedelta(minutes=60)
CHECKIN_INTERVAL = timedelta(minutes=5)  # how often an open app reports (static/js/location.js)
# Without a drawn boundary, a territory reaches this far from its centre.
DEFAULT_REACH_M = 50_000
RADIUS_MIN_M, RADIUS_MAX_M = 50, 2000
NEAR_LIMIT = 50
KIOSK_LIMIT = 12
KIOSK_REACH_M = 5000


class PlaceError(ValueError):
    """Bad input about a place; the message is translated and shown as is."""


# --- live location: consent ---------------------------------------------------------------------


@lru_cache(maxsize=1)
def _consent_exists_query() -> Any:
    """Built once: every check-in asks it (a covering index look-up on the consent table)."""
    return select(Consent.id).where(
        Consent.user_id == bindparam("user_id"), Consent.purpose == LIVE_LOCATION,
        Consent.withdrawn_at.is_(None),
    ).limit(1)


def has_live_location_consent(user: User) -> bool:
    # Core on the session's connection: half the cost of the ORM path, at every check-in.
    connection = db.session.connection()
    return connection.execute(_consent_exists_query(), {"user_id": user.id}).first() is not None


def turn_on_live_location(user: User) -> Consent:
    from app.accounts.services import grant_consent

    return grant_consent(user, LIVE_LOCATION, detail="near")


def turn_off_live_location(user: User) -> None:
    """Withdraw the consent (the record stays, dated) and forget the live cell at once."""
    now = utcnow()
    for consent in db.session.scalars(
        select(Consent).where(Consent.user_id == user.id, Consent.purpose == LIVE_LOCATION,
                              Consent.withdrawn_at.is_(None))
    ):
        consent.withdrawn_at = now
    db.session.execute(delete(LiveCell).where(LiveCell.user_id == user.id))
    db.session.commit()


@event.listens_for(Consent, "after_update")
def _live_location_withdrawn(_mapper: Any, connection: Any, consent: Consent) -> None:
    """However the consent is withdrawn (here or in the privacy centre), the live cell goes in
    the same transaction."""
    if consent.purpose == LIVE_LOCATION and consent.withdrawn_at is not None:
        connection.execute(delete(LiveCell).where(LiveCell.user_id == consent.user_id))


# --- live location: check-in --------------------------------------------------------------------


def parse_point(lat: Any, lon: Any) -> tuple[float, float]:
    """Latitude and longitude in degrees from JSON or a form; PlaceError otherwise."""
    try:
        if isinstance(lat, bool) or isinstance(lon, bool):
            raise TypeError
        lat_f, lon_f = float(lat), float(lon)
    except (TypeError, ValueError):
        raise PlaceError(_("Send a latitude and a longitude in degrees.")) from None
    if not (math.isfinite(lat_f) and math.isfinite(lon_f)) or not (
        -90 <= lat_f <= 90 and -180 <= lon_f <= 180
    ):
        raise PlaceError(_("Send a latitude between -90 and 90 and a longitude between -180 and 180."))
    return lat_f, lon_f


def in_territory(territory: Territory, lat: float, lon: float) -> bool:
    """Inside the territory's boundary; without one, within 50 km of its centre."""
    if territory.boundary_geojson:
        return bool(cells.prepared_area(territory.boundary_geojson).covers(Point(lon, lat)))
    return cells.distance_m(lat, lon, territory.center_lat, territory.center_lon) <= DEFAULT_REACH_M


def check_in(user: User, territory: Territory, lat: Any, lon: Any,
             now: datetime | None = None) -> int:
    """Store where ``user`` is now as a coarse cell, replacing the previous one; returns the
    cell. The caller has checked the consent. Raises PlaceError (nothing stored) for bad
    numbers or a point outside the territory.

    This is the only moment the exact point is known: the welcome offers are matched here
    against the territory's welcome zones (inner cells without a geometry test, border cells
    exactly; no query unless the point is in one), and the ones to send are enqueued, before
    the point is dropped."""
    lat_f, lon_f = parse_point(lat, lon)
    if not in_territory(territory, lat_f, lon_f):
        raise PlaceError(_("This position is outside %(town)s.", town=territory.name))
    cell = cells.cell_of(lat_f, lon_f, cells.LIVE_RESOLUTION)
    # Only these four values leave this function: the coordinates end here.
    values = {"user_id": user.id, "territory_id": territory.id, "cell": cell,
              "seen_at": now or utcnow()}
    connection = db.session.connection()
    connection.execute(_upsert_statement(connection.dialect.name), values)
    db.session.commit()
    offers = welcome_offers_at(user, territory, lat_f, lon_f, cell, values["seen_at"])
    if offers:
        from app.places.tasks import send_welcome_offers

        send_welcome_offers(user.id, offers)
    return cell


@lru_cache(maxsize=4)
def _upsert_statement(dialect: str) -> Any:
    """INSERT ... ON CONFLICT (user_id) DO UPDATE: one statement, built once per dialect."""
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    statement = insert(LiveCell).values(
        user_id=bindparam("user_id"), territory_id=bindparam("territory_id"),
        cell=bindparam("cell"), seen_at=bindparam("seen_at", type_=LiveCell.__table__.c.seen_at.type),
    )
    return statement.on_conflict_do_update(
        index_elements=[LiveCell.user_id],
        set_={"territory_id": statement.excluded.territory_id, "cell": statement.excluded.cell,
              "seen_at": statement.excluded.seen_at},
    )


def fresh_after(now: datetime | None = None) -> datetime:
    return (now or utcnow()) - LIVE_CELL_LIFETIME


def live_cell_of(user: User, now: datetime | None = None) -> LiveCell | None:
    """The person's own live cell, if it is still fresh."""
    return db.session.scalar(
        select(LiveCell).where(LiveCell.user_id == user.id, LiveCell.seen_at > fresh_after(now))
    )


def purge_expired_live_cells(now: datetime | None = None) -> int:
    """Delete every live cell older than the lifetime; returns how many."""
    result = db.session.execute(delete(LiveCell).where(LiveCell.seen_at <= fresh_after(now)))
    db.session.commit()
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


# --- zones: who is present, who lives there -----------------------------------------------------


def present_user_ids_query(territory: Territory, zone_cells: Any, now: datetime | None = None) -> Select[Any]:
    """SELECT of the ids of people whose fresh live cell is one of ``zone_cells`` (from
    ``cells.cells_with_centre_inside``: no exact point is kept, so a border cell counts by its
    centre). An indexed look-up on (territory, cell, seen_at)."""
    return select(LiveCell.user_id).where(
        LiveCell.territory_id == territory.id,
        LiveCell.cell.in_(sorted(int(c) for c in zone_cells)),
        LiveCell.seen_at > fresh_after(now),
    )


def resident_user_ids_query(territory: Territory, geometry: Any) -> Select[Any]:
    """SELECT of the ids of people who live in a drawn zone: their residence cell's centre is
    in it, or, without a residence cell, their neighbourhood's centre is."""
    zone = cells.as_geometry(geometry)
    zone_cells = cells.cells_with_centre_inside(zone, cells.RESIDENCE_RESOLUTION)
    by_cell = select(User.id).where(
        User.territory_id == territory.id,
        User.residence_cell.in_(sorted(zone_cells)),
    )
    hood_ids = [hood.id for hood in neighbourhoods_with_centre_in(territory, zone)]
    if not hood_ids:
        return by_cell
    by_neighbourhood = select(User.id).where(
        User.territory_id == territory.id,
        User.residence_cell.is_(None),
        User.neighbourhood_id.in_(hood_ids),
    )
    return union_all(by_cell, by_neighbourhood)  # type: ignore[return-value]


def count_ids(query: Any) -> int:
    return int(db.session.scalar(select(func.count()).select_from(query.subquery())) or 0)


def count_present(territory: Territory, geometry: Any, now: datetime | None = None) -> int:
    zone_cells = cells.cells_with_centre_inside(geometry, cells.LIVE_RESOLUTION)
    return count_ids(present_user_ids_query(territory, zone_cells, now))


def count_residents(territory: Territory, geometry: Any) -> int:
    return count_ids(resident_user_ids_query(territory, geometry))


def neighbourhood_centre(hood: Neighbourhood) -> tuple[float, float] | None:
    """A point surely inside the neighbourhood (its centroid, or a representative point when
    the centroid falls outside a concave shape), as (lat, lon)."""
    return _area_centre(hood.geojson) if hood.geojson else None


@lru_cache(maxsize=1024)
def _area_centre(geojson_text: str) -> tuple[float, float]:
    shape = cells.as_geometry(geojson_text)
    point = shape.centroid if shape.contains(shape.centroid) else shape.representative_point()
    return point.y, point.x


def neighbourhoods_with_centre_in(territory: Territory, zone: Any) -> list[Neighbourhood]:
    hoods = db.session.scalars(
        select(Neighbourhood).where(Neighbourhood.territory_id == territory.id,
                                    Neighbourhood.geojson.is_not(None))
    )
    found = []
    for hood in hoods:
        centre = neighbourhood_centre(hood)
        if centre and zone.contains(Point(centre[1], centre[0])):
            found.append(hood)
    return found


# --- residence ------------------------------------------------------------------------------


def set_residence(user: User, territory: Territory, lat: Any, lon: Any) -> int:
    lat_f, lon_f = parse_point(lat, lon)
    if not in_territory(territory, lat_f, lon_f):
        raise PlaceError(_("This point is outside %(town)s.", town=territory.name))
    user.residence_cell = cells.cell_of(lat_f, lon_f, cells.RESIDENCE_RESOLUTION)
    db.session.commit()
    return user.residence_cell


def clear_residence(user: User) -> None:
    user.residence_cell = None
    db.session.commit()


def residence_centre(user: User) -> tuple[float, float] | None:
    """Where the person lives as the platform sees it: their cell's centre, else their
    neighbourhood's centre."""
    if user.residence_cell:
        return cells.cell_centre(user.residence_cell)
    if user.neighbourhood_id:
        hood = db.session.get(Neighbourhood, user.neighbourhood_id)
        return neighbourhood_centre(hood) if hood else None
    return None


# --- zones of publications ------------------------------------------------------------------


def radius_problem(radius: int | None) -> str | None:
    if radius is None:
        return None
    if not (RADIUS_MIN_M <= radius <= RADIUS_MAX_M):
        return _("The radius must be between %(min)d m and %(max)d m.", min=RADIUS_MIN_M, max=RADIUS_MAX_M)
    return None


def publication_zone(publication: Publication) -> Any | None:
    """The zone where a publication applies: its drawn polygon, else its circle, else none."""
    if publication.zone_geojson:
        return cells.as_geometry(publication.zone_geojson)
    if publication.radius_m and publication.lat is not None and publication.lon is not None:
        return cells.circle_zone(publication.lat, publication.lon, publication.radius_m)
    return None


# --- near me --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Origin:
    """Where "Near me" measures from; ``source`` says which: live, point, neighbourhood, centre."""

    lat: float
    lon: float
    source: str
    neighbourhood: Neighbourhood | None = None


@dataclass
class NearItem:
    kind: str  # place | offer | event
    title: str
    lat: float
    lon: float
    distance_m: float
    actor: Actor
    publication: Publication | None = None
    in_zone: bool = False


def resolve_origin(territory: Territory, user: Any, *, lat: Any = None, lon: Any = None,
                   neighbourhood_id: Any = None, live: bool = False,
                   now: datetime | None = None) -> tuple[Origin, str | None]:
    """The origin asked for (a picked point, a neighbourhood, the live cell), else the best
    one known (live cell, own neighbourhood, the town's centre); and a problem to show."""
    problem = None
    if lat not in (None, "") or lon not in (None, ""):
        try:
            lat_f, lon_f = parse_point(lat, lon)
            if in_territory(territory, lat_f, lon_f):
                return Origin(lat_f, lon_f, "point"), None
            problem = _("This point is outside %(town)s.", town=territory.name)
        except PlaceError as error:
            problem = str(error)
    if neighbourhood_id not in (None, ""):
        hood = db.session.get(Neighbourhood, _int(neighbourhood_id))
        centre = neighbourhood_centre(hood) if hood and hood.territory_id == territory.id else None
        if hood is not None and centre is not None and hood.territory_id == territory.id:
            return Origin(centre[0], centre[1], "neighbourhood", hood), problem
        problem = problem or _("This neighbourhood has no drawn area.")
    authenticated = bool(getattr(user, "is_authenticated", False))
    if authenticated and has_live_location_consent(user):
        live_cell = live_cell_of(user, now)
        if live_cell is not None:
            c_lat, c_lon = cells.cell_centre(live_cell.cell)
            return Origin(c_lat, c_lon, "live"), problem
        if live:
            problem = problem or _("Your position is not known yet: allow the location in your browser.")
    if authenticated and user.neighbourhood_id:
        hood = db.session.get(Neighbourhood, user.neighbourhood_id)
        centre = neighbourhood_centre(hood) if hood else None
        if centre is not None:
            return Origin(centre[0], centre[1], "neighbourhood", hood), problem
    return Origin(territory.center_lat, territory.center_lon, "centre"), problem


def _int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


UPCOMING_WINDOW = timedelta(hours=6)


def happening_publications(territory: Territory, now: datetime, hashtag: Hashtag | None = None,
                           limit: int = 500) -> list[Publication]:
    """Visible offers valid now and events of today or of the next hours (not over), with a place
    (their own or their actor's). Late in the evening, what starts after midnight is still "on"."""
    from app.feed.services import EVENT_DEFAULT_DURATION, visible_criteria

    _start, day_end = local_day_bounds(now, territory)
    day_end = max(day_end, now + UPCOMING_WINDOW)
    query = (
        select(Publication)
        .join(Actor, Actor.id == Publication.actor_id)
        .where(
            *visible_criteria(territory.id, now),
            or_(Publication.lat.is_not(None), Actor.lat.is_not(None)),
            or_(
                and_(
                    Publication.kind == "offer",
                    or_(Publication.valid_from.is_(None), Publication.valid_from <= now),
                    or_(Publication.valid_until.is_(None), Publication.valid_until >= now),
                ),
                and_(
                    Publication.kind == "event",
                    Publication.starts_at < day_end,
                    or_(
                        Publication.ends_at >= now,
                        and_(Publication.ends_at.is_(None),
                             Publication.starts_at >= now - EVENT_DEFAULT_DURATION),
                    ),
                ),
            ),
        )
        # The near list and the map show neither hashtags: not loaded (a third of the page's cost).
        .options(lazyload(Publication.hashtags), joinedload(Publication.actor).lazyload(Actor.hashtags))
        .order_by(Publication.id.desc())
        .limit(limit)
    )
    if hashtag is not None:
        query = query.where(
            exists().where(PublicationHashtag.publication_id == Publication.id,
                           PublicationHashtag.hashtag_id == hashtag.id)
        )
    return list(db.session.scalars(query).unique())


def open_places(territory: Territory, now: datetime, hashtag: Hashtag | None = None) -> list[Actor]:
    query = select(Actor).where(
        Actor.territory_id == territory.id, Actor.status == "verified", Actor.lat.is_not(None),
        Actor.lon.is_not(None), Actor.opening_hours_json.not_in(("", "{}")),
    ).options(lazyload(Actor.hashtags))
    if hashtag is not None:
        query = query.where(
            exists().where(ActorHashtag.actor_id == Actor.id, ActorHashtag.hashtag_id == hashtag.id)
        )
    return [a for a in db.session.scalars(query) if is_open_now(a, now, territory.timezone)]


def near_items(territory: Territory, origin: Origin, now: datetime | None = None,
               hashtag: Hashtag | None = None, limit: int = NEAR_LIMIT) -> list[NearItem]:
    """What is open, on offer and on today around ``origin``, nearest first."""
    now = now or utcnow()
    items: list[NearItem] = []
    for actor in open_places(territory, now, hashtag):
        items.append(NearItem("place", actor.name, actor.lat, actor.lon,
                              cells.distance_m(origin.lat, origin.lon, actor.lat, actor.lon), actor))
    for publication in happening_publications(territory, now, hashtag):
        lat = publication.lat if publication.lat is not None else publication.actor.lat
        lon = publication.lon if publication.lon is not None else publication.actor.lon
        zone = publication_zone(publication)
        items.append(NearItem(
            publication.kind, publication.title, lat, lon,
            cells.distance_m(origin.lat, origin.lon, lat, lon), publication.actor, publication,
            in_zone=bool(zone is not None and zone.covers(Point(origin.lon, origin.lat))),
        ))
    items.sort(key=lambda item: (item.distance_m, item.kind, item.title))
    return items[:limit]


def find_hashtag(territory: Territory, tag: str | None) -> Hashtag | None:
    from app.text import normalise_hashtag

    tag = normalise_hashtag(tag or "")
    if not tag:
        return None
    return db.session.scalar(
        select(Hashtag).where(Hashtag.territory_id == territory.id, Hashtag.tag == tag,
                              Hashtag.active.is_(True))
    )


# --- kiosk ----------------------------------------------------------------------------------


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_kiosk_token(actor: Actor, label: str) -> tuple[KioskToken, str]:
    """A new screen link for a tourism office; the raw token is returned once, only its hash
    is kept."""
    raw = secrets.token_urlsafe(24)
    token = KioskToken(territory_id=actor.territory_id, actor_id=actor.id,
                       token_hash=_token_hash(raw), label=(label or "").strip()[:80])
    db.session.add(token)
    db.session.commit()
    return token, raw


def kiosk_tokens(actor: Actor) -> list[KioskToken]:
    return list(db.session.scalars(
        select(KioskToken).where(KioskToken.actor_id == actor.id)
        .order_by(KioskToken.revoked_at.is_not(None), KioskToken.created_at.desc())
    ))


def revoke_kiosk_token(token: KioskToken) -> None:
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        db.session.commit()


def find_kiosk(territory: Territory, raw: str) -> KioskToken | None:
    """The active screen of this territory named by ``raw``; unknown, revoked or another
    territory's: None."""
    if not raw or len(raw) > 100:
        return None
    token = db.session.scalar(select(KioskToken).where(KioskToken.token_hash == _token_hash(raw)))
    if token is None or token.revoked_at is not None or token.territory_id != territory.id:
        return None
    actor = db.session.get(Actor, token.actor_id)
    if actor is None or actor.status != "verified" or actor.kind != "tourism_office":
        return None
    return token


def kiosk_items(territory: Territory, actor: Actor, now: datetime | None = None) -> list[NearItem]:
    """Current offers and today's events near the office (its address, else the town's centre)."""
    lat = actor.lat if actor.lat is not None else territory.center_lat
    lon = actor.lon if actor.lon is not None else territory.center_lon
    origin = Origin(lat, lon, "point")
    items = [i for i in near_items(territory, origin, now, limit=200)
             if i.publication is not None and i.distance_m <= KIOSK_REACH_M]
    return items[:KIOSK_LIMIT]


def normalised_zone(geometry: dict[str, Any]) -> str:
    return json.dumps(geometry, separators=(",", ":"))


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
        geometry = cells.as_geometry(zone_geojson)
    elif radius_m and lat is not None and lon is not None:
        geometry = cells.circle_zone(lat, lon, radius_m)
    else:
        return None
    inner, border = cells.zone_cells(geometry, cells.LIVE_RESOLUTION)
    from shapely.prepared import prep

    return frozenset(inner), frozenset(border), prep(geometry)


def _visible_welcome_offers(territory_id: int, now: datetime) -> Select[Any]:
    return (
        select(Publication)
        .join(Actor, Actor.id == Publication.actor_id)
        .where(
            Publication.territory_id == territory_id,
            Publication.kind == "offer",
            Publication.is_welcome_offer.is_(True),
            Publication.status == "published",
            Publication.moderated_at.is_(None),
            Actor.status == "verified",
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
    from app.places.models import WelcomeSent

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
    from app.accounts.services import PROFILE_TARGETING
    from app.places.models import WelcomeSent

    now = now or utcnow()
    user = db.session.get(User, user_id)
    publication = db.session.get(Publication, publication_id)
    if user is None or publication is None or user.territory_id != publication.territory_id:
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
    run = _welcome_run(publication, territory, now)
    from app.delivery.services import enqueue_drains, materialise

    recipient = select(User.id).where(User.id == user.id, User.territory_id == territory.id)
    rows = materialise(run, run.campaign, territory, None, now, recipients=recipient)
    db.session.commit()
    if rows:
        enqueue_drains(run.id, rows)
    return True


def _insert_ignore(dialect: str, table: Any) -> Any:
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert(table).values(
        user_id=bindparam("user_id"), publication_id=bindparam("publication_id"),
        sent_at=bindparam("sent_at", type_=table.c.sent_at.type),
    ).on_conflict_do_nothing().returning(table.c.id)


# The first key of the PostgreSQL advisory locks that serialise making an offer's welcome
# campaign (the second is the publication's id).
WELCOME_LOCK_CLASS = 0x57454C


def _welcome_run(publication: Publication, territory: Territory, now: datetime) -> Any:
    """The one run of the offer's system campaign (made on its first sending): each welcomed
    person adds their deliveries to it, so the actor sees the offer's reach among its campaigns,
    aggregated like any other, and never a run per person."""
    from app.campaigns.models import Campaign, CampaignRun

    if db.session.get_bind().dialect.name == "postgresql":
        # Two workers welcoming two people to the same offer at once would both find no campaign
        # and make one each: the offer's lock, held until the transaction ends, lets one make it
        # and the other find it. (SQLite writes one transaction at a time: the WelcomeSent
        # insert before this already waits for the other.)
        db.session.execute(select(func.pg_advisory_xact_lock(WELCOME_LOCK_CLASS, publication.id)))
    campaign = db.session.scalar(
        select(Campaign).where(Campaign.publication_id == publication.id,
                               Campaign.schedule_kind == WELCOME_SCHEDULE_KIND)
        .order_by(Campaign.id).limit(1)
    )
    if campaign is None:
        campaign = Campaign(
            territory_id=territory.id, actor_id=publication.actor_id, title=publication.title[:80],
            body=(publication.summary or "")[:500], publication_id=publication.id,
            schedule_kind=WELCOME_SCHEDULE_KIND, status="sending", send_at=now,
        )
        campaign.channels = list(WELCOME_CHANNELS)
        db.session.add(campaign)
        db.session.flush()
    run = db.session.scalar(
        select(CampaignRun).where(CampaignRun.campaign_id == campaign.id).order_by(CampaignRun.id).limit(1)
    )
    if run is None:
        run = CampaignRun(campaign_id=campaign.id, territory_id=territory.id, scheduled_for=now,
                          started_at=now, status="sending")
        db.session.add(run)
        db.session.flush()
    return run

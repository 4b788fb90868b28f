"""Near me: what is open, on offer and on today around a point (the live position, a picked
point, the neighbourhood or the town's centre), nearest first."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from shapely.geometry import Point
from sqlalchemy import and_, exists, or_, select
from sqlalchemy.orm import joinedload, lazyload

from app import changes, geo
from app.actors import hours
from app.actors.models import Actor, ActorHashtag
from app.extensions import db
from app.geo import PlaceError, parse_point
from app.models_common import Kept, KeptRows, staggered_minute, utcnow
from app.places.live import live_cell_of, live_location_on
from app.places.residence import neighbourhood_centre
from app.publications.models import EVENT_DEFAULT_DURATION, Publication, PublicationHashtag
from app.publications.services import publication_zone, visible_criteria
from app.territories.models import Hashtag, Neighbourhood, Territory
from app.territories.scoping import belongs, same_territory
from app.territories.services import in_territory
from app.timezones import local_date, local_day_bounds

NEAR_LIMIT = 50
# Near me's filter on what a shop declares on its page: the actor's flag it reads.
SERVICES = {"click-and-collect": "click_and_collect", "delivery": "delivers"}


@dataclass(frozen=True)
class Origin:
    """Where "Near me" measures from; ``source`` says which: live, point, neighbourhood, centre."""

    lat: float
    lon: float
    source: str
    neighbourhood: Neighbourhood | None = None


@dataclass
class NearItem:
    kind: str  # place | offer | event | poll
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
        hood = _neighbourhood(_int(neighbourhood_id))
        centre = neighbourhood_centre(hood) if hood and same_territory(hood, territory) else None
        if hood is not None and centre is not None and same_territory(hood, territory):
            return Origin(centre[0], centre[1], "neighbourhood", hood), problem
        problem = problem or _("This neighbourhood has no drawn area.")
    authenticated = bool(getattr(user, "is_authenticated", False))
    if authenticated and live_location_on(user):
        live_cell = live_cell_of(user, now)
        if live_cell is not None:
            c_lat, c_lon = geo.cell_centre(live_cell.cell)
            return Origin(c_lat, c_lon, "live"), problem
        if live:
            problem = problem or _("Your position is not known yet: allow the location in your browser.")
    if authenticated and user.neighbourhood_id:
        hood = _neighbourhood(user.neighbourhood_id)
        centre = neighbourhood_centre(hood) if hood else None
        if centre is not None:
            return Origin(centre[0], centre[1], "neighbourhood", hood), problem
    return Origin(territory.center_lat, territory.center_lon, "centre"), problem


# Neighbourhoods (their drawn area is a few KB of GeoJSON) kept per process as detached copies
# while the feed data is unchanged (app.changes: their table is in that group), the minute at
# most: Near me starts from the person's own at every request.
_kept_neighbourhoods = KeptRows(256)


def _neighbourhood(neighbourhood_id: int) -> Neighbourhood | None:
    engine = db.engine
    key = (id(current_app._get_current_object()), str(engine.url), neighbourhood_id)  # type: ignore[attr-defined]
    version = (changes.version("feed", engine), staggered_minute(key))
    kept = _kept_neighbourhoods.get(db.session(), key, version)
    if kept is not None:
        return kept[0]  # type: ignore[no-any-return]
    hood = db.session.get(Neighbourhood, neighbourhood_id)
    if hood is not None:
        _kept_neighbourhoods.put(key, version, hood)
    return hood


def _int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


UPCOMING_WINDOW = timedelta(hours=6)


def _day_end(now: datetime, territory: Territory) -> datetime:
    _start, day_end = local_day_bounds(now, territory)
    return max(day_end, now + UPCOMING_WINDOW)


def _happening(query: Any, territory: Territory, now: datetime, hashtag: Hashtag | None,
               limit: int, until: datetime | None = None) -> Any:
    """``query`` (of publications joined to their actor) narrowed to what is happening at
    ``now``; with ``until``, to what happens at some moment from ``now`` to ``until``."""
    start, end = now, until or now
    day_end = _day_end(end, territory)
    query = (
        query
        .join(Actor, Actor.id == Publication.actor_id)
        .where(
            *visible_criteria(territory.id, end),
            or_(Publication.lat.is_not(None), Actor.lat.is_not(None)),
            or_(
                and_(
                    Publication.kind == "offer",
                    or_(Publication.valid_from.is_(None), Publication.valid_from <= end),
                    or_(Publication.valid_until.is_(None), Publication.valid_until >= start),
                ),
                and_(  # a place poll: open now, tied to a zone (near_items keeps it only in its zone)
                    Publication.kind == "poll",
                    or_(Publication.valid_from.is_(None), Publication.valid_from <= end),
                    or_(Publication.valid_until.is_(None), Publication.valid_until > start),
                    or_(Publication.radius_m.is_not(None), Publication.zone_geojson.is_not(None)),
                ),
                and_(
                    Publication.kind == "event",
                    Publication.starts_at < day_end,
                    or_(
                        Publication.ends_at >= start,
                        and_(Publication.ends_at.is_(None),
                             Publication.starts_at >= start - EVENT_DEFAULT_DURATION),
                    ),
                ),
            ),
        )
        .order_by(Publication.id.desc())
        .limit(limit)
    )
    if hashtag is not None:
        query = query.where(
            exists().where(PublicationHashtag.publication_id == Publication.id,
                           PublicationHashtag.hashtag_id == hashtag.id)
        )
    return query


# The near list and the map show neither hashtags: not loaded (a third of the page's cost).
_FULL = (lazyload(Publication.hashtags), joinedload(Publication.actor).lazyload(Actor.hashtags))


def happening_publications(territory: Territory, now: datetime, hashtag: Hashtag | None = None,
                           limit: int = 500) -> list[Publication]:
    """Visible offers valid now and events of today or of the next hours (not over), with a place
    (their own or their actor's). Late in the evening, what starts after midnight is still "on"."""
    query = _happening(select(Publication), territory, now, hashtag, limit).options(*_FULL)
    return list(db.session.scalars(query).unique())


@dataclass(frozen=True)
class _Spot:
    """What near_items needs of a happening publication to place and rank it (one narrow row)."""
    id: int
    kind: str
    title: str
    lat: float | None  # the publication's own place
    lon: float | None
    radius_m: Any
    zone_geojson: Any
    actor_lat: float
    actor_lon: float
    click_and_collect: bool
    delivers: bool
    published_at: datetime | None
    valid_from: datetime | None
    valid_until: datetime | None
    starts_at: datetime | None
    ends_at: datetime | None

    def happening_at(self, now: datetime, day_end: datetime) -> bool:
        """The time conditions of ``_happening`` at ``now``, in Python."""
        if self.published_at is None or self.published_at > now:
            return False
        if self.kind in ("offer", "poll"):
            if self.valid_from is not None and self.valid_from > now:
                return False
            if self.kind == "offer":
                return self.valid_until is None or self.valid_until >= now
            return self.valid_until is None or self.valid_until > now
        if self.kind == "event":
            if self.starts_at is None or self.starts_at >= day_end:
                return False
            if self.ends_at is not None:
                return self.ends_at >= now
            return self.starts_at >= now - EVENT_DEFAULT_DURATION
        return False


# What is happening is the same for everyone: kept per process, per territory and hashtag, as
# the rows happening at some moment of a short span (SPOTS_SECONDS), each checked at the
# request's time in Python; read again when the span is over or the feed data changed in any
# process of the instance (app.changes: a publication or an actor written).
SPOTS_SECONDS = 60
_spots: dict[tuple[Any, ...], tuple[Any, datetime, datetime, list[_Spot]]] = {}
_MAX_SPOT_LISTS = 1_000
_SPOT_COLUMNS = (
    Publication.id, Publication.kind, Publication.title, Publication.lat, Publication.lon,
    Publication.radius_m, Publication.zone_geojson, Actor.lat, Actor.lon,
    Actor.click_and_collect, Actor.delivers, Publication.published_at, Publication.valid_from,
    Publication.valid_until, Publication.starts_at, Publication.ends_at,
)


def _happening_spots(territory: Territory, now: datetime, hashtag: Hashtag | None,
                     limit: int = 500) -> list[_Spot]:
    """``happening_publications``, as narrow rows: only those near_items keeps are then loaded."""
    engine = db.engine
    stamp = changes.version("feed", engine)  # before reading: see app.changes
    key = (territory.id, hashtag.id if hashtag is not None else None, limit, str(engine.url))
    known = _spots.get(key)
    if known is None or known[0] != stamp or not known[1] <= now <= known[2]:
        until = now + timedelta(seconds=SPOTS_SECONDS)
        query = _happening(select(*_SPOT_COLUMNS), territory, now, hashtag, limit, until=until)
        rows = [_Spot(*row) for row in db.session.execute(query)]
        if len(rows) >= limit:  # the span's newest may leave out some of the moment's: exact
            exact = _happening(select(*_SPOT_COLUMNS), territory, now, hashtag, limit)
            return [_Spot(*row) for row in db.session.execute(exact)]
        if len(_spots) >= _MAX_SPOT_LISTS:
            _spots.clear()
        known = _spots[key] = (stamp, now, until, rows)
    day_end = _day_end(now, territory)
    return [spot for spot in known[3] if spot.happening_at(now, day_end)]


def place_polls_happening(territory: Territory, now: datetime, hashtag: Hashtag | None = None) -> bool:
    """Whether a place poll is on now (from the kept rows): only then does where a person lives
    change what is near (a place poll is shown to the people who live in its zone too)."""
    return any(spot.kind == "poll" for spot in _happening_spots(territory, now, hashtag))


def open_places(territory: Territory, now: datetime, hashtag: Hashtag | None = None) -> list[Actor]:
    query = select(Actor).where(
        belongs(Actor, territory), Actor.status == "verified", Actor.lat.is_not(None),
        Actor.lon.is_not(None), Actor.opening_hours_json.not_in(("", "{}")),
    ).options(lazyload(Actor.hashtags))
    if hashtag is not None:
        query = query.where(
            exists().where(ActorHashtag.actor_id == Actor.id, ActorHashtag.hashtag_id == hashtag.id)
        )
    found = list(db.session.scalars(query))
    # Their holidays and special days in one query (app.actors.hours), not one per actor.
    exceptions = hours.exceptions_by_actor([a.id for a in found], local_date(now, territory.timezone))
    return [a for a in found if hours.is_open_at(a, now, territory.timezone, exceptions.get(a.id, []))]


@dataclass(frozen=True)
class _Place:
    """An open place as Near me ranks it."""

    id: int
    name: str
    lat: float
    lon: float
    click_and_collect: bool
    delivers: bool


# Which places are open is the same for everyone: kept per process, per territory and hashtag,
# for the minute, while the feed data (an actor, its hours and exceptions) is unchanged.
_kept_open_places = Kept(256)


def _open_place_rows(territory: Territory, now: datetime, hashtag: Hashtag | None) -> list[_Place]:
    engine = db.engine
    key = (str(engine.url), territory.id, hashtag.id if hashtag is not None else None)
    version = (changes.version("feed", engine), staggered_minute(key))
    places: list[_Place] | None = _kept_open_places.get(key, version)
    if places is None:
        places = [
            _Place(actor.id, actor.name, actor.lat, actor.lon, bool(actor.click_and_collect),
                   bool(actor.delivers))
            for actor in open_places(territory, now, hashtag)
        ]
        _kept_open_places.put(key, version, places)
    return places


def _home_point(user: Any) -> tuple[float, float] | None:
    if not getattr(user, "is_authenticated", False) or not getattr(user, "neighbourhood_id", None):
        return None
    hood = db.session.get(Neighbourhood, user.neighbourhood_id)
    return neighbourhood_centre(hood) if hood is not None else None


def near_items(territory: Territory, origin: Origin, now: datetime | None = None,
               hashtag: Hashtag | None = None, limit: int = NEAR_LIMIT, user: Any = None,
               service: str | None = None) -> list[NearItem]:
    """What is open, on offer and on today around ``origin``, nearest first; the place polls of
    the zone ``origin`` is in, and of the zone ``user`` lives in. With ``service`` (a key of
    SERVICES), only what comes from shops that declare it."""
    now = now or utcnow()
    home = _home_point(user)
    flag = SERVICES.get(service or "")
    # Everything is ranked from narrow rows (the places open this minute and the publications
    # happening, both kept); only what is shown is then loaded whole.
    ranked: list[tuple[float, str, str, Any, bool, float, float]] = [
        (geo.distance_m(origin.lat, origin.lon, place.lat, place.lon), "place", place.name, place,
         False, place.lat, place.lon)
        for place in _open_place_rows(territory, now, hashtag)
        if flag is None or getattr(place, flag)
    ]
    for spot in _happening_spots(territory, now, hashtag):
        if flag is not None and not getattr(spot, flag):
            continue
        lat = spot.lat if spot.lat is not None else spot.actor_lat
        lon = spot.lon if spot.lon is not None else spot.actor_lon
        zone = publication_zone(spot)  # type: ignore[arg-type]
        in_zone = bool(zone is not None and zone.covers(Point(origin.lon, origin.lat)))
        if spot.kind == "poll" and not in_zone and not (
            home is not None and zone is not None and zone.covers(Point(home[1], home[0]))
        ):
            continue  # a place poll is for the people who are there, or live there
        ranked.append((geo.distance_m(origin.lat, origin.lon, lat, lon), spot.kind, spot.title, spot,
                       in_zone, lat, lon))
    ranked.sort(key=lambda r: (r[0], r[1], r[2]))
    shown = ranked[:limit]
    place_ids = [r[3].id for r in shown if r[1] == "place"]
    spot_ids = [r[3].id for r in shown if r[1] != "place"]
    actors = {
        actor.id: actor
        for actor in db.session.scalars(
            select(Actor).where(Actor.id.in_(place_ids)).options(lazyload(Actor.hashtags))
        )
    } if place_ids else {}
    loaded = {
        publication.id: publication
        for publication in db.session.scalars(
            select(Publication).where(Publication.id.in_(spot_ids)).options(*_FULL)
        ).unique()
    } if spot_ids else {}
    items: list[NearItem] = []
    for distance, kind, title, row, in_zone, lat, lon in shown:
        if kind == "place":
            actor = actors.get(row.id)
            if actor is not None:  # else deleted meanwhile
                items.append(NearItem("place", title, lat, lon, distance, actor))
            continue
        publication = loaded.get(row.id)
        if publication is not None:
            items.append(NearItem(kind, title, lat, lon, distance, publication.actor, publication,
                                  in_zone=in_zone))
    return items



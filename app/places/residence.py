"""Residence: where a person lives, as one H3 cell they picked on a map (else their
neighbourhood's centre), and who lives in a drawn zone (campaign criteria)."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from flask_babel import gettext as _
from shapely.geometry import Point
from sqlalchemy import Select, select, union_all

from app import geo
from app.accounts.models import User
from app.extensions import db
from app.geo import PlaceError, parse_point
from app.places.live import count_ids
from app.territories.models import Neighbourhood, Territory
from app.territories.scoping import belongs, scoped
from app.territories.services import in_territory


def resident_user_ids_query(territory: Territory, geometry: Any) -> Select[Any]:
    """SELECT of the ids of people who live in a drawn zone: their residence cell's centre is
    in it, or, without a residence cell, their neighbourhood's centre is."""
    zone = geo.as_geometry(geometry)
    zone_cells = geo.cells_with_centre_inside(zone, geo.RESIDENCE_RESOLUTION)
    by_cell = select(User.id).where(
        belongs(User, territory),
        User.residence_cell.in_(sorted(zone_cells)),
    )
    hood_ids = [hood.id for hood in neighbourhoods_with_centre_in(territory, zone)]
    if not hood_ids:
        return by_cell
    by_neighbourhood = select(User.id).where(
        belongs(User, territory),
        User.residence_cell.is_(None),
        User.neighbourhood_id.in_(hood_ids),
    )
    return union_all(by_cell, by_neighbourhood)  # type: ignore[return-value]


def count_residents(territory: Territory, geometry: Any) -> int:
    return count_ids(resident_user_ids_query(territory, geometry))


def neighbourhood_centre(hood: Neighbourhood) -> tuple[float, float] | None:
    """A point surely inside the neighbourhood (its centroid, or a representative point when
    the centroid falls outside a concave shape), as (lat, lon)."""
    return _area_centre(hood.geojson) if hood.geojson else None


@lru_cache(maxsize=1024)
def _area_centre(geojson_text: str) -> tuple[float, float]:
    shape = geo.as_geometry(geojson_text)
    point = shape.centroid if shape.contains(shape.centroid) else shape.representative_point()
    return point.y, point.x


def neighbourhoods_with_centre_in(territory: Territory, zone: Any) -> list[Neighbourhood]:
    hoods = db.session.scalars(
        scoped(Neighbourhood, territory,
                                    Neighbourhood.geojson.is_not(None))
    )
    found = []
    for hood in hoods:
        centre = neighbourhood_centre(hood)
        if centre and zone.contains(Point(centre[1], centre[0])):
            found.append(hood)
    return found


# --- where a person lives ------------------------------------------------------------------------------


def set_residence(user: User, territory: Territory, lat: Any, lon: Any) -> int:
    lat_f, lon_f = parse_point(lat, lon)
    if not in_territory(territory, lat_f, lon_f):
        raise PlaceError(_("This point is outside %(town)s.", town=territory.name))
    user.residence_cell = geo.cell_of(lat_f, lon_f, geo.RESIDENCE_RESOLUTION)
    db.session.commit()
    return user.residence_cell


def clear_residence(user: User) -> None:
    user.residence_cell = None
    db.session.commit()


def residence_centre(user: User) -> tuple[float, float] | None:
    """Where the person lives as the platform sees it: their cell's centre, else their
    neighbourhood's centre."""
    if user.residence_cell:
        return geo.cell_centre(user.residence_cell)
    if user.neighbourhood_id:
        hood = db.session.get(Neighbourhood, user.neighbourhood_id)
        return neighbourhood_centre(hood) if hood else None
    return None



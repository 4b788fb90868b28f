"""Places on the map: points typed or sent by a phone, zones (a drawn polygon or a circle), and the
coarse grid of live and residence positions: H3 cells, stored as 64-bit integers.

At resolution 9 a cell is a hexagon of about 0.1 km² (edges of about 175 m): enough to say
"on the market square", never which house. A zone (a drawn polygon or a circle) becomes two
sets of cells: the *inner* cells, whose whole hexagon is inside it, and the *border* cells, which
cross its edge. Looking people up is then an indexed ``cell IN (...)``; only a border cell needs
an exact test, and only when an exact point is known (a check-in, at the moment it is made)."""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

import h3.api.basic_int as h3
from flask_babel import gettext as _
from shapely.geometry import Point, Polygon, mapping, shape
from shapely.geometry.base import BaseGeometry
from shapely.prepared import prep

LIVE_RESOLUTION = 9  # where someone is now
RESIDENCE_RESOLUTION = 9  # where someone lives
EARTH_RADIUS_M = 6_371_008.8
RADIUS_MIN_M, RADIUS_MAX_M = 50, 2000  # the radius of an offer, an event or a campaign zone


class PlaceError(ValueError):
    """Bad input about a place; the message is translated and shown as is."""


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


def radius_problem(radius: int | None) -> str | None:
    if radius is None:
        return None
    if not (RADIUS_MIN_M <= radius <= RADIUS_MAX_M):
        return _("The radius must be between %(min)d m and %(max)d m.", min=RADIUS_MIN_M, max=RADIUS_MAX_M)
    return None


def normalised_zone(geometry: dict[str, Any]) -> str:
    return json.dumps(geometry, separators=(",", ":"))


def cell_of(lat: float, lon: float, resolution: int = LIVE_RESOLUTION) -> int:
    """The cell holding the point (latitude, longitude in degrees)."""
    return int(h3.latlng_to_cell(lat, lon, resolution))


def cell_centre(cell: int) -> tuple[float, float]:
    """The centre of a cell as (latitude, longitude)."""
    lat, lon = h3.cell_to_latlng(cell)
    return float(lat), float(lon)


def as_geometry(geometry: BaseGeometry | dict[str, Any] | str) -> BaseGeometry:
    """A shapely geometry from a shapely one, a GeoJSON mapping or GeoJSON text."""
    if isinstance(geometry, BaseGeometry):
        return geometry
    if isinstance(geometry, str):
        geometry = json.loads(geometry)
    return shape(geometry)


def zone_cells(
    geometry: BaseGeometry | dict[str, Any] | str, resolution: int = LIVE_RESOLUTION
) -> tuple[set[int], set[int]]:
    """(inner cells, border cells) of a Polygon or MultiPolygon: inner hexagons are wholly
    inside; border hexagons overlap the zone without being wholly inside."""
    h3shape = h3.geo_to_h3shape(mapping(as_geometry(geometry)))
    inner = {int(c) for c in h3.h3shape_to_cells_experimental(h3shape, resolution, contain="full")}
    overlap = {int(c) for c in h3.h3shape_to_cells_experimental(h3shape, resolution, contain="overlap")}
    return inner, overlap - inner


def cells_with_centre_inside(
    geometry: BaseGeometry | dict[str, Any] | str, resolution: int = LIVE_RESOLUTION
) -> set[int]:
    """The cells that stand for a zone when no exact point is known (a live cell, a residence
    cell): every inner cell, plus the border cells whose centre lies in the zone. That is H3's
    own centre-containment polyfill, one pass instead of two plus a test per border cell."""
    h3shape = h3.geo_to_h3shape(mapping(as_geometry(geometry)))
    return {int(c) for c in h3.h3shape_to_cells(h3shape, resolution)}


def point_in_zone(lat: float, lon: float, geometry: BaseGeometry | dict[str, Any] | str,
                  inner: Iterable[int] | None = None, resolution: int = LIVE_RESOLUTION) -> bool:
    """Whether an exact point is in a zone: a point of an inner cell is, without any geometry
    test; any other is tested exactly (shapely)."""
    if inner is not None and cell_of(lat, lon, resolution) in set(inner):
        return True
    return bool(as_geometry(geometry).contains(Point(lon, lat)))


def circle_zone(lat: float, lon: float, radius_m: float, segments: int = 48) -> Polygon:
    """A circle of ``radius_m`` metres around the point, as a lon/lat polygon (the small-area
    approximation of a sphere: exact to well under a metre at 2 km)."""
    lat_step = math.degrees(radius_m / EARTH_RADIUS_M)
    lon_step = lat_step / max(math.cos(math.radians(lat)), 1e-6)
    ring = [
        (lon + lon_step * math.cos(2 * math.pi * i / segments),
         lat + lat_step * math.sin(2 * math.pi * i / segments))
        for i in range(segments)
    ]
    return Polygon(ring)


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres (haversine)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


@lru_cache(maxsize=64)
def prepared_area(geojson_text: str) -> Any:
    """A prepared shapely geometry of a stored GeoJSON text (boundaries are tested at every
    check-in: parse and prepare each one once per process)."""
    return prep(as_geometry(geojson_text))


def area_m2(geometry: BaseGeometry | dict[str, Any] | str) -> float:
    """The area of a zone in square metres (a local equirectangular projection: exact enough
    for a town-sized zone)."""
    shape = as_geometry(geometry)
    metres_per_degree = math.pi * EARTH_RADIUS_M / 180
    return float(shape.area) * metres_per_degree**2 * math.cos(math.radians(shape.centroid.y))

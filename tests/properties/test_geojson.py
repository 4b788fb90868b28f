"""Drawn and pasted areas, generated: valid polygons inside the town are accepted as they are;
bow-ties, open rings, too many points, non-numbers, wrong types and garbage are refused with the
validator's explanation, by the checker and by the neighbourhood editor. Never an exception."""

from __future__ import annotations

import itertools
import json
import math
import re

from flask.testing import FlaskClient
from flask_babel import force_locale
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st
from markupsafe import escape
from shapely.geometry import shape
from sqlalchemy import func, select

from app.extensions import db
from app.territories.models import Neighbourhood
from app.territories.services import MAX_GEOMETRY_POINTS, check_area
from tests.factories import login_as
from tests.properties.conftest import BOUNDARY, CENTRE, Towns, square
from tests.support.csrf import csrf_token

SETTINGS = settings(max_examples=150, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
LAT, LON = CENTRE
_names = itertools.count(1)


# --- geometries ------------------------------------------------------------------------------

@st.composite
def star_ring(draw: st.DrawFn, lat: float, lon: float, max_radius: float) -> list[list[float]]:
    """A simple (non-crossing) ring: vertices at increasing angles around a centre."""
    count = draw(st.integers(3, 40))
    angles = sorted({round(2 * math.pi * (i + draw(st.floats(0, 0.8))) / count, 9) for i in range(count)})
    radii = [draw(st.floats(max_radius / 4, max_radius)) for _ in angles]
    ring = [[round(lon + r * math.cos(a), 7), round(lat + r * math.sin(a), 7)] for a, r in zip(angles, radii, strict=True)]
    return [*ring, ring[0]]


@st.composite
def polygon_inside(draw: st.DrawFn) -> dict:
    lat = LAT + draw(st.floats(-0.03, 0.03))
    lon = LON + draw(st.floats(-0.03, 0.03))
    return {"type": "Polygon", "coordinates": [draw(star_ring(lat, lon, 0.015))]}


@st.composite
def multipolygon_inside(draw: st.DrawFn) -> dict:
    west = draw(star_ring(LAT, LON - 0.025, 0.012))
    east = draw(star_ring(LAT, LON + 0.025, 0.012))
    return {"type": "MultiPolygon", "coordinates": [[west], [east]]}


def wrapped(geometry: dict, how: str) -> dict:
    if how == "feature":
        return {"type": "Feature", "properties": {"name": "x"}, "geometry": geometry}
    if how == "collection":
        return {"type": "FeatureCollection", "features": [wrapped(geometry, "feature")]}
    return geometry


VALID = st.builds(wrapped, st.one_of(polygon_inside(), multipolygon_inside()),
                  st.sampled_from(["bare", "bare", "feature", "collection"]))


@st.composite
def bow_tie(draw: st.DrawFn) -> dict:
    size = draw(st.floats(0.001, 0.02))
    x, y = LON + draw(st.floats(-0.02, 0.02)), LAT + draw(st.floats(-0.02, 0.02))
    ring = [[x, y], [x + size, y + size], [x + size, y], [x, y + size], [x, y]]
    return {"type": "Polygon", "coordinates": [ring]}


@st.composite
def unclosed(draw: st.DrawFn) -> dict:
    ring = draw(star_ring(LAT, LON, 0.01))[:-1]
    return {"type": "Polygon", "coordinates": [ring]}


def too_many_points(extra: int) -> dict:
    count = MAX_GEOMETRY_POINTS + extra
    ring = [[LON + 0.01 * math.cos(2 * math.pi * i / count), LAT + 0.01 * math.sin(2 * math.pi * i / count)]
            for i in range(count)]
    return {"type": "Polygon", "coordinates": [[*ring, ring[0]]]}


BAD_NUMBERS = st.sampled_from([math.nan, math.inf, -math.inf, 1e308, 10**400, -200.0, 181, 91, "5.6", None,
                               True, [], {}])


@st.composite
def bad_number(draw: st.DrawFn) -> dict:
    geometry = draw(polygon_inside())
    ring = geometry["coordinates"][0]
    index = draw(st.integers(0, len(ring) - 1))
    axis = draw(st.integers(0, 2))
    position = list(ring[index])
    value = draw(BAD_NUMBERS)
    if axis == 2:
        position.append(value)  # a third coordinate (altitude) must be a number too
    else:
        position[axis] = value
    ring[index] = position
    if index == 0:
        ring[-1] = position
    return geometry


JSON = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=5),
              st.sampled_from(["Polygon", "MultiPolygon", "Feature", "FeatureCollection", "coordinates"])),
    lambda inner: st.one_of(st.lists(inner, max_size=4),
                            st.dictionaries(st.sampled_from(["type", "coordinates", "geometry", "features", "x"]),
                                            inner, max_size=4)),
    max_leaves=20)
GEOJSON_TYPES = st.sampled_from(["Polygon", "MultiPolygon", "Feature", "FeatureCollection", "Point", "polygon"])
GEOJSONISH = st.recursive(
    st.fixed_dictionaries({"type": GEOJSON_TYPES}, optional={"coordinates": JSON, "features": JSON, "geometry": JSON}),
    lambda inner: st.fixed_dictionaries({"type": GEOJSON_TYPES}, optional={
        "geometry": inner, "features": st.one_of(st.lists(inner, max_size=2), inner, JSON)}),
    max_leaves=4)
WRONG = st.one_of(
    GEOJSONISH,
    st.sampled_from([
        {"type": "Point", "coordinates": [LON, LAT]},
        {"type": "LineString", "coordinates": [[LON, LAT], [LON + 0.01, LAT]]},
        {"type": "GeometryCollection", "geometries": []},
        {"type": "Polygon"}, {"type": "Polygon", "coordinates": []}, {"type": "Polygon", "coordinates": [[]]},
        {"type": "Polygon", "coordinates": "5.6,43.17"}, {"type": "MultiPolygon", "coordinates": [[]]},
        {"type": "MultiPolygon", "coordinates": [[[[LON, LAT]] * 4]]},
        {"type": "Polygon", "coordinates": [[[LON, LAT]] * 4]},  # no area
        {"type": "FeatureCollection", "features": []}, {"type": "Feature", "geometry": None}, {}, [], "", 3,
        square(*CENTRE, 0.2),  # larger than the town
        square(LAT + 1, LON, 0.01),  # elsewhere
    ]),
    st.builds(lambda geometries: {"type": "FeatureCollection", "features": [wrapped(g, "feature") for g in geometries]},
              st.lists(polygon_inside(), min_size=2, max_size=3)),
    JSON,
)
INVALID = st.one_of(bow_tie(), unclosed(), bad_number(), st.integers(1, 3).map(too_many_points))
TEXTS = st.one_of(
    st.sampled_from(["", "   ", "{", "{'type': 'Polygon'}", "[" * 5000 + "]" * 5000, "[" * 100_000, "NaN",
                     '{"type": "Polygon", "coordinates": [[[5.6, 43.17], [5.61, 43.17], [5.61, NaN], [5.6, 43.17]]]}',
                     '{"type": "Polygon", "coordinates": [[[5.6, 43.17], [Infinity, 43.17]]]}', "\x00", "\ufeff{}"]),
    st.text(max_size=30),
)


# valid, broken or other, in even parts (a plain one_of draws the valid ones rarely)
ANY = st.sampled_from([VALID, INVALID, WRONG]).flatmap(lambda strategy: strategy)


def assert_refused(text: str, within) -> list[str]:  # type: ignore[no-untyped-def]
    checked = check_area(text, within=within)
    assert not checked.ok and checked.geometry is None
    assert checked.errors and all(isinstance(e, str) and e.strip() for e in checked.errors)
    return checked.errors


# --- the checker -----------------------------------------------------------------------------

@SETTINGS
@given(geometry=VALID)
def test_a_valid_area_inside_the_town_is_accepted_as_drawn(towns: Towns, geometry: dict) -> None:
    checked = check_area(json.dumps(geometry), within=towns.here.territory)
    assert checked.ok, checked.errors
    assert checked.geometry is not None
    inner = geometry.get("geometry") or (geometry.get("features") or [{}])[0].get("geometry") or geometry
    assert checked.geometry == {"type": inner["type"], "coordinates": inner["coordinates"]}
    json.dumps(checked.geometry, allow_nan=False)  # what is stored is JSON a browser can read
    assert shape(BOUNDARY).buffer(1e-9).covers(shape(checked.geometry))


@SETTINGS
@given(geometry=INVALID)
@example(geometry=too_many_points(1))
@example(geometry={"type": "Polygon", "coordinates": [[[5.6, 43.17, math.nan], [5.61, 43.17, 0], [5.61, 43.18, 0],
                                                         [5.6, 43.17, math.nan]]]})
def test_a_broken_polygon_is_refused_with_the_reason(towns: Towns, geometry: dict) -> None:
    assert_refused(json.dumps(geometry), towns.here.territory)


@SETTINGS
@given(value=st.one_of(WRONG, TEXTS.map(lambda text: ("text", text))))
@example(value=("text", "[" * 100_000))
@example(value={"type": "FeatureCollection", "features": 5})
@example(value={"type": "FeatureCollection", "features": {"x": 1}})
@example(value=("text", '{"type": "Polygon", "coordinates": ' + "[" * 3000 + "]" * 3000 + "}"))
def test_anything_else_is_refused_or_is_a_real_area(towns: Towns, value) -> None:  # type: ignore[no-untyped-def]
    text = value[1] if isinstance(value, tuple) else json.dumps(value)
    for within in (towns.here.territory, towns.other.territory, None):
        checked = check_area(text, within=within)
        if checked.ok:
            assert checked.geometry is not None and shape(checked.geometry).is_valid
            json.dumps(checked.geometry, allow_nan=False)
        else:
            assert checked.errors and all(isinstance(e, str) and e.strip() for e in checked.errors)


# --- the neighbourhood editor ----------------------------------------------------------------

def _admin(client: FlaskClient, towns: Towns) -> str:
    login_as(client, towns.here.admin)
    return csrf_token(client, "/admin/neighbourhoods")


@settings(SETTINGS, max_examples=40)
@given(geometry=ANY)
@example(geometry=[[[[[[]]]]]])
def test_the_neighbourhood_editor_saves_valid_areas_and_explains_the_others(
        client: FlaskClient, towns: Towns, geometry) -> None:  # type: ignore[no-untyped-def]
    token = _admin(client, towns)
    text = json.dumps(geometry)
    with force_locale("en"):  # the admin reads English
        checked = check_area(text, within=towns.here.territory)
    valid = checked.ok
    before = db.session.scalar(select(func.count()).select_from(Neighbourhood))
    response = client.post("/admin/neighbourhoods",
                           data={"name": f"Quarter {next(_names)}", "geojson": text, "csrf_token": token})
    after = db.session.scalar(select(func.count()).select_from(Neighbourhood))
    event(f"answered {response.status_code} (valid: {valid})")
    if valid:
        assert response.status_code == 303 and after == before + 1
    else:
        assert response.status_code == 422 and after == before
        # The explanation is shown next to the GeoJSON field: the checker's own messages.
        shown = re.search(r'<p class="field-error" id="geojson-error">([^<]+)</p>', response.get_data(as_text=True))
        assert shown and all(str(escape(error)) in shown.group(1) for error in checked.errors)


# --- a publication's drawn zone ----------------------------------------------------------------

@settings(SETTINGS, max_examples=30)
@given(geometry=ANY)
@example(geometry={"type": "FeatureCollection", "features": {"x": 1}})
def test_an_event_zone_is_saved_when_valid_and_explained_otherwise(
        client: FlaskClient, towns: Towns, geometry) -> None:  # type: ignore[no-untyped-def]
    from app.publications.models import Publication

    login_as(client, towns.here.owner, acting_actor=towns.here.actor)
    token = csrf_token(client, "/manage/publications/new?kind=event")
    text = json.dumps(geometry)
    valid = check_area(text, within=towns.here.territory).ok
    before = db.session.scalar(select(func.count()).select_from(Publication))
    response = client.post("/manage/publications/new?kind=event", data={
        "csrf_token": token, "title": "Fête du port", "starts_at": "2031-07-14T18:00",
        "ends_at": "2031-07-14T23:00", "place_name": "Quai", "zone_geojson": text, "action": "publish"})
    after = db.session.scalar(select(func.count()).select_from(Publication))
    event(f"answered {response.status_code} (valid: {valid})")
    if valid:
        assert response.status_code == 303 and after == before + 1
        saved = db.session.scalars(select(Publication).order_by(Publication.id.desc())).first()
        assert saved is not None and saved.zone_geojson and json.loads(saved.zone_geojson)
    else:
        assert response.status_code == 422 and after == before
        assert "field-error" in response.get_data(as_text=True)

"""Zones: cells inside and on the border, who is present now, who lives there; publication
zones (radius, drawn polygon, welcome offers) validated with clear errors."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from shapely.geometry import Polygon, shape

from app import geo
from app.extensions import db
from app.models_common import utcnow
from app.places import live
from app.places import residence as homes
from app.publications import services as publication_services
from app.publications.models import Publication
from tests.factories import login_as, make_actor, make_member, make_neighbourhood, make_user
from tests.places.conftest import FAR_BEACH, HARBOUR, MARKET_SQUARE, square
from tests.support.csrf import csrf_token


def hexagon(cell: int) -> Polygon:
    import h3.api.basic_int as h3

    return Polygon([(lon, lat) for lat, lon in h3.cell_to_boundary(cell)])


def test_zone_cells_split_inner_cells_from_border_cells():
    zone = geo.circle_zone(*HARBOUR, 600)
    inner, border = geo.zone_cells(zone)
    assert inner and border and not inner & border
    for cell in inner:
        assert zone.buffer(1e-9).contains(hexagon(cell))
    for cell in border:
        h = hexagon(cell)
        assert h.intersects(zone) and not zone.contains(h)
    # The cells cover the zone, and the point test agrees with shapely.
    assert zone.difference(shape({"type": "MultiPolygon", "coordinates": [
        [list(hexagon(c).exterior.coords)] for c in inner | border]})).area < 1e-12
    assert geo.point_in_zone(*HARBOUR, zone, inner)
    assert not geo.point_in_zone(*FAR_BEACH, zone, inner)


def test_circle_zone_has_the_radius_asked():
    zone = geo.circle_zone(43.17, 5.6, 500)
    lon, lat = zone.exterior.coords[0]
    assert abs(geo.distance_m(43.17, 5.6, lat, lon) - 500) < 1
    import math

    metres_per_degree = math.pi * geo.EARTH_RADIUS_M / 180
    area_m2 = zone.area * metres_per_degree ** 2 * math.cos(math.radians(43.17))
    assert abs(area_m2 / (math.pi * 500 ** 2) - 1) < 0.01


def test_present_in_zone_counts_fresh_cells_inside_only(town):
    now = utcnow()
    inside = [make_user(town.territory) for _ in range(3)]
    outside = make_user(town.territory)
    stale = make_user(town.territory)
    for user in inside:
        live.check_in(user, town.territory, *MARKET_SQUARE, now=now - timedelta(minutes=10))
    live.check_in(outside, town.territory, *FAR_BEACH, now=now)
    live.check_in(stale, town.territory, *MARKET_SQUARE, now=now - timedelta(minutes=90))
    zone = geo.circle_zone(*MARKET_SQUARE, 400)
    ids = set(db.session.scalars(live.present_user_ids_query(
        town.territory, geo.cells_with_centre_inside(zone), now)))
    assert ids == {u.id for u in inside}
    assert live.count_present(town.territory, zone, now) == 3


def test_lives_in_drawn_zone_uses_residence_cells_then_neighbourhood_centres(town):
    hood = make_neighbourhood(town.territory, "Vieux Port")
    hood.geojson = json.dumps(square(5.6085, 43.1765, 0.002))
    db.session.commit()
    picked = make_user(town.territory)
    homes.set_residence(picked, town.territory, *HARBOUR)
    by_hood = make_user(town.territory, neighbourhood_id=hood.id)
    picked_elsewhere = make_user(town.territory, neighbourhood_id=hood.id)  # its point wins
    homes.set_residence(picked_elsewhere, town.territory, *FAR_BEACH)
    make_user(town.territory)  # no point, no neighbourhood: never in a zone
    zone = square(5.608, 43.176, 0.004)
    ids = set(db.session.scalars(homes.resident_user_ids_query(town.territory, zone)))
    assert ids == {picked.id, by_hood.id}
    assert homes.count_residents(town.territory, zone) == 2
    assert homes.count_residents(town.territory, square(5.64, 43.15, 0.003)) == 1


def test_residence_keeps_a_cell_not_the_point(citizen_client, town):
    token = csrf_token(citizen_client, "/me/residence")
    response = citizen_client.post("/me/residence", data={"csrf_token": token, "lat": "43.17512345", "lon": "5.60498765"})
    assert response.status_code == 303
    db.session.refresh(town.citizen)
    assert town.citizen.residence_cell == geo.cell_of(*MARKET_SQUARE, geo.RESIDENCE_RESOLUTION)
    outside = citizen_client.post("/me/residence", data={"csrf_token": token, "lat": "43.3", "lon": "5.4"})
    assert outside.status_code == 422
    assert b"outside La Ciotat" in outside.data


# --- publication zones ----------------------------------------------------------------------


@pytest.fixture
def shop_client(client, town):
    shop = make_actor(town.territory, "Glacier du Port")
    editor = make_user(town.territory, language="en")
    make_member(editor, shop)
    login_as(client, editor, acting_actor=shop)
    return client


def offer_form(token: str, **fields: str) -> dict[str, str]:
    data = {"csrf_token": token, "title": "Ice cream -20 %", "valid_from": "2030-07-01T10:00",
            "valid_until": "2030-07-01T19:00", "action": "publish"}
    data.update(fields)
    return data


def post_offer(client, **fields: str):  # type: ignore[no-untyped-def]
    token = csrf_token(client, "/manage/publications/new?kind=offer")
    return client.post("/manage/publications/new?kind=offer", data=offer_form(token, **fields))


def ring(points):  # type: ignore[no-untyped-def]
    return json.dumps({"type": "Polygon", "coordinates": [points]})


@pytest.mark.parametrize(
    ("zone", "message"),
    [
        ("{not json", "This is not valid JSON (line 1, column 2)."),
        (json.dumps({"type": "Point", "coordinates": [5.6, 43.17]}), "must be a Polygon or a MultiPolygon"),
        (ring([[5.60, 43.17], [5.61, 43.17], [5.61, 43.18], [5.60, 43.18]]), "is not closed"),
        (ring([[5.60, 43.17], [5.61, 43.18], [5.61, 43.17], [5.60, 43.18], [5.60, 43.17]]), "Its edges must not cross each other"),
        (ring([[5.30, 43.17], [5.61, 43.17], [5.61, 43.18], [5.30, 43.18], [5.30, 43.17]]), "goes outside the territory"),
        (ring([[5.60 + 0.01 * i / 5001, 43.17 + (i % 2) * 1e-5] for i in range(5001)] + [[5.60, 43.17]]), "simplify it to 5000 at most"),
    ],
)
def test_a_bad_drawn_zone_is_explained_and_nothing_is_stored(shop_client, town, zone, message):
    response = post_offer(shop_client, zone_geojson=zone)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert db.session.query(Publication).count() == 0


@pytest.mark.parametrize("radius", ["20", "2001", "-5", "lots"])
def test_a_radius_out_of_range_is_refused(shop_client, town, radius):
    response = post_offer(shop_client, lat="43.176", lon="5.608", radius_m=radius)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "The radius must be between 50 m and 2000 m." in page or "whole number of metres" in page
    assert db.session.query(Publication).count() == 0


def test_a_radius_needs_a_centre_and_excludes_a_drawn_zone(shop_client, town):
    response = post_offer(shop_client, radius_m="300")
    assert response.status_code == 422
    assert "A radius needs the latitude and longitude of its centre." in response.get_data(as_text=True)
    both = post_offer(shop_client, lat="43.176", lon="5.608", radius_m="300",
                      zone_geojson=json.dumps(square(5.608, 43.176, 0.002)))
    assert "Give a radius or a drawn zone, not both." in both.get_data(as_text=True)


def test_a_welcome_offer_needs_a_zone_and_people_to_welcome(shop_client, town):
    response = post_offer(shop_client, is_welcome_offer="y")
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "A welcome offer needs a zone" in page
    assert "Choose who the welcome offer is for" in page


def test_a_welcome_offer_with_a_drawn_zone_is_stored(shop_client, town):
    zone = square(5.608, 43.176, 0.002)
    response = post_offer(shop_client, lat="43.176", lon="5.608", zone_geojson=json.dumps({"type": "Feature", "geometry": zone}),
                          is_welcome_offer="y", welcome_population_types=["day_visitor", "tourist"])
    assert response.status_code == 303
    offer = db.session.query(Publication).one()
    assert offer.is_welcome_offer
    assert offer.welcome_population_types == "tourist,day_visitor"
    assert json.loads(offer.zone_geojson) == zone
    assert offer.radius_m is None
    assert publication_services.publication_zone(offer).equals(shape(zone))
    edit = shop_client.get(f"/manage/publications/{offer.id}/edit").get_data(as_text=True)
    import re

    checked = set(re.findall(r'<input checked id="welcome_population_types-\d" name="welcome_population_types" type="checkbox" value="(\w+)"', edit))
    assert checked == {"tourist", "day_visitor"}


def test_an_offer_with_a_radius_is_stored(shop_client, town):
    response = post_offer(shop_client, lat="43.176", lon="5.608", radius_m="300")
    assert response.status_code == 303
    offer = db.session.query(Publication).one()
    assert offer.radius_m == 300 and offer.zone_geojson is None and not offer.is_welcome_offer
    zone = publication_services.publication_zone(offer)
    assert zone.contains(shape({"type": "Point", "coordinates": [5.608, 43.1768]}))
    assert not zone.contains(shape({"type": "Point", "coordinates": [5.608, 43.18]}))

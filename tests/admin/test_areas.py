"""Neighbourhoods and the boundary are GeoJSON polygons, checked before anything is stored."""

import io
import json

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.territories.models import Neighbourhood, Territory
from app.territories.services import check_area
from tests.factories import make_neighbourhood


def square(lon, lat, size=0.01):
    return {"type": "Polygon", "coordinates": [[[lon, lat], [lon + size, lat], [lon + size, lat + size],
                                                [lon, lat + size], [lon, lat]]]}


BOW_TIE = {"type": "Polygon", "coordinates": [[[5.60, 43.17], [5.62, 43.19], [5.62, 43.17], [5.60, 43.19], [5.60, 43.17]]]}
UNCLOSED = {"type": "Polygon", "coordinates": [[[5.60, 43.17], [5.62, 43.17], [5.62, 43.19], [5.60, 43.19]]]}


def _too_many_points():
    import math

    ring = [[5.6 + 0.01 * math.cos(2 * math.pi * i / 5200), 43.17 + 0.01 * math.sin(2 * math.pi * i / 5200)]
            for i in range(5200)]
    return {"type": "Polygon", "coordinates": [[*ring, ring[0]]]}


def _count():
    return db.session.scalar(select(func.count()).select_from(Neighbourhood))


def test_admin_adds_a_neighbourhood_from_pasted_geojson(admin_client, territory):
    response = admin_client.post("/admin/neighbourhoods", data={
        "name": "Le Port", "geojson": json.dumps(square(5.60, 43.17)), "csrf_token": admin_client.csrf})
    assert response.status_code == 303
    hood = db.session.scalar(select(Neighbourhood))
    assert hood.name == "Le Port" and hood.slug == "le-port"
    assert json.loads(hood.geojson)["type"] == "Polygon"
    assert "Le Port" in admin_client.get("/admin/neighbourhoods").get_data(as_text=True)


def test_admin_uploads_a_geojson_feature_file(admin_client, territory):
    feature = {"type": "Feature", "properties": {"name": "x"}, "geometry": square(5.60, 43.17)}
    response = admin_client.post("/admin/neighbourhoods", data={
        "name": "Fontsainte", "geojson": "", "csrf_token": admin_client.csrf,
        "geojson_file": (io.BytesIO(json.dumps(feature).encode()), "fontsainte.geojson")},
        content_type="multipart/form-data")
    assert response.status_code == 303
    assert _count() == 1


@pytest.mark.parametrize(("geojson", "explanation"), [
    ("{not json", "not valid JSON"),
    (json.dumps({"type": "Point", "coordinates": [5.6, 43.17]}), "Polygon or a MultiPolygon"),
    (json.dumps(BOW_TIE), "Self-intersection"),
    (json.dumps(UNCLOSED), "not closed"),
    (json.dumps(_too_many_points()), "5000"),
    (json.dumps({"type": "Polygon", "coordinates": [[["a", 1], [2, 2], [3, 3], ["a", 1]]]}), "longitude, latitude"),
])
def test_bad_geometry_is_explained_next_to_the_field_and_nothing_is_stored(admin_client, territory, geojson, explanation):
    response = admin_client.post("/admin/neighbourhoods", data={
        "name": "Saint-Jean", "geojson": geojson, "csrf_token": admin_client.csrf})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    error = html.split('id="geojson-error"', 1)[1].split("</p>", 1)[0]
    assert explanation.replace(",", "") in error.replace(",", "").replace("&#39;", "'")
    assert "Saint-Jean" in html  # what was typed is kept
    assert _count() == 0


def test_neighbourhood_outside_the_boundary_is_refused(admin_client, territory):
    territory.boundary_geojson = json.dumps(square(5.55, 43.15, 0.1))
    db.session.commit()
    inside = admin_client.post("/admin/neighbourhoods", data={
        "name": "Centre-ville", "geojson": json.dumps(square(5.60, 43.17)), "csrf_token": admin_client.csrf})
    assert inside.status_code == 303
    outside = admin_client.post("/admin/neighbourhoods", data={
        "name": "Ailleurs", "geojson": json.dumps(square(6.70, 44.93)), "csrf_token": admin_client.csrf})
    assert outside.status_code == 422
    assert "outside the territory" in outside.get_data(as_text=True) or "territoire" in outside.get_data(as_text=True)
    assert _count() == 1


def test_admin_edits_and_deletes_a_neighbourhood(admin_client, territory):
    hood = make_neighbourhood(territory, "Abeille")
    response = admin_client.post(f"/admin/neighbourhoods/{hood.id}", data={
        "name": "L'Abeille", "geojson": json.dumps(square(5.61, 43.18)), "csrf_token": admin_client.csrf})
    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.get(Neighbourhood, hood.id).name == "L'Abeille"
    bad = admin_client.post(f"/admin/neighbourhoods/{hood.id}", data={
        "name": "L'Abeille", "geojson": json.dumps(BOW_TIE), "csrf_token": admin_client.csrf})
    assert bad.status_code == 422
    db.session.expire_all()
    assert json.loads(db.session.get(Neighbourhood, hood.id).geojson) == square(5.61, 43.18)
    deleted = admin_client.post(f"/admin/neighbourhoods/{hood.id}/delete", data={"csrf_token": admin_client.csrf},
                                headers={"HX-Request": "true"})
    assert deleted.status_code == 200
    assert _count() == 0


def test_two_neighbourhoods_cannot_share_a_name(admin_client, territory):
    make_neighbourhood(territory, "Le Port")
    response = admin_client.post("/admin/neighbourhoods", data={
        "name": "Le port", "geojson": json.dumps(square(5.60, 43.17)), "csrf_token": admin_client.csrf})
    assert response.status_code == 422
    assert 'id="name-error"' in response.get_data(as_text=True)


def test_admin_sets_the_boundary_and_a_bow_tie_is_refused(admin_client, territory):
    bad = admin_client.post("/admin/boundary", data={"geojson": json.dumps(BOW_TIE), "csrf_token": admin_client.csrf})
    assert bad.status_code == 422
    assert "Self-intersection" in bad.get_data(as_text=True)
    good = admin_client.post("/admin/boundary", data={
        "geojson": json.dumps({"type": "MultiPolygon", "coordinates": [square(5.5, 43.1, 0.2)["coordinates"]]}),
        "csrf_token": admin_client.csrf})
    assert good.status_code == 303
    db.session.expire_all()
    assert db.session.get(Territory, territory.id).boundary["type"] == "MultiPolygon"


def test_check_area_accepts_a_one_feature_collection():
    collection = {"type": "FeatureCollection", "features": [{"type": "Feature", "geometry": square(5.6, 43.17)}]}
    assert check_area(json.dumps(collection)).ok

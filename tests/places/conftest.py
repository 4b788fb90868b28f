"""A seaside town with a drawn boundary, a citizen who may opt in to live location."""

from __future__ import annotations

import json
from dataclasses import dataclass

import pytest
from flask import Flask
from flask.testing import FlaskClient

from app.accounts.models import User
from app.territories.models import Territory
from tests.factories import login_as, make_territory, make_user
from tests.support.csrf import csrf_token

# La Ciotat, roughly: a box of about 8 x 7 km.
BOUNDARY = {
    "type": "Polygon",
    "coordinates": [[[5.55, 43.14], [5.65, 43.14], [5.65, 43.20], [5.55, 43.20], [5.55, 43.14]]],
}
MARKET_SQUARE = (43.17512345, 5.60498765)  # a precise point: must never be stored
HARBOUR = (43.1760, 5.6080)
FAR_BEACH = (43.1500, 5.6400)
OUTSIDE = (43.30, 5.40)  # Marseille


def square(lon: float, lat: float, half: float) -> dict:
    return {"type": "Polygon", "coordinates": [[
        [lon - half, lat - half], [lon + half, lat - half], [lon + half, lat + half],
        [lon - half, lat + half], [lon - half, lat - half]]]}


@dataclass
class Town:
    territory: Territory
    citizen: User


@pytest.fixture
def town(app: Flask) -> Town:
    territory = make_territory(timezone="Europe/Paris", boundary_geojson=json.dumps(BOUNDARY))
    citizen = make_user(territory, language="en", display_name="Camille Tourist")
    return Town(territory, citizen)


@pytest.fixture
def citizen_client(client: FlaskClient, town: Town) -> FlaskClient:
    login_as(client, town.citizen)
    return client


def post_position(client: FlaskClient, lat: object, lon: object, token: str | None = None, **kwargs: object):  # type: ignore[no-untyped-def]
    token = token if token is not None else csrf_token(client, "/near")
    return client.post("/near/checkin", json={"lat": lat, "lon": lon},
                       headers={"X-CSRFToken": token}, **kwargs)  # type: ignore[arg-type]

"""A town that publishes open data: actors (one with a phone and an e-mail that must never leave),
a citizen, events, street reports and a closed poll; and a second town on another host."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask

from app.accounts.models import User
from app.actors.models import Actor
from app.extensions import db
from app.models_common import utcnow
from app.opendata import services
from app.opendata.datasets import DATASET_IDS
from app.territories.models import Territory
from tests.factories import (
    NEGLIGIBLE_NOISE,
    make_actor,
    make_publication,
    make_territory,
    make_user,
)

CONTACT = "opendata@mairie-laciotat.fr"
HOST_B = "http://autre.test"
BOUNDARY = {"type": "Polygon", "coordinates": [[[5.58, 43.16], [5.66, 43.16], [5.66, 43.20], [5.58, 43.20],
                                               [5.58, 43.16]]]}
HOURS = {"mon": [["09:00", "12:30"], ["14:00", "19:00"]], "tue": [["09:00", "12:30"], ["14:00", "19:00"]],
         "sat": [["08:00", "13:00"]]}


@dataclass
class OpenTown:
    territory: Territory
    bakery: Actor
    citizen: User
    admin: User
    other: Territory


@pytest.fixture
def open_town(app: Flask) -> OpenTown:
    territory = make_territory(boundary_geojson=json.dumps(BOUNDARY),
                               established_after_days=0, **NEGLIGIBLE_NOISE)
    bakery = make_actor(territory, "Boulangerie du Port", address="1 quai du Port", lat=43.1741, lon=5.6049,
                        website="https://boulangerie.test", phone="+33 4 00 00 00 01",
                        email="jeanne.boulangere@example.test", opening_hours_json=json.dumps(HOURS))
    citizen = make_user(territory, "marie.dupont@example.com", display_name="Marie Dupont")
    admin = make_user(territory, "admin@example.test", display_name="Alain Admin", is_admin=True)
    now = utcnow()
    make_publication(bakery, "Marché de Noël", kind="event", summary="Sur le quai", starts_at=now + timedelta(days=3),
                     ends_at=now + timedelta(days=3, hours=4), place_name="Quai du Port", lat=43.1745, lon=5.605,
                     rrule="FREQ=WEEKLY;BYDAY=SA")
    make_publication(bakery, "Brouillon secret", kind="news", status="draft")
    other = make_territory(slug="ailleurs", name="Ailleurs", hosts=("autre.test",))
    stranger = make_actor(other, "Épicerie d'Ailleurs", lat=44.0, lon=6.0, opening_hours_json=json.dumps(HOURS))
    make_publication(stranger, "Fête d'Ailleurs", kind="event", starts_at=now + timedelta(days=1))
    services.save_choice(other, DATASET_IDS, "cc-by-4.0", "contact@ailleurs.test")
    db.session.commit()
    return OpenTown(territory, bakery, citizen, admin, other)


def publish_all(town: OpenTown, licence: str = "etalab-2.0") -> None:
    services.save_choice(town.territory, DATASET_IDS, licence, CONTACT)


def csv_rows(body: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(body.lstrip("\ufeff"))))


def text(response: Any) -> str:
    return response.get_data(as_text=True)

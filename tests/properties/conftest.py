"""Two small towns seeded once per test: generated input is run against the first, and the
second holds people who would match everything, so that a leak across towns shows."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import pytest
from flask import Flask
from hypothesis import HealthCheck, settings

from app import geo
from app.accounts.models import Consent, User
from app.actors.models import Actor, Follow
from app.extensions import db
from app.models_common import utcnow
from app.places.models import LiveCell
from app.territories.models import Hashtag, Neighbourhood, Territory
from tests.campaigns.conftest import add_citizens
from tests.factories import (
    NEGLIGIBLE_NOISE,
    make_actor,
    make_hashtag,
    make_member,
    make_neighbourhood,
    make_territory,
)

# The tests' own settings (derandomize, no deadline, their example counts) start from this
# profile: the one health check that reads the clock is off, as it is in test_forms_fuzz, so that
# a busy machine (two xdist workers, a browser) cannot fail a property that holds.
settings.register_profile("territory", suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("territory")

CENTRE = (43.17, 5.60)  # (lat, lon) of both towns' centres in the factories


def square(lat: float, lon: float, half: float) -> dict:
    return {"type": "Polygon", "coordinates": [[
        [lon - half, lat - half], [lon + half, lat - half], [lon + half, lat + half],
        [lon - half, lat + half], [lon - half, lat - half]]]}


BOUNDARY = square(*CENTRE, half=0.05)


@dataclass(repr=False)
class Town:
    territory: Territory
    actor: Actor
    owner: User
    admin: User
    citizen: User
    hashtags: list[Hashtag]
    neighbourhoods: list[Neighbourhood]
    people: list[User] = field(default_factory=list)

    def __repr__(self) -> str:  # short, for Hypothesis' failure reports
        return f"<Town {self.territory.slug}>"

    def _repr_pretty_(self, printer, cycle) -> None:  # type: ignore[no-untyped-def]
        printer.text(repr(self))


@dataclass(repr=False)
class Towns:
    here: Town
    other: Town

    def __repr__(self) -> str:
        return "<Towns>"

    def _repr_pretty_(self, printer, cycle) -> None:  # type: ignore[no-untyped-def]
        printer.text(repr(self))


def _town(slug: str, host: str, boundary: dict | None, follows: Actor | None = None) -> Town:
    # These properties are about what criteria accept and reach: counts are released with
    # negligible noise (the noise: tests/releases).
    territory = make_territory(slug, slug.title(), hosts=(host,), timezone="Europe/Paris",
                               boundary_geojson=json.dumps(boundary) if boundary else None,
                               **NEGLIGIBLE_NOISE)
    actor = make_actor(territory, f"Shop of {slug}")
    owner, admin, citizen = add_citizens(territory, 3, language="en", consent=False, name_prefix=f"{slug}-team")
    admin.is_admin = True
    make_member(owner, actor, role="owner")
    tags = [make_hashtag(territory, "bio"), make_hashtag(territory, "theatre")]
    hoods = [make_neighbourhood(territory, "Port"), make_neighbourhood(territory, "Hills")]
    people = add_citizens(territory, 14, hashtags=tags, follows=follows or actor, neighbourhood=hoods[0],
                          population_type="resident", language="fr")
    people += add_citizens(territory, 6, hashtags=tags[:1], neighbourhood=hoods[1], population_type="tourist",
                           language="nl")
    centre_cell = geo.cell_of(*CENTRE)
    for person in people[:10]:
        person.residence_cell = centre_cell
        db.session.add(LiveCell(user_id=person.id, territory_id=territory.id, cell=centre_cell, seen_at=utcnow()))
        db.session.add(Consent(user_id=person.id, purpose="live_location"))
    db.session.commit()
    return Town(territory, actor, owner, admin, citizen, tags, hoods, people)


@pytest.fixture
def towns(app: Flask) -> Towns:
    here = _town("laciotat", "localhost", BOUNDARY)
    # The other town's people follow this town's shop too (a follow that should never exist):
    # scoping by territory, not by the follow, must keep them out.
    other = _town("station", "station.localhost", None, follows=here.actor)
    db.session.add_all(Follow(user_id=p.id, actor_id=here.actor.id) for p in [other.citizen])
    db.session.commit()
    return Towns(here, other)

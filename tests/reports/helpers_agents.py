"""A town for the agents' tests: a roads service with two agents, a green-spaces service with its
own agent, a shop, categories, and a reporter whose name, e-mail and phone are markers no
agent's page may show."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from app.accounts.models import User
from app.actors.models import Actor
from app.extensions import db
from app.notifications.models import NotificationSettings
from app.reports import services
from app.reports.models import Report, ReportCategory
from app.territories.models import Neighbourhood, Territory
from tests.factories import make_actor, make_citizen, make_member, make_territory, make_user

PORT = {"type": "Polygon", "coordinates": [[[5.59, 43.16], [5.61, 43.16], [5.61, 43.18], [5.59, 43.18], [5.59, 43.16]]]}
HILL = {"type": "Polygon", "coordinates": [[[5.61, 43.16], [5.63, 43.16], [5.63, 43.18], [5.61, 43.18], [5.61, 43.16]]]}
IN_PORT = (43.1700, 5.6000)
IN_HILL = (43.1700, 5.6200)
REPORTER_NAME, REPORTER_EMAIL, REPORTER_PHONE = "Zorglub Reportaire", "zorglub.reporter@example.org", "+33612345678"


@dataclass
class Town:
    territory: Territory
    roads: Actor
    green: Actor
    shop: Actor
    agent: User
    colleague: User
    gardener: User
    merchant: User
    reporter: User
    follower: User
    potholes: ReportCategory
    lights: ReportCategory
    trees: ReportCategory
    port: Neighbourhood
    hill: Neighbourhood


def make_town() -> Town:
    territory = make_territory("laciotat", "La Ciotat", hosts=("localhost",))
    port = Neighbourhood(territory_id=territory.id, name="Port", slug="port", geojson=json.dumps(PORT))
    hill = Neighbourhood(territory_id=territory.id, name="Colline", slug="colline", geojson=json.dumps(HILL))
    db.session.add_all([port, hill])
    db.session.commit()
    roads = make_actor(territory, "Voirie", kind="town_service")
    green = make_actor(territory, "Espaces verts", kind="town_service")
    shop = make_actor(territory, "Boulangerie", kind="merchant")
    agent = make_user(territory, "agent@voirie.test", display_name="Agnès Agent", language="en")
    colleague = make_user(territory, "collegue@voirie.test", display_name="Carl Collègue", language="en")
    gardener = make_user(territory, "jardin@espaces-verts.test", display_name="Gaston Jardin", language="en")
    merchant = make_user(territory, "boulanger@shop.test", display_name="Bruno Boulanger", language="en")
    make_member(agent, roads, "owner")
    make_member(colleague, roads, "editor")
    make_member(gardener, green, "owner")
    make_member(merchant, shop, "owner")
    reporter = make_citizen(territory, REPORTER_EMAIL, display_name=REPORTER_NAME, language="en")
    db.session.add(NotificationSettings(user_id=reporter.id, phone=REPORTER_PHONE))
    follower = make_citizen(territory, "follower@example.org", display_name="Fanny Follower", language="en")
    potholes = _category(territory, "Nid-de-poule", "pothole", roads, 10)
    lights = _category(territory, "Éclairage", "streetlight", roads, 5)
    trees = _category(territory, "Arbre dangereux", "tree", green, 3)
    return Town(territory, roads, green, shop, agent, colleague, gardener, merchant, reporter, follower,
                potholes, lights, trees, port, hill)


def _category(territory: Territory, name: str, code: str, service: Actor, days: int) -> ReportCategory:
    category = ReportCategory(territory_id=territory.id, name=name, service_code=code,
                              service_actor_id=service.id, expected_days=days)
    db.session.add(category)
    db.session.commit()
    return category


def file(town: Town, category: ReportCategory, where: tuple[float, float] = IN_PORT, description: str = "",
         reporter: User | None = None, now: datetime | None = None, **fields: Any) -> Report:
    report, created = services.file_report(town.territory, reporter or town.reporter, services.NewReport(
        category=category, lat=where[0], lon=where[1], description=description or f"A problem: {category.name}",
        **fields), now=now)
    assert created
    return report

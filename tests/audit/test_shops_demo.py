"""The demo: La Ciotat's shops declared click-and-collect and delivery and answered the
self-assessment, some sharing their answers with the town."""

from __future__ import annotations

from sqlalchemy import select

from app.actors.models import Actor
from app.audit import services_shops
from app.demo.load import load_demo
from app.extensions import db
from app.territories.models import Territory


def test_la_ciotat_ships_with_answered_shops(app):
    list(load_demo())
    town = db.session.scalar(select(Territory).where(Territory.slug == "laciotat"))
    view = services_shops.town_view(town)
    # Twelve answered; the tea room waits for the town's verification, so it is not counted yet.
    assert view.answering == 11 and view.private == 6 and view.list_shown
    assert len(view.consenting) == 5 and all(q.shown for q in view.questions)
    collecting = db.session.scalars(select(Actor).where(Actor.territory_id == town.id, Actor.click_and_collect))
    assert len(list(collecting)) == 6
    other = db.session.scalar(select(Territory).where(Territory.slug == "montgenevre"))
    assert services_shops.town_view(other).answering == 0

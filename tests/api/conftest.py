"""A town with public and hidden data, and another town whose data must never show."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from app.extensions import db
from app.models_common import utcnow
from app.reports import services as report_services
from app.reports.models import ReportCategory
from tests.factories import make_actor, make_hashtag, make_publication, make_territory, make_user


@pytest.fixture
def town(app: Any) -> dict[str, Any]:
    territory = make_territory(timezone="Europe/Paris")
    other = make_territory("b", "Town B", hosts=("b.localhost",))
    market = make_hashtag(territory, "marche")
    bakery = make_actor(territory, "Boulangerie du Port", lat=43.175, lon=5.604, phone="04 42 00 00 00")
    bakery.opening_hours = {day: [["00:00", "00:00"]] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
    bakery.hashtags = [market]
    club = make_actor(territory, "Club de voile", kind="sports_club")
    pending = make_actor(territory, "Pas vérifié", status="pending")
    now = utcnow()
    news = make_publication(bakery, "Pain au levain", kind="news", hashtags=[market])
    events = [make_publication(club, f"Régate {i}", kind="event", starts_at=now + timedelta(days=i + 1),
                               ends_at=now + timedelta(days=i + 1, hours=2)) for i in range(25)]
    offer = make_publication(bakery, "Deux baguettes achetées", kind="offer")
    draft = make_publication(bakery, "Brouillon secret", kind="news", status="draft")
    moderated = make_publication(bakery, "Retiré par la mairie", kind="news", moderated_at=now)
    unverified = make_publication(pending, "Publication non vérifiée", kind="news")
    poll = make_publication(bakery, "Sondage", kind="poll")
    elsewhere_actor = make_actor(other, "Boutique ailleurs")
    elsewhere = make_publication(elsewhere_actor, "Nouvelle d'ailleurs", kind="news")
    reporter = make_user(territory, "reporter@example.org", display_name="Reporter Person")
    category = ReportCategory(territory_id=territory.id, name="Nid-de-poule", service_code="pothole")
    db.session.add(category)
    db.session.commit()
    report, _ = report_services.file_report(territory, reporter, report_services.NewReport(
        category=category, lat=43.17, lon=5.60, description="Trou devant chez reporter@example.org"))
    db.session.commit()
    return {
        "territory": territory, "other": other, "bakery": bakery, "club": club, "pending": pending,
        "news": news, "events": events, "offer": offer, "hidden": [draft, moderated, unverified, poll],
        "elsewhere_actor": elsewhere_actor, "elsewhere": elsewhere, "report": report, "market": market,
    }

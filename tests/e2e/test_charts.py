"""A merchant reads their campaign's results and their dashboard on a 360 px phone: real charts
(per channel, over time, week by week) that fit the screen, with the numbers a tap away, and no
axe violation of any impact."""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass
from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from app.accounts.models import User
from app.campaigns.models import Delivery
from app.extensions import db
from app.models_common import utcnow
from app.territories.models import Hashtag, Neighbourhood, Territory
from tests.e2e.conftest import act_as, describe_violations, log_in
from tests.factories import JOINED_AT, make_actor, make_campaign, make_member, make_run, make_user

pytestmark = pytest.mark.e2e

EVERY_IMPACT = ("minor", "moderate", "serious", "critical")


@pytest.fixture
def context(incognito_context):  # type: ignore[no-untyped-def]
    """Pages are read as they render: no installed app needed."""
    return incognito_context


@dataclass
class Greengrocer:
    email: str
    actor_name: str
    campaign_id: int = 0


@pytest.fixture
def greengrocer(live_db, seed) -> Greengrocer:  # type: ignore[no-untyped-def]
    """A greengrocer of its own (released answers stand for their window: another test's visit
    to the seed's shop must not have answered these questions already), its campaign sent two
    days ago by push and e-mail to 60 established people, who opened and clicked over the
    following hours, and an older one three weeks back."""
    key = uuid.uuid4().hex[:6]
    owner = Greengrocer(email=f"primeur-{key}@example.org", actor_name=f"Primeur des Halles {key}")
    with live_db():
        coast = db.session.get(Territory, seed.ids["coast"])
        shop = make_actor(coast, owner.actor_name, verified_at=utcnow())
        shop.slug = f"primeur-{key}"
        make_member(make_user(coast, owner.email, display_name="Rose", onboarded_at=utcnow()), shop, "owner")
        people = [
            User(territory_id=seed.ids["coast"], email=f"chart-{uuid.uuid4().hex[:8]}-{n}@example.org",
                 password_hash="$argon2id$not-a-real-hash", email_verified_at=JOINED_AT, created_at=JOINED_AT)
            for n in range(60)
        ]
        db.session.add_all(people)
        db.session.flush()
        tags = db.session.scalars(select(Hashtag.id).where(Hashtag.territory_id == seed.ids["coast"])).all()
        hoods = db.session.scalars(select(Neighbourhood.id).where(Neighbourhood.territory_id == seed.ids["coast"])).all()
        criteria = {"match": "all", "rules": [
            {"kind": "hashtags", "ids": list(tags), "mode": "any"}, {"kind": "followers"},
            {"kind": "neighbourhoods", "ids": list(hoods)}, {"kind": "population", "types": ["resident", "tourist"]},
        ]}
        campaign = make_campaign(shop, "Paniers de saison : les fraises de Carpentras arrivent ce samedi",
                                 "Samedi matin au marché, https://epicerie-du-port.example.org/paniers-de-saison-2026",
                                 channels_csv="push,email", publication_id=seed.ids["offer"],
                                 criteria_json=json.dumps(criteria))
        started = utcnow() - timedelta(days=2)
        run = make_run(campaign, scheduled_for=started, started_at=started)
        for n, person in enumerate(people):
            opened = started + timedelta(minutes=10 if n < 35 else 180) if n < 55 else None
            clicked = started + timedelta(minutes=25) if n < 22 else None
            db.session.add(Delivery(run_id=run.id, campaign_id=campaign.id, territory_id=run.territory_id,
                                    user_id=person.id, channel="push", status="sent", sent_at=started,
                                    opened_at=opened, clicked_at=clicked))
            if n < 30:
                db.session.add(Delivery(run_id=run.id, campaign_id=campaign.id, territory_id=run.territory_id,
                                        user_id=person.id, channel="email", status="sent", sent_at=started,
                                        opened_at=started + timedelta(hours=8) if n < 14 else None))
        older = make_campaign(shop, "Fête des fruits", "Dimanche.", channels_csv="inbox")
        three_weeks = utcnow() - timedelta(weeks=3)
        older_run = make_run(older, scheduled_for=three_weeks, started_at=three_weeks)
        for person in people[:40]:
            db.session.add(Delivery(run_id=older_run.id, campaign_id=older.id, territory_id=older_run.territory_id,
                                    user_id=person.id, channel="inbox", status="sent", sent_at=three_weeks))
        db.session.commit()
        owner.campaign_id = campaign.id
    return owner


def _fits_the_phone(page) -> None:  # type: ignore[no-untyped-def]
    assert page.viewport_size == {"width": 360, "height": 740}
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 360, f"the page is {width} px wide: it scrolls sideways"


def _no_violation(page, axe) -> None:  # type: ignore[no-untyped-def]
    violations = axe(page, impacts=EVERY_IMPACT)
    assert not violations, describe_violations(violations)


def test_merchant_reads_campaign_results_as_charts_on_a_phone(page, live_server, seed, greengrocer, axe) -> None:  # type: ignore[no-untyped-def]
    log_in(page, live_server, greengrocer.email, seed.password)
    act_as(page, greengrocer.actor_name)

    # The dashboard: deliveries week by week, the current weeks and three weeks back.
    weekly = page.locator("figure.chart", has=page.locator("#weekly-chart-title"))
    chart = weekly.locator("svg[role=img]")
    expect(chart).to_be_visible()
    assert "la plus haute est" in chart.get_attribute("aria-label")  # the browser speaks French
    box = chart.bounding_box()
    assert box and box["width"] <= 360 and box["height"] > 120  # a real chart, not a sliver
    expect(weekly.locator("table")).to_be_hidden()  # the numbers, a tap away
    weekly.locator("summary").click()
    expect(weekly.locator("table tbody tr")).to_have_count(12)
    expect(weekly.locator("table tbody tr").last.locator("td, th").first).to_be_visible()
    latest = page.locator("figure.chart", has=page.locator("#latest-campaign-chart-title"))
    expect(latest.locator("svg[role=img]")).to_be_visible()  # the latest campaign per channel
    _fits_the_phone(page)
    _no_violation(page, axe)

    # The campaign's page: per channel (its numbers shown) and over time (folded).
    page.goto(live_server.url(f"/manage/campaigns/{greengrocer.campaign_id}"))
    channels = page.locator("figure.chart", has=page.locator("#channel-chart-title"))
    expect(channels.locator("svg[role=img]")).to_be_visible()
    expect(channels.locator(".chart-category")).to_have_count(2)  # push and e-mail, each named
    push_row = channels.locator("table tbody tr").first
    expect(push_row.locator("th")).to_have_text("Notification push")
    expect(push_row.locator("td")).to_have_text(["60", "60", "20"])
    email_row = channels.locator("table tbody tr").nth(1)
    expect(email_row.locator("td")).to_have_text(["30", "11", "moins de 11"])
    expect(channels.locator(".chart-legend li")).to_have_count(4)  # three series and the dashed stub

    over_time = page.locator("figure.chart", has=page.locator("#timeline-chart-title"))
    expect(over_time.locator("svg[role=img]")).to_be_visible()
    over_time.locator("summary").click()
    rows = over_time.locator("table tbody tr")
    expect(rows).to_have_count(5)
    expect(rows.nth(0).locator("td")).to_have_text(["40", "20"])  # the first hour
    expect(rows.nth(2).locator("td")).to_have_text(["11", "moins de 11"])  # 6 to 24 hours: the e-mails
    expect(rows.nth(4).locator("td").first).not_to_have_text(re.compile(r"\d"))  # 3 to 7 days: not yet
    _fits_the_phone(page)
    _no_violation(page, axe)

"""The zone criteria: "present in this zone right now" (fresh live cells, live-location consent)
and "lives in this drawn zone" (residence cells, profile consent); their validation, their
sentence, and the anonymity floor on their estimate and their sending."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from flask_babel import force_locale
from sqlalchemy import select, update

from app import geo
from app.accounts.models import Consent, User
from app.campaigns.audience import estimate
from app.campaigns.criteria import CriteriaError, count_recipients, parse_criteria
from app.campaigns.models import CampaignRun, Delivery
from app.extensions import db
from app.models_common import utcnow
from app.places.models import LiveCell
from tests.campaigns.conftest import Town, add_citizens
from tests.factories import login_as
from tests.support.csrf import csrf_token

MARKET = (43.1751, 5.6050)
FAR = (43.1500, 5.6400)


def square(lat: float, lon: float, half: float = 0.003) -> dict:
    return {"type": "Polygon", "coordinates": [[
        [lon - half, lat - half], [lon + half, lat - half], [lon + half, lat + half],
        [lon - half, lat + half], [lon - half, lat - half]]]}


ZONE = square(*MARKET)
BOWTIE = {"type": "Polygon", "coordinates": [[
    [5.600, 43.170], [5.610, 43.180], [5.610, 43.170], [5.600, 43.180], [5.600, 43.170]]]}


def present(town: Town, count: int, at: tuple[float, float] = MARKET, minutes_ago: int = 5,
            consent: bool = True) -> list[User]:
    """People with a live cell seen ``minutes_ago`` at ``at`` (and the live-location consent)."""
    users = add_citizens(town.territory, count, consent=False, name_prefix="Walker")
    seen = utcnow() - timedelta(minutes=minutes_ago)
    for user in users:
        db.session.add(LiveCell(user_id=user.id, territory_id=town.territory.id, cell=geo.cell_of(*at), seen_at=seen))
        if consent:
            db.session.add(Consent(user_id=user.id, purpose="live_location"))
    db.session.commit()
    return users


def criteria(town: Town, rule: dict):  # type: ignore[no-untyped-def]
    with force_locale("en"):
        return parse_criteria({"match": "all", "rules": [rule]}, town.territory)


def shown(town: Town, rule, later: timedelta = timedelta()):  # type: ignore[no-untyped-def]
    """The estimate, ``later`` than now (a presence answer stands for its 15-minute window)."""
    with force_locale("en"):
        return estimate(town.territory, town.actor, rule, now=utcnow() + later)


def test_present_in_zone_under_the_floor_is_refused_and_at_eleven_estimated(town: Town) -> None:
    rule = criteria(town, {"kind": "present_in_zone", "zone": ZONE})
    present(town, 10)
    present(town, 6, minutes_ago=61)  # stale cells (> 60 min) do not count
    present(town, 4, at=FAR)  # elsewhere
    under = shown(town, rule)
    assert under.can_send is False and under.count_shown == "fewer than 11"

    present(town, 1)
    # Within the presence window the same question gets the same answer...
    assert shown(town, rule).count_shown == "fewer than 11"
    # ...the next window counts again.
    eleven = shown(town, rule, later=timedelta(minutes=16))
    assert eleven.can_send is True and eleven.count_shown == "11"
    present(town, 5)
    assert shown(town, rule, later=timedelta(minutes=31)).count_shown == "20"  # 16, rounded


def test_a_circle_counts_the_cells_whose_centre_is_inside(town: Town) -> None:
    present(town, 3)
    present(town, 2, at=FAR)
    rule = criteria(town, {"kind": "present_in_zone", "lat": MARKET[0], "lon": MARKET[1], "radius_m": 300})
    assert count_recipients(town.territory, town.actor.id, rule) == 3


def test_presence_needs_the_live_location_consent_still_given(town: Town) -> None:
    users = present(town, 3)
    present(town, 2, consent=False)
    rule = criteria(town, {"kind": "present_in_zone", "zone": ZONE})
    assert count_recipients(town.territory, town.actor.id, rule) == 3
    # A withdrawal written without the ORM (no event deletes the cell): still not counted.
    db.session.execute(update(Consent).where(Consent.user_id == users[0].id).values(withdrawn_at=utcnow()))
    db.session.commit()
    assert count_recipients(town.territory, town.actor.id, rule) == 2


def test_lives_in_zone_uses_residence_cells_and_the_profile_consent(town: Town) -> None:
    inside = add_citizens(town.territory, 4)
    no_consent = add_citizens(town.territory, 2, consent=False)
    outside = add_citizens(town.territory, 3)
    for user in inside + no_consent:
        user.residence_cell = geo.cell_of(*MARKET)
    for user in outside:
        user.residence_cell = geo.cell_of(*FAR)
    db.session.commit()
    rule = criteria(town, {"kind": "lives_in_zone", "zone": json.dumps(ZONE)})
    assert count_recipients(town.territory, town.actor.id, rule) == 4


def test_zone_rules_read_as_a_sentence_and_round_trip(town: Town) -> None:
    drawn = criteria(town, {"kind": "present_in_zone", "zone": ZONE})
    circle = criteria(town, {"kind": "present_in_zone", "lat": MARKET[0], "lon": MARKET[1], "radius_m": 350})
    home = criteria(town, {"kind": "lives_in_zone", "zone": ZONE})
    with force_locale("en"):
        assert drawn.describe() == ["are in the drawn zone right now"]
        assert circle.describe() == ["are within 350 m of the chosen point right now"]
        assert home.describe() == ["live in the drawn zone"]
    for parsed in (drawn, circle, home):
        assert parse_criteria(parsed.to_json(), town.territory) == parsed


@pytest.mark.parametrize(("rule", "message"), [
    ({"kind": "present_in_zone", "zone": "{not json"}, "This is not valid JSON"),
    ({"kind": "present_in_zone", "zone": BOWTIE}, "Its edges must not cross each other"),
    ({"kind": "lives_in_zone", "zone": square(43.60, 1.44)}, "The zone goes outside La Ciotat"),  # Toulouse
    ({"kind": "lives_in_zone", "zone": ""}, "Draw the zone on the map"),
    ({"kind": "present_in_zone", "lat": MARKET[0], "lon": MARKET[1], "radius_m": 5000}, "between 50 m and 2000 m"),
    ({"kind": "present_in_zone", "lat": MARKET[0], "lon": MARKET[1], "radius_m": 20}, "between 50 m and 2000 m"),
    ({"kind": "present_in_zone", "lat": 43.60, "lon": 1.44, "radius_m": 200}, "outside La Ciotat"),
    ({"kind": "present_in_zone", "zone": ZONE, "radius_m": 200}, "not both"),
    # Smaller than a circle of 300 m (the territory's minimum): it could single out a few people.
    ({"kind": "present_in_zone", "lat": MARKET[0], "lon": MARKET[1], "radius_m": 250}, "The zone is too small"),
    ({"kind": "lives_in_zone", "zone": square(*MARKET, half=0.001)}, "at least a circle of 300 m"),
])
def test_a_bad_zone_is_explained(town: Town, rule: dict, message: str) -> None:
    with pytest.raises(CriteriaError) as error:
        criteria(town, rule)
    assert message in error.value.message and error.value.kind == rule["kind"]


def _post(client, town: Town, **fields) -> tuple[int, str]:  # type: ignore[no-untyped-def]
    login_as(client, town.editor, acting_actor=town.actor)
    token = csrf_token(client, "/manage/campaigns/new")
    data = {"csrf_token": token, "title": "Sur la place", "body": "Le marché ferme à 13 h.", "link": "page",
            "channels": ["inbox"], "when": "now", "action": "send", **fields}
    response = client.post("/manage/campaigns/new", data=data)
    return response.status_code, response.get_data(as_text=True)


def test_form_has_both_zone_criteria_with_a_map_editor(client, town: Town) -> None:  # type: ignore[no-untyped-def]
    login_as(client, town.editor, acting_actor=town.actor)
    html = client.get("/manage/campaigns/new").get_data(as_text=True)
    assert "are in this zone right now" in html and "live in this drawn zone" in html
    assert 'data-target="present_zone"' in html and 'data-target="resident_zone"' in html
    assert 'style="' not in html and "<script>" not in html


def test_a_present_now_campaign_is_refused_under_the_floor_and_sent_from_eleven(client, town: Town, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    walkers = present(town, 10)
    status, html = _post(client, town, present_zone=json.dumps(ZONE))
    assert status == 422 and "Fewer than 11 people match these criteria" in html
    assert db.session.scalar(select(CampaignRun.id)) is None

    walkers += present(town, 1)
    # Sixteen minutes later (a presence answer stands for 15): the eleventh person counts.
    later = utcnow() + timedelta(minutes=16)
    for clock in ("app.releases.engine.utcnow", "app.campaigns.routes.utcnow", "app.delivery.runs.utcnow"):
        monkeypatch.setattr(clock, lambda: later)
    status, _html = _post(client, town, present_zone=json.dumps(ZONE))
    assert status == 303
    recipients = set(db.session.scalars(select(Delivery.user_id)))
    assert recipients == {u.id for u in walkers}


def test_a_bad_zone_in_the_form_is_422_next_to_its_field(client, town: Town) -> None:  # type: ignore[no-untyped-def]
    status, html = _post(client, town, present_zone=json.dumps(BOWTIE))
    assert status == 422 and "Its edges must not cross each other" in html and 'id="present_zone-error"' in html
    status, html = _post(client, town, present_lat="43.1751", present_lon="5.605", present_radius="9000")
    assert status == 422 and "between 50 m and 2000 m" in html
    status, html = _post(client, town, resident_zone="[1, 2]")
    assert status == 422 and "The geometry must be a Polygon" in html and 'id="resident_zone-error"' in html
    # The estimate answers 422 too, with the message.
    login_as(client, town.editor, acting_actor=town.actor)
    token = csrf_token(client, "/manage/campaigns/new")
    response = client.post("/manage/campaigns/estimate", data={"present_zone": "{oops"},
                           headers={"HX-Request": "true", "X-CSRFToken": token})
    assert response.status_code == 422 and "This is not valid JSON" in response.get_data(as_text=True)


def test_an_edited_zone_campaign_keeps_its_zone_in_the_form(client, town: Town) -> None:  # type: ignore[no-untyped-def]
    status, _html = _post(client, town, resident_zone=json.dumps(ZONE), action="draft")
    assert status == 303
    from app.campaigns.models import Campaign

    campaign = db.session.scalar(select(Campaign))
    assert campaign.criteria["rules"] == [{"kind": "lives_in_zone", "zone": ZONE}]
    html = client.get(f"/manage/campaigns/{campaign.id}/edit").get_data(as_text=True)
    assert "lives_in_zone" not in html and "5.602" in html  # the zone is back in its textarea

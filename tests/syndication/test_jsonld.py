"""schema.org JSON-LD on event, offer and actor pages: read from the page as a crawler reads it,
expanded with pyld against the vendored schema.org context (no network), types and properties
checked."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pyld import jsonld

from app.extensions import db
from app.models_common import utcnow
from tests.factories import login_as, make_member, make_publication, make_user

DATA = Path(__file__).parent / "data"
CONTEXT = json.loads((DATA / "schemaorg-context-30.0.jsonld").read_text())
TERMS = set(CONTEXT["@context"])
S = "http://schema.org/"
_BLOCK = re.compile(r'<script type="application/ld\+json">(.*?)</script>', re.S)


def _offline_loader(url: str, options: Any = None) -> dict[str, Any]:
    if url.rstrip("/") in ("https://schema.org", "http://schema.org"):
        return {"contextUrl": None, "documentUrl": url, "document": CONTEXT}
    raise AssertionError(f"the test fetches nothing: {url}")


def _blocks(client, path: str) -> list[dict[str, Any]]:  # type: ignore[no-untyped-def]
    html = client.get(path).get_data(as_text=True)
    return [json.loads(text) for text in _BLOCK.findall(html)]


def _terms_used(data: Any) -> set[str]:
    if isinstance(data, dict):
        return {key for key in data if not key.startswith("@")} | {t for v in data.values() for t in _terms_used(v)}
    if isinstance(data, list):
        return {t for item in data for t in _terms_used(item)}
    return set()


def _expanded(data: dict[str, Any]) -> dict[str, Any]:
    unknown = _terms_used(data) - TERMS
    assert not unknown, f"not schema.org terms: {unknown}"
    (node,) = jsonld.expand(data, {"documentLoader": _offline_loader})
    return node


def _value(node: dict[str, Any], term: str) -> Any:
    (item,) = node[S + term]
    return item.get("@value", item.get("@id", item))


def test_event_page_describes_a_schema_org_event(client, town):
    event = make_publication(town.market, "Fête du port", kind="event", summary="Music and boats",
                             starts_at=datetime(2030, 7, 14, 18, 30, tzinfo=UTC),
                             ends_at=datetime(2030, 7, 14, 22, 0, tzinfo=UTC), place_name="Quai Ganteaume",
                             lat=43.17, lon=5.6)
    (data,) = _blocks(client, f"/p/{event.id}")
    node = _expanded(data)
    assert node["@type"] == [S + "Event"]
    assert _value(node, "name") == "Fête du port"
    assert _value(node, "startDate") == "2030-07-14T20:30:00+02:00"  # the town's clock, with its offset
    assert _value(node, "endDate") == "2030-07-15T00:00:00+02:00"
    assert _value(node, "eventStatus") == "https://schema.org/EventScheduled"
    assert _value(node, "url") == f"http://localhost/p/{event.id}"
    (place,) = node[S + "location"]
    assert place["@type"] == [S + "Place"] and _value(place, "name") == "Quai Ganteaume"
    (geo,) = place[S + "geo"]
    assert _value(geo, "latitude") == 43.17 and _value(geo, "longitude") == 5.6
    (organizer,) = node[S + "organizer"]
    assert organizer["@type"] == [S + "Organization"] and _value(organizer, "name") == "Marché du Port"


def test_cancelled_recurring_event_has_its_status_and_schedule(client, town):
    event = make_publication(town.market, "Marché", kind="event", starts_at=datetime(2030, 3, 2, 7, tzinfo=UTC),
                             ends_at=datetime(2030, 3, 2, 12, tzinfo=UTC), rrule="FREQ=WEEKLY;BYDAY=SA,WE;COUNT=20",
                             cancelled_at=utcnow())
    (data,) = _blocks(client, f"/p/{event.id}")
    node = _expanded(data)
    assert _value(node, "eventStatus") == "https://schema.org/EventCancelled"
    (schedule,) = node[S + "eventSchedule"]
    assert schedule["@type"] == [S + "Schedule"]
    assert _value(schedule, "repeatFrequency") == "P1W" and _value(schedule, "repeatCount") == 20
    assert sorted(v["@value"] for v in schedule[S + "byDay"]) == ["https://schema.org/Saturday", "https://schema.org/Wednesday"]
    assert _value(schedule, "startTime") == "08:00:00"


def test_offer_page_describes_a_schema_org_offer(client, town):
    offer = make_publication(town.market, "-10 % on bread", kind="offer",
                             valid_from=datetime(2030, 1, 1, 8, tzinfo=UTC), valid_until=datetime(2030, 1, 31, 18, tzinfo=UTC))
    (data,) = _blocks(client, f"/p/{offer.id}")
    node = _expanded(data)
    assert node["@type"] == [S + "Offer"]
    assert _value(node, "validFrom") == "2030-01-01T09:00:00+01:00"
    assert _value(node, "validThrough") == "2030-01-31T19:00:00+01:00"
    (seller,) = node[S + "offeredBy"]
    assert _value(seller, "name") == "Marché du Port"


def test_shop_page_is_a_local_business_with_opening_hours(client, town):
    town.market.address, town.market.lat, town.market.lon = "1 quai Ganteaume", 43.17, 5.6
    town.market.opening_hours = {"mon": [["09:00", "12:00"], ["14:00", "19:00"]], "sat": [["08:00", "13:00"]]}
    db.session.commit()
    (data,) = _blocks(client, f"/actors/{town.market.slug}")
    node = _expanded(data)
    assert node["@type"] == [S + "LocalBusiness"]
    (address,) = node[S + "address"]
    assert _value(address, "streetAddress") == "1 quai Ganteaume"
    hours = {(_value(h, "dayOfWeek"), _value(h, "opens"), _value(h, "closes")) for h in node[S + "openingHoursSpecification"]}
    assert hours == {("https://schema.org/Monday", "09:00:00", "12:00:00"),
                     ("https://schema.org/Monday", "14:00:00", "19:00:00"),
                     ("https://schema.org/Saturday", "08:00:00", "13:00:00")}


def test_club_page_is_an_organization(client, town):
    (data,) = _blocks(client, f"/actors/{town.club.slug}")
    node = _expanded(data)
    assert node["@type"] == [S + "Organization"] and _value(node, "name") == "Club de Voile"


def test_json_ld_cannot_close_its_script_element(client, town):
    event = make_publication(town.market, "</script><script>alert(1)</script>", kind="event")
    html = client.get(f"/p/{event.id}").get_data(as_text=True)
    (block,) = _BLOCK.findall(html)
    assert "<" not in block
    assert json.loads(block)["name"] == "</script><script>alert(1)</script>"


def test_no_json_ld_on_a_draft_seen_by_its_editor(client, town):
    draft = make_publication(town.market, "Draft", kind="event", status="draft")
    editor = make_user(town.territory, language="en")
    make_member(editor, town.market)
    login_as(client, editor, acting_actor=town.market)
    assert _blocks(client, f"/p/{draft.id}") == []

"""The occurrences the API lists: a weekly series in the town's time zone across a clock change,
its EXDATEs out, an occurrence changed on its own in place of the one it replaces, cancellations."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from app.api import services
from app.extensions import db
from tests.factories import make_actor, make_publication, make_territory


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def test_a_weekly_market_keeps_its_local_hour_across_the_clock_change(app):
    territory = make_territory(timezone="Europe/Paris")
    town_hall = make_actor(territory, "Mairie", kind="town_service")
    # Saturdays at 08:00 in Paris from 23 March 2024 (UTC+1), clocks change on 31 March.
    market = make_publication(town_hall, "Marché", kind="event", starts_at=utc(2024, 3, 23, 7, 0),
                              ends_at=utc(2024, 3, 23, 12, 0), rrule="FREQ=WEEKLY;BYDAY=SA;COUNT=6",
                              published_at=utc(2024, 3, 1))
    market.exdates_json = json.dumps(["2024-04-13T06:00:00Z"])
    moved = make_publication(town_hall, "Marché (place du port)", kind="event", starts_at=utc(2024, 4, 20, 8, 0),
                             ends_at=utc(2024, 4, 20, 13, 0), recurrence_parent_id=market.id,
                             recurrence_id=utc(2024, 4, 20, 6, 0), published_at=utc(2024, 3, 1))
    cancelled_fair = make_publication(town_hall, "Foire", kind="event", starts_at=utc(2024, 4, 6, 9, 0), ends_at=utc(2024, 4, 6, 12, 0),
                                      cancelled_at=utc(2024, 4, 1), published_at=utc(2024, 3, 1))
    db.session.commit()
    found = services.event_occurrences(territory, utc(2024, 3, 2), utc(2024, 3, 20), utc(2024, 5, 1))
    rows = [(o.publication.title, o.starts_at, o.cancelled) for o in found]
    assert rows == [
        ("Marché", utc(2024, 3, 23, 7, 0), False),
        ("Marché", utc(2024, 3, 30, 7, 0), False),
        ("Marché", utc(2024, 4, 6, 6, 0), False),  # 08:00 in summer time
        ("Foire", utc(2024, 4, 6, 9, 0), True),
        # 13 April taken out (EXDATE); 20 April moved to 10:00 at the harbour.
        ("Marché (place du port)", utc(2024, 4, 20, 8, 0), False),
        ("Marché", utc(2024, 4, 27, 6, 0), False),
    ]
    assert found[4].recurrence_id == utc(2024, 4, 20, 6, 0) and moved.id == found[4].publication.id
    assert cancelled_fair.id == found[3].publication.id
    window = services.publications(territory, 0, 10, utc(2024, 3, 2), kind="event",
                                   start=utc(2024, 4, 26), end=utc(2024, 4, 28))
    assert [p.title for p in window.items] == ["Marché"]

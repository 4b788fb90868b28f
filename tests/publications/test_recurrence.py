"""Recurring events in the editor (repeat choices stored as an RRULE), cancelling one date or the
whole event, the SEQUENCE raised by changes people must see, and the agenda showing every date."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

from app.extensions import db
from app.feed import services as feed_services
from app.publications.models import Publication
from app.publications.recurrence import Repeat, occurrences
from tests.factories import login_as, make_publication
from tests.support.csrf import csrf_token


def _post_event(client, **fields):  # type: ignore[no-untyped-def]
    token = csrf_token(client, "/manage/publications/new?kind=event")
    data = {"csrf_token": token, "summary": "", "body_md": "", "hashtags": "", "title": "Marché",
            "starts_at": "2030-03-02T08:00", "ends_at": "2030-03-02T13:00", "place_name": "Place Sadi Carnot",
            "lat": "", "lon": "", "action": "publish", **fields}
    return client.post("/manage/publications/new?kind=event", data=data)


def _only() -> Publication:
    db.session.expire_all()
    (publication,) = db.session.query(Publication).all()
    return publication


def test_editor_makes_a_weekly_market_until_a_date(client, town):
    login_as(client, town.editor, acting_actor=town.actor)
    response = _post_event(client, repeat="weekly", repeat_interval="1", repeat_weekdays=["SA", "WE"],
                           repeat_until="2030-06-29")
    assert response.status_code == 303
    market = _only()
    # The last day ends at midnight in Paris (summer time: 21:59:59 UTC).
    assert market.rrule == "FREQ=WEEKLY;BYDAY=WE,SA;UNTIL=20300629T215959Z"
    assert market.ical_uid == f"pub-{market.id}@localhost"
    page = client.get(f"/manage/publications/{market.id}/edit").get_data(as_text=True)
    assert 'value="weekly" checked' in page or 'checked value="weekly"' in page or 'checked' in page.split('value="weekly"')[0][-60:]
    assert 'value="2030-06-29"' in page


def test_monthly_every_other_month_a_number_of_times(client, town):
    login_as(client, town.editor, acting_actor=town.actor)
    assert _post_event(client, repeat="monthly", repeat_interval="2", repeat_count="4").status_code == 303
    assert _only().rrule == "FREQ=MONTHLY;INTERVAL=2;COUNT=4"


def test_an_end_date_and_a_count_together_are_refused(client, town):
    login_as(client, town.editor, acting_actor=town.actor)
    response = _post_event(client, repeat="daily", repeat_until="2030-04-01", repeat_count="3")
    assert response.status_code == 422
    assert "not both" in response.get_data(as_text=True)
    assert db.session.query(Publication).count() == 0


def test_weekly_dates_keep_their_local_hour_across_summer_time(town):
    market = make_publication(town.actor, "Marché", kind="event", starts_at=datetime(2030, 3, 23, 7, tzinfo=UTC),
                              ends_at=datetime(2030, 3, 23, 12, tzinfo=UTC),
                              rrule=Repeat("weekly", count=3).rrule(datetime(2030, 3, 23, 7, tzinfo=UTC), "Europe/Paris"))
    found = occurrences(market, "Europe/Paris", datetime(2030, 1, 1, tzinfo=UTC), datetime(2031, 1, 1, tzinfo=UTC))
    # 08:00 in Paris each Saturday: 07:00 UTC in winter (23 and 30 March), 06:00 UTC from 31 March.
    assert [o.starts_at.hour for o in found] == [7, 7, 6]
    assert [o.ends_at.hour for o in found] == [12, 12, 11]


def test_changes_people_must_see_raise_the_sequence_and_keep_the_uid(client, town):
    login_as(client, town.editor, acting_actor=town.actor)
    _post_event(client)
    event = _only()
    uid, sequence = event.ical_uid, event.sequence
    token = csrf_token(client, f"/manage/publications/{event.id}/edit")
    base = {"csrf_token": token, "summary": "", "body_md": "", "hashtags": "", "lat": "", "lon": "", "action": "save",
            "starts_at": "2030-03-02T08:00", "ends_at": "2030-03-02T13:00", "place_name": "Place Sadi Carnot"}
    client.post(f"/manage/publications/{event.id}/edit", data={**base, "title": "Le marché"})
    assert _only().sequence == sequence  # a new title only: calendars need not warn
    client.post(f"/manage/publications/{event.id}/edit", data={**base, "title": "Le marché", "place_name": "Quai"})
    assert _only().sequence == sequence + 1
    client.post(f"/manage/publications/{event.id}/edit", data={**base, "title": "Le marché", "place_name": "Quai",
                                                                "repeat": "weekly"})
    event = _only()
    assert event.sequence == sequence + 2 and event.rrule == "FREQ=WEEKLY;BYDAY=SA"
    assert event.ical_uid == uid


def test_editor_cancels_one_date_then_the_whole_event(client, town):
    login_as(client, town.editor, acting_actor=town.actor)
    _post_event(client, repeat="weekly", repeat_count="5")
    event = _only()
    page = client.get(f"/manage/publications/{event.id}/edit").get_data(as_text=True)
    assert "Cancel this date" in page
    token = csrf_token(client, f"/manage/publications/{event.id}/edit")
    second = "2030-03-09T07:00:00+00:00"
    response = client.post(f"/manage/publications/{event.id}/occurrences/cancel",
                           data={"csrf_token": token, "occurrence": second})
    assert response.status_code == 303
    event = _only()
    assert json.loads(event.exdates_json) == [second] and event.sequence == 1
    # A date the series does not have is refused.
    response = client.post(f"/manage/publications/{event.id}/occurrences/cancel",
                           data={"csrf_token": token, "occurrence": "2030-03-10T07:00:00+00:00"})
    assert response.status_code == 400
    assert client.post(f"/manage/publications/{event.id}/cancel", data={"csrf_token": token}).status_code == 303
    event = _only()
    assert event.cancelled_at is not None and event.sequence == 2 and event.status == "published"
    page = client.get(f"/p/{event.id}").get_data(as_text=True)
    assert "Cancelled" in page
    client.post(f"/manage/publications/{event.id}/uncancel", data={"csrf_token": token})
    assert _only().cancelled_at is None


def test_another_actor_cannot_cancel_my_event(client, town):
    event = make_publication(town.actor, "Marché", kind="event")
    login_as(client, town.other_editor, acting_actor=town.other_actor)
    token = csrf_token(client, "/manage/publications")
    assert client.post(f"/manage/publications/{event.id}/cancel", data={"csrf_token": token}).status_code == 404
    db.session.expire_all()
    assert db.session.get(Publication, event.id).cancelled_at is None


def test_the_agenda_shows_every_date_of_a_recurring_event_but_the_cancelled_one(client, town):
    start = datetime(2030, 3, 2, 7, tzinfo=UTC)
    market = make_publication(town.actor, "Marché du samedi", kind="event", starts_at=start,
                              ends_at=datetime(2030, 3, 2, 12, tzinfo=UTC),
                              rrule="FREQ=WEEKLY;COUNT=4", exdates_json='["2030-03-16T07:00:00+00:00"]')
    make_publication(town.actor, "Concert", kind="event", starts_at=datetime(2030, 3, 10, 19, tzinfo=UTC),
                     ends_at=datetime(2030, 3, 10, 21, tzinfo=UTC))
    page = feed_services.agenda(town.territory.id, "Europe/Paris", date(2030, 3, 1),
                                now=datetime(2030, 2, 1, tzinfo=UTC))
    listed = [(day.day, event.title) for day in page.days for event in day.events]
    assert listed == [
        (date(2030, 3, 2), "Marché du samedi"), (date(2030, 3, 9), "Marché du samedi"),
        (date(2030, 3, 10), "Concert"), (date(2030, 3, 23), "Marché du samedi"),
    ]
    html = client.get("/agenda?from=2030-03-01").get_data(as_text=True)
    assert html.count("Marché du samedi") == 3
    assert f"/p/{market.id}" in html


def test_a_night_date_of_a_recurring_event_shows_as_under_way_on_the_next_day(town):
    # Every Friday 22:00 to 02:00 in Paris (21:00 to 01:00 UTC in winter).
    make_publication(town.actor, "Nuit du jazz", kind="event", starts_at=datetime(2030, 1, 4, 21, tzinfo=UTC),
                     ends_at=datetime(2030, 1, 5, 1, tzinfo=UTC), rrule="FREQ=WEEKLY;COUNT=3")
    saturday = feed_services.agenda(town.territory.id, "Europe/Paris", date(2030, 1, 12),
                                    now=datetime(2030, 1, 11, 23, 30, tzinfo=UTC))
    (first_day, *_others) = saturday.days
    assert first_day.day == date(2030, 1, 12)
    assert [(e.title, e.starts_at) for e in first_day.events] == [("Nuit du jazz", datetime(2030, 1, 11, 21, tzinfo=UTC))]
    later = feed_services.agenda(town.territory.id, "Europe/Paris", date(2030, 1, 12),
                                 now=datetime(2030, 1, 12, 3, tzinfo=UTC))  # over by then
    assert all(e.starts_at >= datetime(2030, 1, 11, 23, tzinfo=UTC) for d in later.days for e in d.events)

from datetime import UTC, datetime

import pytest

from app.actors.services import is_open_now
from tests.factories import make_actor, make_territory


@pytest.fixture
def bakery(app):
    territory = make_territory(timezone="Europe/Paris")
    actor = make_actor(territory, "Boulangerie du Port")
    actor.opening_hours = {
        "mon": [["07:00", "12:30"], ["15:00", "19:00"]],
        "fri": [["22:00", "02:00"]],
        "sun": [["08:00", "12:00"]],
    }
    return actor


# 2024-06-03 is a Monday; Paris is UTC+2 in June.
@pytest.mark.parametrize(
    ("utc", "expected"),
    [
        (datetime(2024, 6, 3, 5, 0, tzinfo=UTC), True),  # Monday 07:00 local: opens
        (datetime(2024, 6, 3, 4, 59, tzinfo=UTC), False),  # Monday 06:59 local
        (datetime(2024, 6, 3, 10, 30, tzinfo=UTC), False),  # Monday 12:30 local: just closed
        (datetime(2024, 6, 3, 14, 0, tzinfo=UTC), True),  # Monday 16:00 local
        (datetime(2024, 6, 4, 10, 0, tzinfo=UTC), False),  # Tuesday: closed all day
    ],
)
def test_open_now_follows_the_weekly_ranges_in_the_territory_time_zone(bakery, utc, expected):
    assert is_open_now(bakery, utc) is expected


def test_a_range_past_midnight_stays_open_into_the_next_day(bakery):
    friday_night = datetime(2024, 6, 7, 21, 30, tzinfo=UTC)  # Friday 23:30 local
    saturday_small_hours = datetime(2024, 6, 7, 23, 30, tzinfo=UTC)  # Saturday 01:30 local
    saturday_after = datetime(2024, 6, 8, 0, 30, tzinfo=UTC)  # Saturday 02:30 local
    friday_evening = datetime(2024, 6, 7, 19, 0, tzinfo=UTC)  # Friday 21:00 local
    assert is_open_now(bakery, friday_night)
    assert is_open_now(bakery, saturday_small_hours)
    assert not is_open_now(bakery, saturday_after)
    assert not is_open_now(bakery, friday_evening)


def test_open_now_reads_the_local_time_not_utc(bakery):
    # Sunday 11:30 local is 09:30 UTC: open; Sunday 12:30 local is 10:30 UTC: closed,
    # although 10:30 would be "open" if UTC were read as local time.
    assert is_open_now(bakery, datetime(2024, 6, 9, 9, 30, tzinfo=UTC))
    assert not is_open_now(bakery, datetime(2024, 6, 9, 10, 30, tzinfo=UTC))


def test_an_actor_without_hours_is_never_open(app):
    actor = make_actor(make_territory())
    assert not is_open_now(actor, datetime(2024, 6, 3, 10, 0, tzinfo=UTC))

"""Open or closed at a moment, and the next change, from the weekly hours and their exceptions
(holidays, special days): in the territory's time zone, across the clock changes, past midnight."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from app.actors import hours
from app.actors.services import is_open_now
from tests.factories import make_actor, make_territory


@pytest.fixture
def bakery(app):
    territory = make_territory(timezone="Europe/Paris")
    actor = make_actor(territory, "Boulangerie du Port")
    actor.opening_hours = {
        "mon": [["07:00", "12:30"], ["15:00", "19:00"]],
        "tue": [["07:00", "12:30"], ["15:00", "19:00"]],
        "wed": [["07:00", "12:30"], ["15:00", "19:00"]],
        "fri": [["22:00", "02:00"]],
        "sat": [["22:00", "04:00"]],
        "sun": [["08:00", "12:00"]],
    }
    return actor


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def test_the_next_change_of_an_open_shop_is_its_closing_time(bakery):
    state = hours.state_at(bakery, utc(2024, 6, 3, 8, 0))  # Monday 10:00 in Paris (UTC+2)
    assert state.open and state.change == hours.Change(utc(2024, 6, 3, 10, 30), opens=False)


def test_the_next_change_of_a_closed_shop_is_its_next_opening(bakery):
    state = hours.state_at(bakery, utc(2024, 6, 3, 11, 0))  # Monday 13:00: lunch break
    assert not state.open and state.change == hours.Change(utc(2024, 6, 3, 13, 0), opens=True)
    # Thursday is closed: from Wednesday evening the next opening is Friday 22:00.
    state = hours.state_at(bakery, utc(2024, 6, 5, 18, 0))
    assert not state.open and state.change == hours.Change(utc(2024, 6, 7, 20, 0), opens=True)


def test_the_same_hours_read_in_another_time_zone(app):
    territory = make_territory("auckland", "Auckland", hosts=("nz.localhost",), timezone="Pacific/Auckland")
    shop = make_actor(territory, "Dairy")
    shop.opening_hours = {"mon": [["09:00", "17:00"]]}
    # Monday 2024-06-03 09:30 in Auckland (UTC+12) is Sunday 21:30 UTC.
    assert hours.is_open_at(shop, utc(2024, 6, 2, 21, 30))
    assert not hours.is_open_at(shop, utc(2024, 6, 3, 8, 30))  # Monday 20:30 there


def test_a_range_past_midnight_closes_the_next_morning(bakery):
    state = hours.state_at(bakery, utc(2024, 6, 7, 23, 30))  # Saturday 01:30 local
    assert state.open and state.change == hours.Change(utc(2024, 6, 8, 0, 0), opens=False)


def test_spring_forward_night_is_an_hour_shorter(bakery):
    # Night of Saturday 30 to Sunday 31 March 2024: at 02:00 the clocks go to 03:00 (UTC+1 to +2).
    state = hours.state_at(bakery, utc(2024, 3, 30, 22, 30))  # Saturday 23:30 CET
    assert state.open
    assert state.change == hours.Change(utc(2024, 3, 31, 2, 0), opens=False)  # 04:00 CEST
    assert hours.is_open_at(bakery, utc(2024, 3, 31, 1, 30))  # 03:30 CEST
    # Sunday's 08:00 is 06:00 UTC, no longer 07:00.
    assert not hours.is_open_at(bakery, utc(2024, 3, 31, 5, 59))
    assert hours.next_change(bakery, utc(2024, 3, 31, 3, 0)) == hours.Change(utc(2024, 3, 31, 6, 0), opens=True)


def test_fall_back_night_is_an_hour_longer(bakery):
    # Night of 26 to 27 October 2024: at 03:00 the clocks go back to 02:00 (UTC+2 to +1).
    state = hours.state_at(bakery, utc(2024, 10, 26, 21, 0))  # Saturday 23:00 CEST
    assert state.change == hours.Change(utc(2024, 10, 27, 3, 0), opens=False)  # 04:00 CET
    assert hours.is_open_at(bakery, utc(2024, 10, 27, 2, 30))  # 03:30 CET, five and a half hours on
    assert hours.next_change(bakery, utc(2024, 10, 27, 4, 0)) == hours.Change(utc(2024, 10, 27, 7, 0), opens=True)


def test_a_holiday_closes_the_whole_day(bakery):
    christmas = hours.add_exception(bakery, date(2024, 12, 25), date(2024, 12, 25), "Christmas")
    assert christmas.closed
    assert not hours.is_open_at(bakery, utc(2024, 12, 25, 9, 0))  # Wednesday 10:00 CET
    assert not is_open_now(bakery, utc(2024, 12, 25, 9, 0))  # the actor page and Near me too
    assert hours.is_open_at(bakery, utc(2024, 12, 18, 9, 0))  # the Wednesday before
    # From Christmas Eve's evening, the next opening skips Christmas (and the closed Thursday).
    assert hours.next_change(bakery, utc(2024, 12, 24, 19, 0)) == hours.Change(utc(2024, 12, 27, 21, 0), opens=True)


def test_special_hours_replace_the_weekly_ones(bakery):
    hours.add_exception(bakery, date(2024, 12, 24), date(2024, 12, 24), "Christmas Eve", [["10:00", "13:00"]])
    assert not hours.is_open_at(bakery, utc(2024, 12, 24, 8, 0))  # 09:00: usually open, not today
    state = hours.state_at(bakery, utc(2024, 12, 24, 10, 0))  # 11:00
    assert state.open and state.change == hours.Change(utc(2024, 12, 24, 12, 0), opens=False)
    assert not hours.is_open_at(bakery, utc(2024, 12, 24, 15, 0))  # 16:00: no afternoon today


def test_a_closure_over_several_days_and_the_night_before(bakery):
    hours.add_exception(bakery, date(2024, 8, 3), date(2024, 8, 12), "Summer holidays")
    # Friday 2 August's night range still ends on Saturday 02:00: it belongs to Friday.
    assert hours.is_open_at(bakery, utc(2024, 8, 2, 23, 0))  # Saturday 01:00 CEST
    assert not hours.is_open_at(bakery, utc(2024, 8, 3, 21, 0))  # Saturday 23:00: closed
    assert not hours.is_open_at(bakery, utc(2024, 8, 5, 8, 0))  # Monday 10:00
    assert hours.next_change(bakery, utc(2024, 8, 5, 8, 0)) == hours.Change(utc(2024, 8, 13, 5, 0), opens=True)


def test_removing_an_exception_is_the_actors_alone(bakery):
    other = make_actor(make_territory("b", "Town B", hosts=("b.localhost",)), "Other")
    closed = hours.add_exception(bakery, date(2024, 12, 25), date(2024, 12, 25), "Christmas")
    assert not hours.remove_exception(other, closed.id)
    assert hours.upcoming_exceptions(bakery, date(2024, 12, 1)) == [closed]
    assert hours.remove_exception(bakery, closed.id)
    assert hours.upcoming_exceptions(bakery, date(2024, 12, 1)) == []


def test_no_hours_means_closed_with_no_change_ahead(app):
    actor = make_actor(make_territory(), "Sans horaires")
    assert hours.state_at(actor, utc(2024, 6, 3, 8, 0)) == hours.OpenState(False, None)

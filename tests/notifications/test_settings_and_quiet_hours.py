"""Settings defaults and quiet hours, computed on the territory's wall clock."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from app.extensions import db
from app.notifications.models import NotificationSettings
from app.notifications.quiet_hours import is_quiet_time, quiet_end
from app.notifications.services import settings_of
from tests.notifications.conftest import post_form


def _utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_settings_are_created_with_the_defaults_once(citizen):
    settings = settings_of(citizen)
    db.session.commit()

    assert (settings.push_enabled, settings.email_enabled, settings.sms_enabled) == (False, False, False)
    assert settings.daily_cap == 3
    assert (settings.quiet_start, settings.quiet_end) == ("21:00", "08:00")
    assert settings_of(citizen) is settings
    assert db.session.query(NotificationSettings).count() == 1


def test_quiet_hours_across_midnight_in_summer(citizen):
    settings = settings_of(citizen)  # 21:00-08:00, Paris is UTC+2 in June
    assert not is_quiet_time(settings, "Europe/Paris", _utc(2026, 6, 10, 18, 59))
    assert is_quiet_time(settings, "Europe/Paris", _utc(2026, 6, 10, 19, 0))
    assert quiet_end(settings, "Europe/Paris", _utc(2026, 6, 10, 20, 30)) == _utc(2026, 6, 11, 6, 0)
    # The morning part of the same period ends the same day.
    assert quiet_end(settings, "Europe/Paris", _utc(2026, 6, 11, 5, 0)) == _utc(2026, 6, 11, 6, 0)
    assert not is_quiet_time(settings, "Europe/Paris", _utc(2026, 6, 11, 6, 0))
    assert quiet_end(settings, "Europe/Paris", _utc(2026, 6, 11, 12, 0)) is None


def test_quiet_hours_accept_a_territory_for_its_time_zone(citizen, territory):
    settings = settings_of(citizen)
    territory.timezone = "America/New_York"
    # 20:30 UTC is 16:30 in New York: not quiet there, though it is in Paris.
    assert not is_quiet_time(settings, territory, _utc(2026, 6, 10, 20, 30))
    assert is_quiet_time(settings, "Europe/Paris", _utc(2026, 6, 10, 20, 30))


def test_quiet_hours_end_at_eight_local_when_clocks_change_overnight(citizen):
    settings = settings_of(citizen)
    # Clocks go forward in the night of 28 to 29 March 2026: 08:00 is then 06:00 UTC, not 07:00.
    assert quiet_end(settings, "Europe/Paris", _utc(2026, 3, 28, 21, 0)) == _utc(2026, 3, 29, 6, 0)
    # They go back in the night of 24 to 25 October: 08:00 is then 07:00 UTC, not 06:00.
    assert quiet_end(settings, "Europe/Paris", _utc(2026, 10, 24, 20, 0)) == _utc(2026, 10, 25, 7, 0)


def test_a_quiet_end_inside_the_spring_gap_is_when_clocks_land_after_it(citizen):
    settings = settings_of(citizen)
    settings.quiet_start, settings.quiet_end = "01:00", "02:30"  # 02:30 does not exist on 29 March
    now = _utc(2026, 3, 29, 0, 30)  # 01:30 in Paris
    assert is_quiet_time(settings, "Europe/Paris", now)
    assert quiet_end(settings, "Europe/Paris", now) == _utc(2026, 3, 29, 1, 0)  # 03:00 CEST


def test_a_quiet_end_shown_twice_in_autumn_is_the_next_one(citizen):
    settings = settings_of(citizen)
    settings.quiet_start, settings.quiet_end = "01:00", "02:30"  # 02:30 happens twice on 25 October
    first_pass = _utc(2026, 10, 25, 0, 10)  # 02:10 CEST
    assert quiet_end(settings, "Europe/Paris", first_pass) == _utc(2026, 10, 25, 0, 30)
    second_pass = _utc(2026, 10, 25, 1, 10)  # 02:10 CET, after the clocks went back
    assert quiet_end(settings, "Europe/Paris", second_pass) == _utc(2026, 10, 25, 1, 30)


def test_no_quiet_hours_when_switched_off(citizen):
    settings = settings_of(citizen)
    settings.quiet_start = settings.quiet_end = None
    assert not is_quiet_time(settings, "Europe/Paris", _utc(2026, 6, 10, 23, 0))
    assert quiet_end(settings, "Europe/Paris", _utc(2026, 6, 10, 23, 0)) is None


def test_quiet_hours_within_one_day(citizen):
    settings = settings_of(citizen)
    settings.quiet_start, settings.quiet_end = "12:00", "14:00"
    assert is_quiet_time(settings, "UTC", _utc(2026, 6, 10, 13, 0))
    assert not is_quiet_time(settings, "UTC", _utc(2026, 6, 10, 14, 0))
    assert quiet_end(settings, "UTC", _utc(2026, 6, 10, 12, 0)) == _utc(2026, 6, 10, 14, 0)


def test_the_page_shows_every_channel_and_the_defaults(logged_in):
    html = logged_in.get("/me/notifications").get_data(as_text=True)
    for text in ("Web push", "E-mail", "SMS", "In-app inbox", "Quiet hours", "daily digest"):
        assert text in html
    assert 'value="3"' in html and 'value="21:00"' in html and 'value="08:00"' in html
    assert 'data-vapid-key="' in html
    email_box = re.search(r'<input[^>]*id="email-enabled"[^>]*>', html)
    assert email_box and "checked" not in email_box.group(0)  # e-mail is unticked by default


def test_the_page_is_only_for_logged_in_people(client, territory):
    response = client.get("/me/notifications")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_limits_are_saved_and_quiet_hours_switched_off(logged_in, citizen):
    response = post_form(logged_in, "/me/notifications/limits", {"daily_cap": "5", "quiet_start": "22:00", "quiet_end": "07:00"})
    assert response.status_code == 303
    settings = db.session.get(NotificationSettings, citizen.id)
    db.session.refresh(settings)
    assert settings.daily_cap == 5 and settings.quiet_start is None and settings.quiet_end is None

    post_form(logged_in, "/me/notifications/limits", {"daily_cap": "0", "quiet_enabled": "y", "quiet_start": "22:00", "quiet_end": "07:00"})
    db.session.refresh(settings)
    assert (settings.daily_cap, settings.quiet_start, settings.quiet_end) == (0, "22:00", "07:00")


def test_bad_limits_come_back_with_errors_next_to_fields_and_what_was_typed(logged_in, citizen):
    response = post_form(logged_in, "/me/notifications/limits", {"daily_cap": "11", "quiet_enabled": "y", "quiet_start": "25:00", "quiet_end": "07:00"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Choose a number from 0 to 10." in html and "Enter a time such as 21:00." in html
    assert 'value="11"' in html and 'value="25:00"' in html
    assert settings_of(citizen).daily_cap == 3

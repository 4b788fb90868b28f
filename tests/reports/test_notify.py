"""A report's changes reach its people through the delivery engine: the reporter and followers
only (never the person who acted, nor anyone else), on the channels each chose, held by quiet
hours and the daily cap like any message; the service's campaign pages never list them."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from flask import Flask
from sqlalchemy import func, select

from app.accounts.models import User
from app.campaigns import services as campaign_services
from app.campaigns.models import Campaign, Delivery
from app.campaigns.stats import latest_sent_campaign
from app.delivery.models import InboxItem
from app.extensions import db
from app.mail import outbox
from app.models_common import utcnow
from app.notifications.models import Mute, NotificationSettings
from app.reports import services
from app.reports.models import Report, ReportCategory, ReportNotice
from app.timezones import zone
from tests.factories import (
    login_as,
    make_actor,
    make_citizen,
    make_member,
    make_territory,
    make_user,
)

SQUARE = (43.1750, 5.6050)


@pytest.fixture
def town(app: Flask):  # type: ignore[no-untyped-def]
    app.config.update(PREFERRED_URL_SCHEME="https", SMS_BACKEND="memory")
    territory = make_territory(timezone="Europe/Paris", hosts=("ville.example", "localhost"), default_language="en")
    roads = make_actor(territory, "Voirie", kind="town_service")
    agent = make_user(territory, "agent@voirie.test")
    make_member(agent, roads)
    category = ReportCategory(territory_id=territory.id, service_code="pothole", name="Pothole",
                              service_actor_id=roads.id, expected_days=5)
    db.session.add(category)
    db.session.commit()
    outbox.clear()
    return territory, category, roads, agent


def _person(territory, email: bool = True, quiet: tuple[str | None, str | None] = (None, None),  # type: ignore[no-untyped-def]
            daily_cap: int = 3) -> User:
    user = make_citizen(territory, language="en")
    db.session.add(NotificationSettings(user_id=user.id, email_enabled=email, daily_cap=daily_cap,
                                        quiet_start=quiet[0], quiet_end=quiet[1]))
    db.session.commit()
    return user


def _report(territory, category, reporter) -> Report:  # type: ignore[no-untyped-def]
    report, _created = services.file_report(
        territory, reporter, services.NewReport(category, *SQUARE, "A deep hole"))
    return report


def _deliveries(user: User) -> dict[str, tuple[str, str | None]]:
    db.session.expire_all()
    return {d.channel: (d.status, d.reason)
            for d in db.session.scalars(select(Delivery).where(Delivery.user_id == user.id))}


def _inbox(user: User) -> list[InboxItem]:
    """The person's inbox, oldest first (without an ORDER BY, PostgreSQL promises no order)."""
    return list(db.session.scalars(
        select(InboxItem).where(InboxItem.user_id == user.id).order_by(InboxItem.id)
    ))


def _mailed_to(user: User) -> list[str]:
    return [str(message["Subject"]) for message in outbox if message["To"] == user.email]


def test_a_status_change_reaches_the_reporter_and_followers_on_their_channels_only(app: Flask, town, client) -> None:  # type: ignore[no-untyped-def]
    territory, category, _roads, agent = town
    reporter, follower, neighbour = _person(territory), _person(territory, email=False), _person(territory)
    report = _report(territory, category, reporter)
    services.follow(report, follower)
    services.follow(report, agent)  # the agent follows it too, yet is not told of their own change

    services.change_status(report, "resolved", "Filled with tarmac.", by_user=agent)

    assert _deliveries(reporter) == {"email": ("sent", None), "inbox": ("sent", None)}
    assert _deliveries(follower) == {"inbox": ("sent", None)}  # e-mail switched off: not used
    assert _deliveries(agent) == {} and _deliveries(neighbour) == {}
    assert _mailed_to(reporter) == ["Your report “Pothole”: Resolved — Voirie"] and _mailed_to(follower) == []
    for person in (reporter, follower):
        [item] = _inbox(person)
        assert (item.kind, item.title, item.body, item.url) == (
            "report", "Your report “Pothole”: Resolved", "Filled with tarmac.", f"/reports/{report.id}")
    text = "".join(part.get_content() for message in outbox for part in message.walk()
                   if part.get_content_type() == "text/plain")
    link = re.search(r"https://ville\.example(/r/\S+)", text)
    assert link is not None  # the e-mail's tracked link leads to the report's page
    response = client.get(link.group(1), base_url="https://ville.example")
    assert response.status_code in (302, 303) and response.headers["Location"].endswith(f"/reports/{report.id}")


def test_quiet_hours_hold_the_email_until_they_end_and_the_inbox_gets_it_at_once(app: Flask, town) -> None:  # type: ignore[no-untyped-def]
    territory, category, _roads, agent = town
    local = utcnow().astimezone(zone("Europe/Paris"))
    quiet = ((local - timedelta(hours=1)).strftime("%H:%M"), (local + timedelta(hours=1)).strftime("%H:%M"))
    reporter = _person(territory, quiet=quiet)
    report = _report(territory, category, reporter)

    services.change_status(report, "in_progress", "A crew goes on Monday.", by_user=agent)

    assert _deliveries(reporter) == {"email": ("deferred", "quiet_hours"), "inbox": ("sent", None)}
    held = db.session.scalar(select(Delivery).where(Delivery.user_id == reporter.id, Delivery.channel == "email"))
    assert held.next_attempt_at is not None and held.next_attempt_at > utcnow() + timedelta(minutes=50)
    assert _mailed_to(reporter) == [] and len(_inbox(reporter)) == 1


def test_over_the_daily_cap_the_email_waits_for_the_digest(app: Flask, town) -> None:  # type: ignore[no-untyped-def]
    territory, category, _roads, agent = town
    reporter = _person(territory, daily_cap=0)
    report = _report(territory, category, reporter)
    services.change_status(report, "acknowledged", "Seen.", by_user=agent)
    assert _deliveries(reporter) == {"email": ("deferred", "cap"), "inbox": ("sent", None)}


def test_muting_the_service_does_not_silence_ones_own_report(app: Flask, town) -> None:  # type: ignore[no-untyped-def]
    territory, category, roads, agent = town
    reporter = _person(territory)
    db.session.add(Mute(user_id=reporter.id, actor_id=roads.id))
    db.session.commit()
    report = _report(territory, category, reporter)
    services.change_status(report, "acknowledged", "Seen.", by_user=agent)
    # The mute silences the service's campaigns, not the answer to a report the person made.
    assert _deliveries(reporter) == {"email": ("sent", None), "inbox": ("sent", None)}
    assert len(_mailed_to(reporter)) == 1 and len(_inbox(reporter)) == 1


def test_a_merge_tells_the_merged_reports_people_not_the_other_reports(app: Flask, town) -> None:  # type: ignore[no-untyped-def]
    territory, category, _roads, agent = town
    first_reporter, duplicate_reporter, duplicate_follower = _person(territory), _person(territory), _person(territory)
    first = _report(territory, category, first_reporter)
    duplicate = _report(territory, category, duplicate_reporter)
    services.follow(duplicate, duplicate_follower)

    services.change_status(duplicate, "merged", "Already reported.", merged_into=first, by_user=agent)

    for person in (duplicate_reporter, duplicate_follower):
        [item] = _inbox(person)
        assert item.title == "Your report “Pothole”: Merged" and item.url == f"/reports/{duplicate.id}"
        assert item.body.splitlines() == ["Already reported.", f"Followed from now on as report #{first.id}."]
    assert _deliveries(first_reporter) == {} and _inbox(first_reporter) == []


def test_not_for_us_names_the_service_that_handles_it(app: Flask, town) -> None:  # type: ignore[no-untyped-def]
    territory, category, _roads, agent = town
    reporter = _person(territory)
    report = _report(territory, category, reporter)
    services.change_status(report, "not_ours", "A departmental road.", not_ours_service="Département, routes",
                           by_user=agent)
    [item] = _inbox(reporter)
    assert item.body.splitlines() == ["A departmental road.", "Handled by: Département, routes"]


def test_reopening_tells_the_others_not_the_person_who_reopened(app: Flask, town) -> None:  # type: ignore[no-untyped-def]
    territory, category, _roads, agent = town
    reporter, follower = _person(territory), _person(territory)
    report = _report(territory, category, reporter)
    services.follow(report, follower)
    services.change_status(report, "resolved", "Filled.", by_user=agent)

    services.reopen(report, reporter, "Still a hole.")

    assert len(_inbox(reporter)) == 1  # only the resolution
    titles = [item.title for item in _inbox(follower)]
    assert titles == ["Your report “Pothole”: Resolved", "The report “Pothole” was reopened"]
    assert _inbox(follower)[-1].body == "Still a hole." and _inbox(agent) == []


def test_the_services_campaign_pages_never_list_report_messages(app: Flask, town) -> None:  # type: ignore[no-untyped-def]
    territory, category, roads, agent = town
    reporter = _person(territory)
    report = _report(territory, category, reporter)
    services.change_status(report, "resolved", "Filled.", by_user=agent)
    assert db.session.scalar(select(Campaign).where(Campaign.actor_id == roads.id)) is not None
    assert campaign_services.actor_campaigns(roads) == []
    assert latest_sent_campaign(roads) is None


def test_the_campaign_page_of_a_report_message_is_not_found(app: Flask, town, client) -> None:  # type: ignore[no-untyped-def]
    territory, category, roads, agent = town
    reporter = _person(territory)
    report = _report(territory, category, reporter)
    services.change_status(report, "resolved", "Filled.", by_user=agent)
    campaign = db.session.scalar(select(Campaign).where(Campaign.actor_id == roads.id))
    login_as(client, agent, acting_actor=roads)
    assert client.get(f"/manage/campaigns/{campaign.id}").status_code == 404
    assert "Pothole" not in client.get("/manage/campaigns").get_data(as_text=True)


def test_each_person_is_told_in_their_own_language(app: Flask, town) -> None:  # type: ignore[no-untyped-def]
    territory, category, roads, agent = town
    reporter, follower = _person(territory), _person(territory)
    follower.language = "fr"
    db.session.commit()
    report = _report(territory, category, reporter)
    services.follow(report, follower)
    services.change_status(report, "resolved", "Filled.", by_user=agent)
    runs = {d.user_id: d.run_id for d in db.session.scalars(select(Delivery).where(Delivery.channel == "inbox"))}
    assert set(runs) == {reporter.id, follower.id} and runs[reporter.id] != runs[follower.id]
    assert db.session.scalar(select(func.count()).select_from(ReportNotice)
                             .where(ReportNotice.report_id == report.id)) == 2
    assert [item.body for item in _inbox(reporter) + _inbox(follower)] == ["Filled.", "Filled."]

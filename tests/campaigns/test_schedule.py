"""When campaigns go out: local times across daylight saving, and a scheduler that two workers
may run at the same minute without sending anything twice."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from app.campaigns import services
from app.campaigns.criteria import parse_criteria
from app.campaigns.models import Campaign, CampaignRun, Delivery
from app.campaigns.schedule import following_run, next_weekly, weekly_occurrences
from app.campaigns.services import CampaignDraft, Schedule
from app.campaigns.tasks import start_due_campaigns
from app.extensions import db
from app.timezones import end_of_local_day, local_to_utc
from tests.campaigns.conftest import Town, add_citizens

PARIS = ZoneInfo("Europe/Paris")


def test_weekly_keeps_local_time_across_the_spring_change() -> None:
    # Clocks go forward in Paris on Sunday 29 March 2026.
    start = datetime(2026, 3, 20, 12, 0, tzinfo=UTC)
    until = end_of_local_day(date(2026, 4, 10), PARIS)
    runs = weekly_occurrences(4, time(9, 0), start, until, PARIS)  # Fridays 09:00
    assert [r.astimezone(PARIS).strftime("%Y-%m-%d %H:%M") for r in runs] == [
        "2026-03-27 09:00", "2026-04-03 09:00", "2026-04-10 09:00",
    ]
    assert [r.hour for r in runs] == [8, 7, 7]  # UTC moves, the town's clock does not


def test_weekly_across_the_autumn_change_and_skipped_hours() -> None:
    # Clocks go back on Sunday 25 October 2026: Sundays 02:30 happen twice that night.
    after = datetime(2026, 10, 20, tzinfo=UTC)
    first = next_weekly(6, time(2, 30), after, PARIS)
    assert first == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)  # the first 02:30 (summer time)
    second = next_weekly(6, time(2, 30), first, PARIS)
    assert second == datetime(2026, 11, 1, 1, 30, tzinfo=UTC)
    # 02:30 does not exist on 29 March 2026: it comes out at 03:30 summer time
    assert local_to_utc(date(2026, 3, 29), time(2, 30), PARIS) == datetime(2026, 3, 29, 1, 30, tzinfo=UTC)


def test_following_run_stops_after_the_last_day() -> None:
    until = end_of_local_day(date(2026, 4, 10), PARIS)
    last = datetime(2026, 4, 10, 7, 0, tzinfo=UTC)
    assert following_run(4, "09:00", until, last - timedelta(seconds=1), PARIS) == last
    assert following_run(4, "09:00", until, last, PARIS) is None


def _weekly_campaign(town: Town, now: datetime) -> Campaign:
    criteria = parse_criteria({"rules": [{"kind": "hashtags", "ids": [town.bio.id]}]}, town.territory)
    draft = CampaignDraft(
        title="Marché bio",
        body="Every Friday on the port.",
        publication_id=None,
        criteria=criteria,
        channels=["inbox"],
        schedule=Schedule(kind="weekly", weekday=4, at_time=time(9, 0), until=date(2026, 4, 10)),
    )
    campaign = services.save_campaign(town.actor, town.editor.id, draft)
    services.schedule_campaign(campaign, now)
    return campaign


def test_scheduler_started_twice_starts_one_run(town: Town) -> None:
    add_citizens(town.territory, 12, hashtags=[town.bio])
    now = datetime(2026, 3, 20, 12, 0, tzinfo=UTC)
    campaign = _weekly_campaign(town, now)
    assert campaign.status == "scheduled"
    assert campaign.next_run_at == datetime(2026, 3, 27, 8, 0, tzinfo=UTC)

    assert services.run_due_campaigns(now) == 0  # not due yet
    due = datetime(2026, 3, 27, 8, 0, 30, tzinfo=UTC)
    assert services.run_due_campaigns(due) == 1
    assert services.run_due_campaigns(due) == 0  # the second worker finds nothing to do
    runs = db.session.scalars(select(CampaignRun)).all()
    assert len(runs) == 1 and runs[0].scheduled_for == datetime(2026, 3, 27, 8, 0, tzinfo=UTC)
    assert db.session.scalar(select(func.count()).select_from(Delivery)) == 12
    db.session.refresh(campaign)
    assert campaign.status == "scheduled"
    assert campaign.next_run_at == datetime(2026, 4, 3, 7, 0, tzinfo=UTC)  # after the DST change


def test_a_second_worker_that_lost_the_race_starts_nothing(town: Town) -> None:
    """The unique (campaign, scheduled time) turns the loser's insert into an IntegrityError."""
    add_citizens(town.territory, 12, hashtags=[town.bio])
    now = datetime(2026, 3, 20, 12, 0, tzinfo=UTC)
    campaign = _weekly_campaign(town, now)
    occurrence = campaign.next_run_at
    assert occurrence is not None
    # worker 1 started the occurrence but has not moved the campaign on yet
    services.start_run(campaign, occurrence)
    campaign.status = "scheduled"
    campaign.next_run_at = occurrence
    db.session.commit()
    # worker 2 sees it due
    assert services.run_due_campaigns(occurrence + timedelta(seconds=5)) == 0
    assert db.session.scalar(select(func.count()).select_from(CampaignRun)) == 1
    assert db.session.scalar(select(func.count()).select_from(Delivery)) == 12


def test_weekly_campaign_ends_after_its_last_day(town: Town) -> None:
    add_citizens(town.territory, 12, hashtags=[town.bio])
    campaign = _weekly_campaign(town, datetime(2026, 3, 20, 12, 0, tzinfo=UTC))
    for day in (27, 3, 10):
        month = 3 if day == 27 else 4
        services.run_due_campaigns(datetime(2026, month, day, 12, 0, tzinfo=UTC))
    db.session.refresh(campaign)
    assert campaign.status == "sent" and campaign.next_run_at is None
    assert db.session.scalar(select(func.count()).select_from(CampaignRun)) == 3


def test_periodic_task_starts_due_campaigns(town: Town) -> None:
    add_citizens(town.territory, 12, hashtags=[town.bio])
    criteria = parse_criteria({"rules": [{"kind": "hashtags", "ids": [town.bio.id]}]}, town.territory)
    soon = datetime.now(UTC) + timedelta(minutes=1)
    draft = CampaignDraft(
        title="Marché bio", body="Today on the port.", publication_id=None, criteria=criteria,
        channels=["inbox"], schedule=Schedule(kind="at", send_at=soon),
    )
    campaign = services.save_campaign(town.actor, town.editor.id, draft)
    services.schedule_campaign(campaign)
    assert campaign.status == "scheduled" and start_due_campaigns.call_local() == 0
    campaign.next_run_at = datetime.now(UTC) - timedelta(seconds=1)  # the minute has come
    db.session.commit()
    assert start_due_campaigns.call_local() == 1
    assert start_due_campaigns.call_local() == 0
    assert db.session.scalar(select(func.count()).select_from(CampaignRun)) == 1
    db.session.refresh(campaign)
    assert campaign.next_run_at is None and campaign.status in ("sending", "sent")


def test_run_refused_when_the_audience_fell_under_the_floor(town: Town) -> None:
    people = add_citizens(town.territory, 11, hashtags=[town.bio])
    _weekly_campaign(town, datetime(2026, 3, 20, 12, 0, tzinfo=UTC))
    db.session.delete(people[0])
    db.session.commit()
    services.run_due_campaigns(datetime(2026, 3, 27, 9, 0, tzinfo=UTC))
    run = db.session.scalars(select(CampaignRun)).one()
    assert run.status == "refused"
    assert db.session.scalar(select(func.count()).select_from(Delivery)) == 0

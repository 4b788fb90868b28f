"""The street reports' services: filing once, nearby duplicates, following, status changes told
to the people concerned, reopening within 30 days, the private thread."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import Flask
from sqlalchemy import select

from app.delivery.models import InboxItem
from app.extensions import db
from app.models_common import utcnow
from app.reports import services
from app.reports.models import ReportCategory, ReportFollower
from tests.factories import make_actor, make_member, make_territory, make_user

SQUARE = (43.1750, 5.6050)


@pytest.fixture
def town(app: Flask):  # type: ignore[no-untyped-def]
    territory = make_territory(timezone="Europe/Paris")
    roads = make_actor(territory, "Voirie", kind="town_service")
    agent = make_user(territory)
    make_member(agent, roads)
    category = ReportCategory(territory_id=territory.id, service_code="pothole", name="Pothole",
                              service_actor_id=roads.id, expected_days=5)
    db.session.add(category)
    db.session.commit()
    return territory, category, agent


def _file(territory, category, reporter, lat=SQUARE[0], lon=SQUARE[1], key=None, now=None):  # type: ignore[no-untyped-def]
    return services.file_report(territory, reporter, services.NewReport(category, lat, lon, "A hole", idempotency_key=key),
                                now=now)


def test_the_same_key_twice_makes_one_report(app: Flask, town) -> None:  # type: ignore[no-untyped-def]
    territory, category, _agent = town
    reporter = make_user(territory)
    first, created = _file(territory, category, reporter, key="k-1")
    again, created_again = _file(territory, category, reporter, key="k-1")
    assert created and not created_again and again.id == first.id
    assert first.expected_by is not None and first.status == "received"


def test_open_reports_of_the_category_within_50_m_are_offered(app: Flask, town) -> None:  # type: ignore[no-untyped-def]
    territory, category, _agent = town
    near, _ = _file(territory, category, make_user(territory))
    far, _ = _file(territory, category, make_user(territory), lat=SQUARE[0] + 0.001)  # ~111 m
    found = services.nearby_open(territory, category, SQUARE[0] + 0.0002, SQUARE[1])  # ~22 m from near
    assert [r.id for r, _d in found] == [near.id]
    services.change_status(near, "resolved", "Filled")
    assert services.nearby_open(territory, category, *SQUARE) == []
    assert far.id not in [r.id for r, _d in services.nearby_open(territory, category, *SQUARE)]


def test_a_change_is_told_to_the_reporter_and_followers_only(app: Flask, town) -> None:  # type: ignore[no-untyped-def]
    territory, category, _agent = town
    reporter, follower, bystander = make_user(territory), make_user(territory), make_user(territory)
    report, _ = _file(territory, category, reporter)
    assert services.follow(report, follower) and not services.follow(report, reporter)
    services.change_status(report, "in_progress", "Crew on Monday")
    told = set(db.session.scalars(select(InboxItem.user_id).where(InboxItem.kind == "report")))
    assert told == {reporter.id, follower.id} and bystander.id not in told
    assert [u.status for u in services.history(report)] == ["received", "in_progress"]
    with pytest.raises(services.ReportError):
        services.change_status(report, "not_ours", "")


def test_merging_moves_its_people_to_the_report_it_duplicates(app: Flask, town) -> None:  # type: ignore[no-untyped-def]
    territory, category, _agent = town
    first, _ = _file(territory, category, make_user(territory))
    second_reporter = make_user(territory)
    second, _ = _file(territory, category, second_reporter)
    services.change_status(second, "merged", "Same hole", merged_into=first)
    assert db.session.get(ReportFollower, (first.id, second_reporter.id)) is not None
    assert second.merged_into_id == first.id and not second.is_open


def test_reopening_by_the_reporter_or_a_follower_within_30_days(app: Flask, town) -> None:  # type: ignore[no-untyped-def]
    territory, category, _agent = town
    reporter, stranger = make_user(territory), make_user(territory)
    report, _ = _file(territory, category, reporter)
    services.change_status(report, "resolved", "Done")
    with pytest.raises(services.ReportError):
        services.reopen(report, stranger, "still there")
    services.reopen(report, reporter, "Still there")
    assert report.status == "received" and report.is_open
    services.change_status(report, "resolved", "Done again", now=utcnow() - timedelta(days=31))
    assert not services.may_reopen(report, reporter)


def test_the_private_thread_reaches_the_reporter_and_overdue_shows(app: Flask, town) -> None:  # type: ignore[no-untyped-def]
    territory, category, agent = town
    reporter = make_user(territory)
    report, _ = _file(territory, category, reporter, now=utcnow() - timedelta(days=6))
    assert report.is_overdue(utcnow())
    services.write(report, True, agent, "Which side of the street?")
    services.write(report, False, reporter, "The north side")
    assert [m.from_service for m in services.thread(report)] == [True, False]
    assert db.session.scalar(select(InboxItem.body).where(InboxItem.user_id == reporter.id)) == "Which side of the street?"
    assert services.is_agent(agent, report) and not services.is_agent(reporter, report)
    assert [r.id for r in services.queue(territory, services.agent_actor_ids(agent), status="overdue")] == [report.id]

"""Daily cap, quiet hours, alerts, mutes and the daily digest, with a frozen clock."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from app.campaigns.models import Delivery
from app.delivery import digest as delivery_digest
from app.delivery import drain as delivery_drain
from app.delivery import policy
from app.delivery import runs as delivery_runs
from app.delivery.models import InboxItem
from app.extensions import db
from app.models_common import utcnow
from app.notifications import services as notifications
from app.notifications.models import Mute, NotificationSettings
from app.timezones import start_of_local_day
from tests.delivery.conftest import make_campaign, make_citizens

PARIS_SUMMER = 2  # UTC+2 in June


def paris(day: int, hour: int, minute: int = 0) -> datetime:
    """A moment of June 2026 given in Paris time, as aware UTC."""
    return datetime(2026, 6, day, 0, minute, tzinfo=UTC) + timedelta(hours=hour - PARIS_SUMMER)


# --- pure policy ------------------------------------------------------------------------------


def test_quiet_hours_defer_interrupting_channels_to_their_end():
    person = policy.Person(user_id=1, push_enabled=True, has_push_subscription=True, quiet_start="21:00", quiet_end="08:00")
    late = policy.decide("push", person, is_alert=False, tz="Europe/Paris", now=paris(10, 22, 30))
    assert late == policy.Decision("defer", "quiet_hours", paris(11, 8))
    early = policy.decide("push", person, is_alert=False, tz="Europe/Paris", now=paris(11, 7, 59))
    assert early.until == paris(11, 8)
    assert policy.decide("push", person, is_alert=False, tz="Europe/Paris", now=paris(11, 8)).action == "send"
    assert policy.decide("inbox", person, is_alert=False, tz="Europe/Paris", now=paris(10, 22)).action == "send"
    assert policy.decide("push", person, is_alert=True, tz="Europe/Paris", now=paris(10, 22)).action == "send"


def test_cap_counts_other_runs_and_lets_the_same_run_through():
    person = policy.Person(user_id=1, email_enabled=True, email_verified=True, quiet_start=None, quiet_end=None, daily_cap=3)
    now = paris(10, 12)
    person.runs_sent_today = 2
    assert policy.decide("email", person, is_alert=False, tz="Europe/Paris", now=now).action == "send"
    person.runs_sent_today = 3
    assert policy.decide("email", person, is_alert=False, tz="Europe/Paris", now=now) == policy.Decision("defer", "cap")
    assert policy.decide("email", person, is_alert=True, tz="Europe/Paris", now=now).action == "send"
    assert policy.decide("inbox", person, is_alert=False, tz="Europe/Paris", now=now).action == "send"
    person.run_already_sent = True  # its push went out: its e-mail is the same message
    assert policy.decide("email", person, is_alert=False, tz="Europe/Paris", now=now).action == "send"
    person.daily_cap, person.run_already_sent, person.runs_sent_today = 0, False, 0
    assert policy.decide("email", person, is_alert=False, tz="Europe/Paris", now=now).reason == "cap"


def test_channels_switched_off_or_muted_are_skipped():
    person = policy.Person(user_id=1, quiet_start=None, quiet_end=None)
    now = paris(10, 12)
    assert policy.decide("push", person, is_alert=True, tz="Europe/Paris", now=now).reason == "unsubscribed"
    assert policy.decide("email", person, is_alert=False, tz="Europe/Paris", now=now).reason == "unsubscribed"
    person.push_enabled = True
    assert policy.decide("push", person, is_alert=False, tz="Europe/Paris", now=now).reason == "no_channel"
    person.muted = True
    assert policy.decide("inbox", person, is_alert=True, tz="Europe/Paris", now=now).reason == "muted"


def test_people_alike_share_a_decision_key_and_any_difference_that_counts_separates_them():
    """A batch decides once per ``decision_key``: the key holds every field of ``Person`` that
    ``decide`` may read (a field added to ``Person`` and left out of the key fails here)."""
    base = policy.Person(user_id=1, push_enabled=True, has_push_subscription=True, phone="+33600000001")
    twin = dataclasses.replace(base, user_id=2, phone="+33600000002")
    assert policy.decision_key("push", base) == policy.decision_key("push", twin)
    assert policy.decision_key("push", base) != policy.decision_key("email", base)
    assert policy.decision_key("sms", base) != policy.decision_key("sms", dataclasses.replace(base, phone=None))
    changed = {
        bool: lambda value: not value, int: lambda value: value + 1, str: lambda value: "06:00",
        type(None): lambda value: "06:00",
    }
    for field in dataclasses.fields(policy.Person):
        if field.name in ("user_id", "phone"):
            continue
        value = getattr(base, field.name)
        other = dataclasses.replace(base, **{field.name: changed[type(value)](value)})
        assert policy.decision_key("push", other) != policy.decision_key("push", base), field.name
    # Same key, same decision, whoever the person (quiet hours on, during them and after).
    for now in (paris(10, 22, 30), paris(11, 12)):
        assert policy.decide("push", base, is_alert=False, tz="Europe/Paris", now=now) == policy.decide(
            "push", twin, is_alert=False, tz="Europe/Paris", now=now
        )


def test_local_midnight_in_the_territory_time_zone():
    assert start_of_local_day(paris(10, 1), "Europe/Paris") == paris(10, 0)
    assert start_of_local_day(paris(10, 23, 59), "Europe/Paris") == paris(10, 0)
    assert start_of_local_day(datetime(2026, 6, 10, 23, 0, tzinfo=UTC), "Europe/Paris") == paris(11, 0)


# --- through the drain, with a frozen clock ---------------------------------------------------


def _run(actor, now, **fields):
    campaign = make_campaign(actor, channels=("email", "inbox"), **fields)
    run = delivery_runs.start_run(campaign, now, now=now, enqueue=False)
    delivery_drain.drain(run.id, clock=lambda: now)
    return run


def _statuses(run_id):
    return sorted(
        tuple(r)
        for r in db.session.execute(
            select(Delivery.channel, Delivery.status, Delivery.reason, func.count())
            .where(Delivery.run_id == run_id)
            .group_by(Delivery.channel, Delivery.status, Delivery.reason)
        )
    )


def test_daily_cap_defers_to_the_digest_and_alerts_bypass_it(app, territory, actor, outbox):
    people = make_citizens(territory, actor, 11, email=True, daily_cap=2)
    first = _run(actor, paris(10, 9), title="One")
    second = _run(actor, paris(10, 10), title="Two")
    assert _statuses(first.id) == _statuses(second.id) == [("email", "sent", None, 11), ("inbox", "sent", None, 11)]
    # A run sent yesterday evening does not count today; the third one today is over the cap.
    third = _run(actor, paris(10, 11), title="Three")
    assert _statuses(third.id) == [("email", "deferred", "cap", 11), ("inbox", "sent", None, 11)]
    alert = _run(actor, paris(10, 12), title="Water cut", is_alert=True)
    assert _statuses(alert.id) == [("email", "sent", None, 11), ("inbox", "sent", None, 11)]
    fourth = _run(actor, paris(10, 13), title="Four")
    assert _statuses(fourth.id)[0] == ("email", "deferred", "cap", 11)
    db.session.refresh(third)
    assert third.status == "sent"  # cap deferrals do not hold the run: the digest takes them
    assert len(outbox) == 33  # 3 x 11 e-mails: One, Two, the alert

    # The next morning the cap starts again.
    next_day = _run(actor, paris(11, 9), title="Next day")
    assert _statuses(next_day.id)[0] == ("email", "sent", None, 11)

    # The digest of the 10th (run at 18:00 on the 10th): one per person, idempotent.
    outbox.clear()
    assert delivery_digest.send_digests(paris(10, 17, 59)) == 0
    assert delivery_digest.send_digests(paris(10, 18, 5)) == 11
    assert delivery_digest.send_digests(paris(10, 18, 15)) == 0
    digests = db.session.scalars(select(InboxItem).where(InboxItem.kind == "digest")).all()
    assert sorted(d.user_id for d in digests) == sorted(p.id for p in people)
    assert all("Three" in d.body and "Four" in d.body and "Two" not in d.body for d in digests)
    assert _statuses(third.id)[0] == ("email", "skipped", "digest", 11)
    assert len(outbox) == 11 and all("Three" in m.get_body(("plain",)).get_content() for m in outbox)
    assert all(m["List-Unsubscribe"] for m in outbox)


def test_quiet_hours_wait_for_their_end(app, territory, actor, outbox):
    make_citizens(territory, actor, 11, email=True, quiet=("21:00", "08:00"))
    evening = paris(10, 22)
    run = _run(actor, evening, title="Late news")
    assert _statuses(run.id) == [("email", "deferred", "quiet_hours", 11), ("inbox", "sent", None, 11)]
    assert set(db.session.scalars(select(Delivery.next_attempt_at).where(Delivery.channel == "email"))) == {paris(11, 8)}
    assert outbox == []
    db.session.refresh(run)
    assert run.status == "sent"  # nothing left to send before morning
    # The periodic task finds them due at 08:00 and a drain sends them.
    assert delivery_drain.runs_with_due_work(paris(11, 7, 0)) == []
    morning = paris(11, 8, 1)
    delivery_drain.drain(run.id, clock=lambda: morning)
    assert _statuses(run.id) == [("email", "sent", None, 11), ("inbox", "sent", None, 11)]
    assert len(outbox) == 11


def test_alerts_bypass_quiet_hours(app, territory, actor, outbox):
    make_citizens(territory, actor, 11, email=True, quiet=("21:00", "08:00"))
    run = _run(actor, paris(10, 23), title="Flood warning", is_alert=True)
    assert _statuses(run.id) == [("email", "sent", None, 11), ("inbox", "sent", None, 11)]
    assert all(m["Subject"].startswith("Alert") for m in outbox)


def test_muting_the_actor_after_the_run_started_skips(app, territory, actor, outbox):
    people = make_citizens(territory, actor, 12, email=True)
    now = paris(10, 12)
    campaign = make_campaign(actor, channels=("email", "inbox"))
    run = delivery_runs.start_run(campaign, now, now=now, enqueue=False)
    db.session.add(Mute(user_id=people[0].id, actor_id=actor.id))
    db.session.commit()
    delivery_drain.drain(run.id, clock=lambda: now + timedelta(minutes=1))
    muted = _statuses(run.id)
    assert ("email", "skipped", "muted", 1) in muted and ("inbox", "skipped", "muted", 1) in muted
    assert len(outbox) == 11 and people[0].email not in {m["To"] for m in outbox}


# --- quiet hours changed while messages wait --------------------------------------------------


def _held_until(run_id):
    return set(
        db.session.scalars(
            select(Delivery.next_attempt_at).where(Delivery.run_id == run_id, Delivery.channel == "email")
        )
    )


def _set_quiet(people, start, end):
    for person in people:
        settings = db.session.get(NotificationSettings, person.id)
        settings.quiet_start, settings.quiet_end = start, end
    db.session.commit()


def test_moving_quiet_hours_moves_what_they_hold_to_the_new_end(app, territory, actor, outbox):
    people = make_citizens(territory, actor, 11, email=True, quiet=("21:00", "08:00"))
    run = _run(actor, paris(10, 22), title="Late news")
    assert _held_until(run.id) == {paris(11, 8)}
    now = paris(10, 23)
    _set_quiet(people, "22:00", "06:30")
    for person in people:
        assert delivery_drain.replan_quiet_hours(person.id, now) == {}  # nothing due before 06:30
    assert _held_until(run.id) == {paris(11, 6, 30)}
    assert delivery_drain.runs_with_due_work(paris(11, 6, 0)) == []
    delivery_drain.drain(run.id, clock=lambda: paris(11, 6, 31))
    assert _statuses(run.id) == [("email", "sent", None, 11), ("inbox", "sent", None, 11)]
    assert len(outbox) == 11


def test_quiet_hours_moved_away_from_now_or_turned_off_release_what_they_hold(app, territory, actor, outbox):
    people = make_citizens(territory, actor, 11, email=True, quiet=("21:00", "08:00"))
    run = _run(actor, paris(10, 22), title="Late news")
    now = paris(10, 22, 30)
    _set_quiet(people[:5], "23:00", "07:00")  # 22:30 is no longer quiet for them
    _set_quiet(people[5:], None, None)  # no quiet hours any more
    woken = [delivery_drain.replan_quiet_hours(person.id, now) for person in people]
    assert woken == [{run.id: 1}] * 11
    assert _held_until(run.id) == {now}
    delivery_drain.drain(run.id, clock=lambda: now)
    assert _statuses(run.id) == [("email", "sent", None, 11), ("inbox", "sent", None, 11)]
    assert len(outbox) == 11


def test_turning_quiet_hours_off_wakes_the_drain_at_once(app, territory, actor, outbox):
    # On the real clock: quiet hours from an hour ago to two hours from now, territory time.
    local_now = utcnow().astimezone(ZoneInfo("Europe/Paris"))
    start, end = (f"{(local_now + timedelta(hours=h)):%H:%M}" for h in (-1, 2))
    people = make_citizens(territory, actor, 11, email=True, quiet=(start, end))
    campaign = make_campaign(actor, channels=("email", "inbox"), title="Road works")
    run = delivery_runs.start_run(campaign, utcnow(), enqueue=False)
    delivery_drain.drain(run.id)
    assert _statuses(run.id) == [("email", "deferred", "quiet_hours", 11), ("inbox", "sent", None, 11)]
    assert outbox == []
    for person in people:  # the settings page's service, then the queue (immediate in tests)
        notifications.set_limits(person, notifications.Limits(daily_cap=3, quiet_start=None, quiet_end=None))
    assert _statuses(run.id) == [("email", "sent", None, 11), ("inbox", "sent", None, 11)]
    assert len(outbox) == 11

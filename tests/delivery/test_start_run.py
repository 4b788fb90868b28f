"""start_run: one Delivery per (person, accepted channel), refused under the floor, harmless twice."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from app.campaigns.models import Delivery
from app.delivery import runs as delivery_runs
from app.delivery.models import InboxItem
from app.extensions import db
from app.models_common import utcnow
from app.notifications.models import NotificationSettings
from tests.delivery.conftest import make_campaign, make_citizens, make_person


def _rows(run_id: int) -> list[tuple[int, str]]:
    return sorted(tuple(r) for r in db.session.execute(select(Delivery.user_id, Delivery.channel).where(Delivery.run_id == run_id)))


def test_one_row_per_person_and_accepted_channel(app, territory, actor):
    with_email = make_citizens(territory, actor, 6, email=True)
    with_sms = make_citizens(territory, actor, 6, sms=True)
    make_person(territory)  # follows nobody: not in the audience
    unverified = make_citizens(territory, actor, 1, email=True)[0]
    unverified.email_verified_at = None
    db.session.commit()
    campaign = make_campaign(actor, channels=("push", "email", "sms", "inbox"))

    run = delivery_runs.start_run(campaign, utcnow(), enqueue=False)

    assert run.status == "sending" and campaign.status == "sending"
    # The unverified person receives it (what they receive is their own business) but does not
    # count toward the audience that is released: 12 established people.
    assert run.audience_size == 12
    expected = sorted(
        [(u.id, "inbox") for u in with_email + with_sms + [unverified]]
        + [(u.id, "email") for u in with_email]
        + [(u.id, "sms") for u in with_sms]
    )
    assert _rows(run.id) == expected  # nobody has a push subscription: no push row
    assert db.session.scalar(select(func.count()).where(Delivery.run_id == run.id, Delivery.status != "queued")) == 0


def test_starting_twice_or_materialising_twice_is_harmless(app, territory, actor):
    make_citizens(territory, actor, 12)
    campaign = make_campaign(actor, channels=("inbox",))
    when = utcnow()
    run = delivery_runs.start_run(campaign, when, enqueue=False)
    again = delivery_runs.start_run(campaign, when, enqueue=False)
    assert again.id == run.id
    from app.campaigns.criteria import parse_criteria

    inserted = delivery_runs.materialise(run, campaign, territory, parse_criteria(campaign.criteria, territory), utcnow())
    db.session.commit()
    assert inserted == 0
    assert len(_rows(run.id)) == 12


def test_under_the_floor_is_refused_and_writes_nothing(app, territory, actor):
    make_citizens(territory, actor, 10)
    campaign = make_campaign(actor, channels=("push", "inbox"))
    run = delivery_runs.start_run(campaign, utcnow())
    assert run.status == "refused"
    assert _rows(run.id) == []
    assert db.session.scalar(select(func.count()).select_from(InboxItem)) == 0


def test_the_count_is_checked_again_at_send_time(app, territory, actor):
    people = make_citizens(territory, actor, 11)
    campaign = make_campaign(actor, channels=("inbox",))
    # One of them stops following between the estimate and the sending: 10 < 11.
    from app.actors.models import Follow

    db.session.execute(Follow.__table__.delete().where(Follow.user_id == people[0].id))
    db.session.commit()
    run = delivery_runs.start_run(campaign, utcnow() + timedelta(minutes=5))
    assert run.status == "refused"
    assert _rows(run.id) == []


def test_inbox_run_is_drained_to_the_end(app, territory, actor):
    people = make_citizens(territory, actor, 12)
    campaign = make_campaign(actor, channels=("inbox",))
    run = delivery_runs.start_run(campaign, utcnow())  # tests run Huey immediately
    assert run.status == "sent" and run.finished_at is not None
    assert campaign.status == "sent"
    items = db.session.scalars(select(InboxItem).order_by(InboxItem.user_id)).all()
    assert [i.user_id for i in items] == [p.id for p in people]
    assert {i.title for i in items} == {campaign.title}
    statuses = db.session.execute(select(Delivery.status, func.count()).group_by(Delivery.status)).all()
    assert statuses == [("sent", 12)]
    # Settings rows exist for all: nobody lost the defaults.
    assert db.session.scalar(select(func.count()).select_from(NotificationSettings)) == 12

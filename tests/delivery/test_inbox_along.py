"""A person's inbox delivery goes out with the batch of their push (the same transaction records
both), not in batches of its own after the run's last push; once each, muting still honoured."""

from __future__ import annotations

import itertools
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from app.campaigns.models import Delivery
from app.delivery import drain as delivery_drain
from app.delivery import runs as delivery_runs
from app.delivery.models import InboxItem
from app.extensions import db
from app.models_common import utcnow
from app.notifications.models import Mute
from tests.delivery.conftest import make_campaign, make_citizens


def _deliveries(run_id: int) -> dict[tuple[int, str], Delivery]:
    db.session.expire_all()
    rows = db.session.scalars(select(Delivery).where(Delivery.run_id == run_id))
    return {(d.user_id, d.channel): d for d in rows}


def test_the_inbox_goes_out_with_the_push_of_the_same_person(app, territory, actor, push_service):
    people = make_citizens(territory, actor, 12, push_service=push_service)
    app.config["DELIVERY_BATCH_SIZE"] = 4  # push rows first (one INSERT per channel): 3 batches of them
    started = utcnow()
    run = delivery_runs.start_run(make_campaign(actor, title="Fresh bread at 7"), started, enqueue=False)
    muted = people[0]
    db.session.add(Mute(user_id=muted.id, actor_id=actor.id))
    db.session.commit()
    ticks = itertools.count()
    delivery_drain.drain(run.id, clock=lambda: started + timedelta(seconds=next(ticks)))

    deliveries = _deliveries(run.id)
    items = {i.user_id: i for i in db.session.scalars(select(InboxItem).where(InboxItem.campaign_id == run.campaign_id))}
    assert deliveries[(muted.id, "push")].reason == "muted" and deliveries[(muted.id, "inbox")].reason == "muted"
    assert muted.id not in items
    for person in people[1:]:
        push, inbox = deliveries[(person.id, "push")], deliveries[(person.id, "inbox")]
        assert (push.status, inbox.status) == ("sent", "sent")
        assert inbox.sent_at == push.sent_at  # recorded together, at the clock of the push's batch
        assert items[person.id].delivery_id == inbox.id and items[person.id].title == "Fresh bread at 7"
    assert len(items) == 11 and len(push_service.received) == 11
    assert len({d.sent_at for d in deliveries.values() if d.status == "sent"}) == 3  # one record per batch


def test_inbox_items_written_with_a_record_that_failed_are_written_once(
    app, territory, actor, push_service, monkeypatch
):
    people = make_citizens(territory, actor, 12, push_service=push_service)  # the audience floor's 12
    app.config["DELIVERY_BATCH_SIZE"] = 5
    run = delivery_runs.start_run(make_campaign(actor), utcnow(), enqueue=False)
    inbox_along, failures = delivery_drain.inbox_along, []

    def then_the_database_restarts(*args: Any, **kwargs: Any) -> int:
        sent = inbox_along(*args, **kwargs)
        if not failures:  # the items are written, the transaction is lost before its commit
            failures.append(sent)
            raise OperationalError("UPDATE delivery ...", {}, ConnectionError("server closed the connection"))
        return sent

    monkeypatch.setattr(delivery_drain, "inbox_along", then_the_database_restarts)
    delivery_drain.drain(run.id)

    assert failures == [5]
    assert {(d.channel, d.status) for d in _deliveries(run.id).values()} == {("push", "sent"), ("inbox", "sent")}
    per_delivery = db.session.execute(
        select(InboxItem.delivery_id, func.count()).group_by(InboxItem.delivery_id)
    ).all()
    assert len(per_delivery) == len(people) and all(count == 1 for _id, count in per_delivery)
    assert len(push_service.received) == len(people)

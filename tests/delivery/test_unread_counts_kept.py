"""Every page's header shows the person's unread count, kept with their session (app.accounts.
sessions). A campaign writes inboxes in batches, many a second: through Redis, each write names
the people it wrote for (app.changes.concerning), so only they read their count again, once;
everybody else's stays kept. A person's own reading is theirs alone too, and a write that names
nobody still makes everybody read theirs again."""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest
from sqlalchemy import select

from app import changes
from app.accounts import sessions
from app.delivery import drain as delivery_drain
from app.delivery import runs as delivery_runs
from app.delivery.models import InboxItem
from app.extensions import db
from app.models_common import utcnow
from tests.delivery.conftest import make_campaign, make_citizens, make_person
from tests.factories import login_as
from tests.support.statements import statements_sent


@pytest.fixture
def marks_people(app):  # type: ignore[no-untyped-def]
    sessions.forget_kept_sessions()
    counters = changes._shared_of(db.engine)
    if counters is None:
        pytest.skip("people are marked through Redis (PostgreSQL with TEST_REDIS_URL, make test-pg)")

    def forget_marks() -> None:
        # Before too: an earlier test's campaign marked people whose ids these tests reuse, at
        # a counter Redis has started again since (a newer mark: their count read again).
        marks = list(counters.client.scan_iter(match=counters.person_key("inbox", 0)[:-1] + "*"))
        if marks:
            counters.client.delete(*marks)

    forget_marks()
    yield
    forget_marks()


def _page(client, kept: bool = True):  # type: ignore[no-untyped-def]
    """The page's unread badge and how many statements read an inbox (and, with ``kept``, that
    none read a session)."""
    with statements_sent(db.engine) as statements:
        html = client.get("/me").get_data(as_text=True)
    marker = '<span class="unread-count">'
    badge = html.split(marker, 1)[1].split("<", 1)[0] if marker in html else "0"
    counted = [s for s in statements if "FROM inbox_item" in s]
    assert not kept or not [s for s in statements if "FROM auth_session" in s]  # the session stays kept
    return badge, len(counted)


def _kept_clients(app, *people, badge: str):  # type: ignore[no-untyped-def]
    """A logged-in client per person, each session and count read once and kept from then on
    (every badge showing ``badge``)."""
    clients = []
    for person in people:
        client = app.test_client()
        login_as(client, person)
        clients.append(client)
    for client in clients:
        _page(client, kept=False)
        assert _page(client) == (badge, 0)
    return clients


def test_a_campaign_reads_again_only_its_recipients_counts(
    app, territory, actor, push_service, marks_people
):
    recipients = make_citizens(territory, actor, 12, push_service=push_service)  # an audience large enough to send to
    outsider = make_person(territory)
    db.session.commit()
    theirs, mine = _kept_clients(app, recipients[0], outsider, badge="0")

    app.config["DELIVERY_BATCH_SIZE"] = 4  # three batches, each written and announced on its own
    started = utcnow()
    run = delivery_runs.start_run(make_campaign(actor, title="Water cut on Monday"), started, enqueue=False)
    ticks = itertools.count()
    delivery_drain.drain(run.id, clock=lambda: started + timedelta(seconds=next(ticks)))
    assert db.session.scalar(select(InboxItem.id).where(InboxItem.user_id == recipients[0].id))

    assert _page(mine) == ("0", 0)  # nobody wrote to the outsider: their count stays kept
    assert _page(theirs) == ("1", 1)  # the recipient's is read again, once
    assert _page(theirs) == ("1", 0)
    assert _page(mine) == ("0", 0)


def test_reading_ones_own_message_reads_only_ones_own_count_again(
    app, territory, actor, push_service, marks_people
):
    reader, other = make_citizens(territory, actor, 2, push_service=push_service)
    for person in (reader, other):
        db.session.add(InboxItem(user_id=person.id, territory_id=territory.id, title="Market moved"))
    db.session.commit()
    theirs, mine = _kept_clients(app, other, reader, badge="1")

    item = db.session.scalar(select(InboxItem).where(InboxItem.user_id == reader.id))
    assert mine.get(f"/me/inbox/{item.id}").status_code == 200  # opening it marks it read
    assert _page(mine) == ("0", 1)
    assert _page(theirs) == ("1", 0)


def test_a_write_that_names_nobody_reads_everybodys_count_again(app, territory, actor, marks_people):
    person, other = make_person(territory), make_person(territory)
    db.session.commit()
    theirs, mine = _kept_clients(app, other, person, badge="0")

    # Written without naming its person (an ORM insert, as a report's notice is).
    db.session.add(InboxItem(user_id=person.id, territory_id=territory.id, title="Your report was read"))
    db.session.commit()

    assert _page(mine) == ("1", 1)
    assert _page(theirs) == ("0", 1)  # everybody's, once
    assert _page(theirs) == ("0", 0)


def test_a_mark_is_set_with_the_counter_it_names(app, marks_people):
    """The person's mark holds the counter's value after the write (both in one step), and a
    value read at that version or later is still taken as unchanged for them."""
    counters = changes._shared_of(db.engine)
    assert counters is not None
    counters.bump(("inbox",), {"inbox": {424242}})
    mark = counters.person_mark("inbox", 424242)
    version = counters.read(("inbox",))["inbox"]
    assert mark == int(version)
    assert counters.person_mark("inbox", 424243) is None
    everybody = changes.everybody("inbox")
    at = {"inbox": changes.version("inbox", db.engine), everybody: changes.version(everybody, db.engine)}
    assert changes.unchanged_for(424242, "inbox", db.engine, at)
    counters.bump(("inbox",), {"inbox": {424242}})
    assert not changes.unchanged_for(424242, "inbox", db.engine, at)
    assert changes.unchanged_for(424243, "inbox", db.engine, at)

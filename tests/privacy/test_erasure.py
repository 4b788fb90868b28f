"""Erasing an account leaves nothing of the person in any table, and campaign statistics as they were."""

from __future__ import annotations

import hashlib
import logging
import os
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.accounts import consents
from app.accounts import services as accounts
from app.accounts.models import User, UserHashtag
from app.actors.models import Actor, Invitation, Membership
from app.campaigns.models import Delivery
from app.campaigns.stats import channel_figures, run_progress
from app.delivery import runs as delivery_runs
from app.delivery import tracking
from app.delivery.models import InboxItem
from app.extensions import db
from app.models import Base
from app.models_common import utcnow
from app.notifications.models import Mute, NotificationSettings, PushSubscription
from app.places.models import LiveCell
from app.privacy import exports
from app.privacy.erasure import erase_account
from app.privacy.tasks import enforce_retention
from app.welcome.models import WelcomeSent
from tests.accounts.conftest import post_form
from tests.delivery.conftest import make_campaign, make_citizens
from tests.factories import (
    NEGLIGIBLE_NOISE,
    PASSWORD,
    login_as,
    make_actor,
    make_follow,
    make_hashtag,
    make_member,
    make_publication,
    make_territory,
    make_user,
)
from tests.factories import make_campaign as make_sent_campaign

EMAIL = "zerlina.quast-7f3a@example.org"
NAME = "Zerlina Quast 7f3a"
PHONE = "+33699887766"
PENDING_PHONE = "+33655443322"
ENDPOINT = "https://push.example.net/wpush/v2/erase-marker-7f3a-endpoint"
LIVE_CELL = 0x8939_6ABC_DE1F_FFF
RESIDENCE_CELL = 0x8939_6ABC_DE3B_FFF


def _user_columns() -> set[tuple[str, str]]:
    """Every (table, column) holding a person's id: the key itself and all that reference it."""
    columns = {("user_account", "id")}
    for table in Base.metadata.sorted_tables:
        for key in table.foreign_keys:
            if key.column.table.name == "user_account":
                columns.add((table.name, key.parent.name))
    return columns


def _leftovers(person_id: int) -> list[str]:
    """Each place in the whole database that still holds something of the person."""
    markers = [EMAIL.lower(), NAME.lower(), PHONE, PENDING_PHONE, ENDPOINT]
    cells = {LIVE_CELL, RESIDENCE_CELL}
    user_columns = _user_columns()
    found = []
    for table in Base.metadata.sorted_tables:
        for row in db.session.execute(select(table)).mappings():
            for column, value in row.items():
                if value is None:
                    continue
                text = value.decode("latin-1") if isinstance(value, bytes) else str(value)
                found += [f"{table.name}.{column}: marker" for m in markers if m in text.lower()]
                if (table.name, column) in user_columns and value == person_id:
                    found.append(f"{table.name}.{column}: the person's id")
                if (column == "cell" or column.endswith("_cell")) and value in cells:
                    found.append(f"{table.name}.{column}: the person's cell")
    return found


def _aggregates(campaign, run, territory):  # type: ignore[no-untyped-def]
    raw = db.session.execute(
        select(
            Delivery.channel,
            Delivery.status,
            func.count(),
            func.count(Delivery.opened_at),
            func.count(Delivery.clicked_at),
        )
        .where(Delivery.campaign_id == campaign.id)
        .group_by(Delivery.channel, Delivery.status)
        .order_by(Delivery.channel, Delivery.status)
    ).all()
    return [tuple(r) for r in raw], channel_figures(campaign, territory), run_progress(run, territory)


def _seed_person(territory, bakery):  # type: ignore[no-untyped-def]
    """A person who used everything: profile, channels, places, an actor of their own."""
    person = make_user(
        territory, email=EMAIL, display_name=NAME, language="fr", residence_cell=RESIDENCE_CELL
    )
    db.session.add(Mute(user_id=person.id, hashtag_id=make_hashtag(territory, "jazz").id))
    db.session.add(UserHashtag(user_id=person.id, hashtag_id=make_hashtag(territory, "bread").id))
    make_follow(person, bakery)
    db.session.add(
        NotificationSettings(
            user_id=person.id,
            email_enabled=True,
            sms_enabled=True,
            phone=PHONE,
            pending_phone=PENDING_PHONE,
            phone_code_hash="c" * 64,
            phone_code_expires_at=utcnow() + timedelta(minutes=10),
            quiet_start=None,
            quiet_end=None,
        )
    )
    db.session.add(
        PushSubscription(
            user_id=person.id,
            territory_id=territory.id,
            endpoint=ENDPOINT,
            endpoint_hash=hashlib.sha256(ENDPOINT.encode()).hexdigest(),
            p256dh="BPerson",
            auth="secret",
        )
    )
    db.session.add(
        LiveCell(user_id=person.id, territory_id=territory.id, cell=LIVE_CELL, seen_at=utcnow())
    )
    db.session.commit()
    consents.grant_consent(person, consents.PROFILE_TARGETING)
    consents.grant_consent(person, consents.NOTIFICATIONS, channel="email")
    accounts.issue_token(person, accounts.VERIFY_EMAIL)

    # Their own shop, of which they are the only owner, with what they made in it.
    shop = make_actor(territory, "Quast Records", created_by_id=person.id)
    make_member(person, shop, "owner")
    offer = make_publication(shop, "Vinyl fair", kind="offer", created_by_id=person.id)
    db.session.add(WelcomeSent(user_id=person.id, publication_id=offer.id))
    make_sent_campaign(shop, "Vinyl fair on Sunday", created_by_id=person.id)
    now = utcnow()
    db.session.add_all(
        [
            Invitation(actor_id=shop.id, email="friend@example.org", token_hash="a" * 64,
                       invited_by_id=person.id, expires_at=now + timedelta(days=7)),
            Invitation(actor_id=bakery.id, email=EMAIL.upper(), token_hash="b" * 64,
                       expires_at=now + timedelta(days=7)),
        ]
    )
    db.session.commit()
    return person, shop


def test_erased_person_leaves_nothing_and_campaign_statistics_stay(app, client, caplog):
    app.config.update(SMS_BACKEND="memory")
    # About erasure, not released counts: the campaign goes out on the count set up here.
    territory = make_territory(hosts=("localhost",), **NEGLIGIBLE_NOISE)
    bakery = make_actor(territory, "Bakery Martin")
    others = make_citizens(territory, bakery, 12, email=True)
    person, shop = _seed_person(territory, bakery)

    # A campaign reaches them and the others; some open it, some click, the person too.
    campaign = make_campaign(bakery, channels=("email", "sms", "inbox"))
    run = delivery_runs.start_run(campaign, utcnow())
    assert run.status == "sent"
    person_deliveries = db.session.scalars(
        select(Delivery.id).where(Delivery.user_id == person.id)
    ).all()
    assert len(person_deliveries) == 3  # e-mail, SMS, inbox
    for delivery_id in [*person_deliveries, *db.session.scalars(
        select(Delivery.id).where(Delivery.user_id.in_([p.id for p in others[:4]]))
    )]:
        tracking.record_click(delivery_id)
    assert db.session.scalar(select(func.count()).where(InboxItem.user_id == person.id)) == 1
    export, _new = exports.request_export(person)
    archive = exports.export_path(export)
    archive.write_bytes(b"PK archive of the person")
    before = _aggregates(campaign, run, territory)
    login_as(client, person)
    assert client.get("/me").status_code == 200
    assert _leftovers(person.id)  # the scan does see the person before

    caplog.set_level(logging.INFO, logger="app.privacy.erasure")
    erase_account(person)

    assert _leftovers(person.id) == []
    assert _aggregates(campaign, run, territory) == before
    assert db.session.scalar(
        select(func.count()).where(Delivery.campaign_id == campaign.id, Delivery.user_id.is_(None))
    ) == 3
    # Their shop stays, without them; the invitation they sent stays, the one to them goes.
    assert db.session.get(Actor, shop.id) is not None
    assert db.session.scalar(select(func.count()).where(Membership.actor_id == shop.id)) == 0
    invitations = db.session.scalars(select(Invitation)).all()
    assert [(i.email, i.invited_by_id) for i in invitations] == [("friend@example.org", None)]
    # The others keep everything; the archive file is gone.
    assert db.session.scalar(select(func.count()).select_from(User)) == 12
    assert db.session.scalar(select(func.count()).where(InboxItem.user_id.is_not(None))) == 12
    assert not archive.exists()
    # The old session cookie is refused.
    response = client.get("/me")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    # One INFO line, with the id only.
    lines = [r for r in caplog.records if r.name == "app.privacy.erasure"]
    assert len(lines) == 1 and lines[0].levelno == logging.INFO
    assert lines[0].user_id == person.id  # type: ignore[attr-defined]
    assert EMAIL not in lines[0].getMessage() and NAME not in lines[0].getMessage()


def test_erasing_leaves_other_people_and_territories_alone(app):
    here = make_territory(hosts=("localhost",))
    there = make_territory("b", "Montgenèvre", hosts=("b.localhost",))
    person = make_user(here, email="same@example.org")
    namesake = make_user(there, email="same@example.org")
    actor_there = make_actor(there, "Ski school")
    db.session.add(Invitation(actor_id=actor_there.id, email="same@example.org", token_hash="d" * 64,
                              expires_at=utcnow() + timedelta(days=7)))
    neighbour = make_user(here)
    db.session.add_all([LiveCell(user_id=u.id, territory_id=u.territory_id, cell=LIVE_CELL, seen_at=utcnow())
                        for u in (person, namesake, neighbour)])
    db.session.commit()

    erase_account(person)

    assert db.session.get(User, person.id) is None
    assert {u.id for u in db.session.scalars(select(User))} == {namesake.id, neighbour.id}
    assert db.session.scalar(select(func.count()).select_from(LiveCell)) == 2
    # The same address in another territory is another account: its invitation stays.
    assert db.session.scalar(select(func.count()).select_from(Invitation)) == 1


def _raw_traces(markers: list[str]) -> list[str]:
    """The markers found in the raw bytes of the SQLite database file and of its write-ahead
    log and journal, where old copies of deleted pages would still be."""
    engine = db.engine
    assert engine is not None and engine.url.database
    database = Path(engine.url.database)
    found = []
    for path in (database, Path(f"{database}-wal"), Path(f"{database}-journal")):
        if not path.exists():
            continue
        raw = path.read_bytes()
        found += [f"{path.name}: {marker}" for marker in markers if marker.encode() in raw]
    return found


@pytest.mark.skipif(os.environ.get("TEST_DATABASE_URL", "").startswith("postgresql"),
                    reason="the files of a SQLite database")
def test_deleting_ones_account_leaves_no_bytes_of_it_in_the_database_files(app, client):
    """SQLite keeps deleted rows in free space and old page images in the write-ahead log: the
    erasure overwrites them (secure_delete) and empties the log (a TRUNCATE checkpoint)."""
    with db.engine.connect() as connection:  # type: ignore[union-attr]
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        # Whatever the SQLite build's default (Debian's is on, others' off).
        assert connection.exec_driver_sql("PRAGMA secure_delete").scalar() == 1
    territory = make_territory(hosts=("localhost",), **NEGLIGIBLE_NOISE)
    bakery = make_actor(territory, "Bakery Martin")
    make_citizens(territory, bakery, 12, email=True)
    person, _shop = _seed_person(territory, bakery)
    delivery_runs.start_run(make_campaign(bakery, channels=("email", "inbox")), utcnow())
    markers = [EMAIL, NAME, PHONE, PENDING_PHONE, ENDPOINT]
    assert _raw_traces(markers)  # the scan does see the person before
    login_as(client, person)

    response = post_form(client, "/me/privacy/delete", {"password": PASSWORD, "confirm": "y"})

    assert response.status_code == 303
    assert db.session.scalar(select(func.count()).where(User.email == EMAIL)) == 0
    assert _raw_traces(markers) == []


@pytest.mark.skipif(os.environ.get("TEST_DATABASE_URL", "").startswith("postgresql"),
                    reason="the files of a SQLite database")
def test_an_account_erased_by_the_retention_task_leaves_no_bytes_in_the_database_files(app):
    territory = make_territory()
    long_ago = utcnow() - timedelta(days=800)
    make_user(territory, email=EMAIL, display_name=NAME, created_at=long_ago,
              last_seen_at=long_ago, inactivity_warned_at=utcnow() - timedelta(days=40))
    assert _raw_traces([EMAIL, NAME])

    assert enforce_retention.call_local()["accounts_erased"] == 1

    assert _raw_traces([EMAIL, NAME]) == []

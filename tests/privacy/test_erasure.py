"""Erasing an account leaves nothing of the person in any table, and campaign statistics as they were."""

from __future__ import annotations

import hashlib
import logging
from datetime import timedelta

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
from app.welcome.models import WelcomeSent
from tests.delivery.conftest import make_campaign, make_citizens
from tests.factories import (
    NEGLIGIBLE_NOISE,
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

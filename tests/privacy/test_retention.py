"""Retention: inactive accounts are warned then erased, old deliveries lose their person, and
used tokens, ended sessions and expired codes go. ``now`` is frozen through the services."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from app.accounts.models import AccountToken, AuthSession, User
from app.actors.models import Actor, Invitation
from app.campaigns.models import Delivery
from app.campaigns.stats import channel_figures
from app.extensions import db
from app.models_common import utcnow
from app.notifications.models import NotificationSettings
from app.places.models import LiveCell
from app.privacy import retention
from app.privacy.retention import (
    erase_inactive_accounts,
    months_before,
    run_retention,
    warn_inactive_accounts,
)
from app.privacy.tasks import enforce_retention
from tests.accounts.conftest import log_in
from tests.factories import (
    PASSWORD,
    make_actor,
    make_campaign,
    make_delivery,
    make_member,
    make_run,
    make_territory,
    make_user,
)

# The end of a month, late in the evening: month lengths and time zones cannot shift the rules.
NOW = datetime(2030, 3, 31, 22, 30, tzinfo=UTC)


@pytest.fixture
def territory(app):  # type: ignore[no-untyped-def]
    app.config["PREFERRED_URL_SCHEME"] = "https"
    return make_territory(hosts=("ville.example", "localhost"), enabled_languages_csv="fr,nl,en")


def person_last_seen(territory, last_seen: datetime, **fields):  # type: ignore[no-untyped-def]
    return make_user(territory, created_at=last_seen - timedelta(days=400), last_seen_at=last_seen, **fields)


def inactive_for_23_months(territory, now: datetime = NOW, **fields):  # type: ignore[no-untyped-def]
    return person_last_seen(territory, months_before(now, 23) - timedelta(days=1), **fields)


def mails_to(outbox, email: str) -> list:  # type: ignore[type-arg]
    return [m for m in outbox if m["To"] == email]


def text_of(message) -> str:  # type: ignore[no-untyped-def]
    return message.get_body(preferencelist=("plain",)).get_content()


def test_months_before_keeps_the_day_or_takes_the_month_end():
    assert months_before(NOW, 23) == datetime(2028, 4, 30, 22, 30, tzinfo=UTC)
    assert months_before(NOW, 24) == datetime(2028, 3, 31, 22, 30, tzinfo=UTC)
    assert months_before(datetime(2030, 1, 15, tzinfo=UTC), 1) == datetime(2029, 12, 15, tzinfo=UTC)


def test_a_person_unused_for_23_months_is_warned_once_in_their_language(territory, outbox):
    dutch = inactive_for_23_months(territory, email="anke@example.org", display_name="Anke", language="nl")
    german = inactive_for_23_months(territory, email="jonas@example.org", language="de")  # not offered here
    never_seen = make_user(territory, email="new@example.org", created_at=months_before(NOW, 23) - timedelta(days=3))
    active = person_last_seen(territory, months_before(NOW, 22), email="active@example.org")

    assert warn_inactive_accounts(NOW) == 3

    [mail] = mails_to(outbox, dutch.email)
    assert "Beste Anke," in text_of(mail)  # Dutch
    assert "https://ville.example/login" in text_of(mail)
    assert 'lang="nl"' in mail.get_body(preferencelist=("html",)).get_content()
    assert "Bonjour" in text_of(mails_to(outbox, german.email)[0])  # the town's language
    assert len(mails_to(outbox, never_seen.email)) == 1
    assert mails_to(outbox, active.email) == []
    db.session.expire_all()
    assert dutch.inactivity_warned_at == NOW and active.inactivity_warned_at is None

    # Once: neither the next run nor the ones before the deadline send it again.
    assert warn_inactive_accounts(NOW + timedelta(hours=1)) == 0
    assert warn_inactive_accounts(NOW + timedelta(days=20)) == 0
    assert len(outbox) == 3


def test_an_inactive_account_is_erased_at_24_months_only_after_the_warning(territory, outbox):
    person = inactive_for_23_months(territory, email="anke@example.org")
    # Unused for 30 months but never warned (the warning task came later): warned first.
    forgotten = person_last_seen(territory, months_before(NOW, 30), email="old@example.org")

    assert run_retention(NOW)["accounts_erased"] == 0
    assert len(outbox) == 2

    # 20 days later: the person is not yet unused for 24 months, the other warned too recently.
    assert erase_inactive_accounts(NOW + timedelta(days=20)) == 0
    # 40 days later: 24 months and more, warned over 30 days ago: both go.
    counts = run_retention(NOW + timedelta(days=40))
    assert counts["accounts_erased"] == 2 and counts["accounts_warned"] == 0
    assert db.session.get(User, person.id) is None and db.session.get(User, forgotten.id) is None
    assert len(outbox) == 2


def test_admins_and_actor_owners_are_warned_and_erased_alike_and_their_actor_stays(territory, outbox):
    admin = inactive_for_23_months(territory, email="mayor@example.org", is_admin=True)
    owner = inactive_for_23_months(territory, email="baker@example.org")
    shop = make_actor(territory, "Bakery Martin", created_by_id=owner.id)
    make_member(owner, shop, "owner")

    assert warn_inactive_accounts(NOW) == 2
    assert erase_inactive_accounts(NOW + timedelta(days=40)) == 2

    assert db.session.scalar(select(func.count()).select_from(User)) == 0
    assert db.session.get(Actor, shop.id).name == "Bakery Martin"
    assert {m["To"] for m in outbox} == {admin.email, owner.email}


def test_logging_in_clears_the_warning_and_keeps_the_account(client, territory, outbox):
    now = utcnow()  # the log-in below happens now
    person = inactive_for_23_months(territory, now, email="anke@example.org")
    assert warn_inactive_accounts(now) == 1

    assert log_in(client, "anke@example.org", PASSWORD).status_code == 303

    db.session.expire_all()
    assert person.inactivity_warned_at is None
    assert person.last_seen_at >= now
    assert erase_inactive_accounts(now + timedelta(days=40)) == 0
    assert db.session.get(User, person.id) is not None
    assert warn_inactive_accounts(now + timedelta(days=40)) == 0
    assert len(outbox) == 1


def test_deliveries_older_than_90_days_lose_their_person_and_statistics_stay(territory):
    actor = make_actor(territory, "Bakery Martin")
    campaign = make_campaign(actor)
    people = [person_last_seen(territory, NOW) for _ in range(12)]
    old_run = make_run(campaign, scheduled_for=NOW - timedelta(days=91))
    new_run = make_run(campaign, scheduled_for=NOW - timedelta(days=89))
    for index, person in enumerate(people):
        opened = {"opened_at": NOW - timedelta(days=88)} if index % 2 else {}
        for run, age in ((old_run, 91), (new_run, 89)):
            when = NOW - timedelta(days=age)
            make_delivery(run, person, "email", created_at=when, sent_at=when, **opened)
    before = channel_figures(campaign, territory)

    assert retention.unlink_old_deliveries(NOW, batch=5) == 12  # in batches of 5: 5, 5, 2

    rows = db.session.execute(select(Delivery.run_id, Delivery.user_id)).all()
    assert {user_id for run_id, user_id in rows if run_id == old_run.id} == {None}
    assert {user_id for run_id, user_id in rows if run_id == new_run.id} == {p.id for p in people}
    assert channel_figures(campaign, territory) == before
    assert retention.unlink_old_deliveries(NOW) == 0


def _session(user: User, created: datetime, last_seen: datetime, revoked: datetime | None = None) -> AuthSession:
    token = hashlib.sha256(f"{user.id}{created}{last_seen}{revoked}".encode()).hexdigest()
    auth = AuthSession(token_hash=token, user_id=user.id, territory_id=user.territory_id,
                       created_at=created, last_seen_at=last_seen, revoked_at=revoked)
    db.session.add(auth)
    return auth


def _token(user: User, expires: datetime, used: datetime | None = None) -> AccountToken:
    token = AccountToken(user_id=user.id, purpose="verify_email", created_at=expires - timedelta(hours=48),
                         token_hash=hashlib.sha256(f"{expires}{used}".encode()).hexdigest(),
                         expires_at=expires, used_at=used)
    db.session.add(token)
    return token


def test_used_or_expired_tokens_ended_sessions_and_expired_codes_are_purged(territory):
    person = person_last_seen(territory, NOW)
    valid = _token(person, NOW + timedelta(hours=1))
    _token(person, NOW - timedelta(minutes=1))  # expired
    _token(person, NOW + timedelta(hours=2), used=NOW - timedelta(hours=1))
    active = _session(person, NOW - timedelta(days=30), NOW - timedelta(days=1))
    _session(person, NOW - timedelta(days=2), NOW - timedelta(days=1), revoked=NOW - timedelta(hours=1))
    _session(person, NOW - timedelta(days=20), NOW - timedelta(days=15))  # idle too long
    _session(person, NOW - timedelta(days=61), NOW - timedelta(hours=1))  # too old
    db.session.add(NotificationSettings(user_id=person.id, phone="+33611111111", pending_phone="+33622222222",
                                        phone_code_hash="c" * 64, phone_code_expires_at=NOW - timedelta(minutes=1)))
    db.session.add(LiveCell(user_id=person.id, territory_id=territory.id, cell=1, seen_at=NOW - timedelta(minutes=61)))
    actor = make_actor(territory)
    for index, (accepted, expires) in enumerate(
        [(None, NOW + timedelta(days=3)), (NOW - timedelta(days=31), NOW), (None, NOW - timedelta(days=31)),
         (None, NOW - timedelta(days=2))]
    ):
        db.session.add(Invitation(actor_id=actor.id, email=f"guest{index}@example.org", token_hash=str(index) * 64,
                                  accepted_at=accepted, expires_at=expires))
    db.session.commit()

    counts = run_retention(NOW)

    assert counts == {
        "accounts_warned": 0, "accounts_erased": 0, "deliveries_unlinked": 0, "account_tokens": 2,
        "auth_sessions": 3, "sms_codes": 1, "invitations": 2, "data_exports": 0, "live_cells": 1,
    }
    assert db.session.scalars(select(AccountToken.id)).all() == [valid.id]
    assert db.session.scalars(select(AuthSession.id)).all() == [active.id]
    settings = db.session.execute(
        select(NotificationSettings.phone, NotificationSettings.pending_phone, NotificationSettings.phone_code_hash)
    ).one()
    assert tuple(settings) == ("+33611111111", None, None)  # the confirmed number stays
    assert sorted(db.session.scalars(select(Invitation.email))) == ["guest0@example.org", "guest3@example.org"]
    assert run_retention(NOW) == dict.fromkeys(counts, 0)


def test_the_hourly_task_and_the_command_run_every_rule(app, territory, runner):
    person = make_user(territory)
    _token(person, utcnow() - timedelta(minutes=1))
    db.session.commit()

    counts = enforce_retention.call_local()
    assert counts["account_tokens"] == 1
    assert all(isinstance(n, int) for n in counts.values())

    result = runner.invoke(args=["privacy", "retention"])
    assert result.exit_code == 0, result.output
    assert "account_tokens: 0" in result.output and "accounts_erased: 0" in result.output

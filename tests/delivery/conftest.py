"""Fixtures of the delivery tests: a local push service, citizens with channels, campaigns."""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask

from app import sms as sms_module
from app.accounts.models import User
from app.actors.models import Actor, Follow
from app.campaigns.models import Campaign
from app.extensions import db
from app.models_common import utcnow
from app.notifications.models import NotificationSettings, PushSubscription
from app.territories.models import Territory
from tests.factories import JOINED_AT, NEGLIGIBLE_NOISE, make_actor, make_territory
from tests.support.push_service import PushService


@pytest.fixture
def push_service(app: Flask) -> Iterator[PushService]:
    with PushService() as service:
        app.config["PUSH_ALLOW_INSECURE_HOSTS"] = (service.netloc,)
        yield service


@pytest.fixture(autouse=True)
def _delivery_config(app: Flask) -> Iterator[None]:
    app.config.update(
        SMS_BACKEND="memory",
        DELIVERY_RETRY_BASE_SECONDS=0.2,
        DELIVERY_MAX_WAIT_SECONDS=5.0,
        PREFERRED_URL_SCHEME="https",
        # Quiet hours and the cap depend on the clock: tests that are not about them switch
        # them off through the people's settings (see make_citizens).
    )
    sms_module.sms_outbox.clear()
    yield


@pytest.fixture
def territory(app: Flask) -> Territory:
    # These tests are about sending: audiences are released with negligible noise.
    return make_territory(hosts=("ville.example", "localhost"), timezone="Europe/Paris", **NEGLIGIBLE_NOISE)


@pytest.fixture
def actor(territory: Territory) -> Actor:
    return make_actor(territory, "Bakery Martin")


def subscribe(user: User, subscription: dict[str, Any]) -> PushSubscription:
    row = PushSubscription(
        user_id=user.id,
        territory_id=user.territory_id,
        endpoint=subscription["endpoint"],
        endpoint_hash=hashlib.sha256(subscription["endpoint"].encode()).hexdigest(),
        p256dh=subscription["keys"]["p256dh"],
        auth=subscription["keys"]["auth"],
    )
    db.session.add(row)
    db.session.commit()
    return row


_people = itertools.count(1)


def make_person(territory: Territory, **fields: Any) -> User:
    """A verified person, quickly (one password hash for all: these tests never log in)."""
    fields.setdefault("created_at", JOINED_AT)
    user = User(
        territory_id=territory.id,
        email=f"citizen{next(_people)}@example.org",
        password_hash="$argon2id$not-a-real-hash",
        email_verified_at=utcnow(),
        **fields,
    )
    db.session.add(user)
    db.session.flush()
    return user


def make_citizens(
    territory: Territory,
    actor: Actor,
    count: int = 12,
    *,
    push_service: PushService | None = None,
    email: bool = False,
    sms: bool = False,
    quiet: tuple[str | None, str | None] = (None, None),
    daily_cap: int = 3,
    language: str | None = "en",
) -> list[User]:
    """``count`` people following ``actor`` (the followers rule needs no profile consent), with
    push (a real subscription to the local service), e-mail and SMS as asked; no quiet hours
    unless given."""
    people = []
    for index in range(count):
        user = make_person(territory, language=language)
        db.session.add(Follow(user_id=user.id, actor_id=actor.id))
        settings = NotificationSettings(
            user_id=user.id,
            push_enabled=push_service is not None,
            email_enabled=email,
            sms_enabled=sms,
            phone=f"+3361234{index:04d}" if sms else None,
            daily_cap=daily_cap,
            quiet_start=quiet[0],
            quiet_end=quiet[1],
        )
        db.session.add(settings)
        db.session.commit()
        if push_service is not None:
            subscribe(user, push_service.make_subscription())
        people.append(user)
    return people


def make_campaign(actor: Actor, channels: tuple[str, ...] = ("push", "inbox"), **fields: Any) -> Campaign:
    fields.setdefault("title", "Fresh bread at 7")
    fields.setdefault("body", "Come early, the croissants are warm.")
    campaign = Campaign(
        territory_id=actor.territory_id,
        actor_id=actor.id,
        criteria_json='{"match": "all", "rules": [{"kind": "followers"}]}',
        status="scheduled",
        **fields,
    )
    campaign.channels = list(channels)
    db.session.add(campaign)
    db.session.commit()
    return campaign

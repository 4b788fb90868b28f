"""Factories that build realistic objects directly in the database, for tests."""

from __future__ import annotations

import hashlib
import itertools
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

from flask.testing import FlaskClient

from app.accounts.models import AuthSession, User
from app.accounts.passwords import hash_password
from app.actors.models import Actor, Follow, Membership
from app.extensions import db
from app.models_common import utcnow
from app.publications.models import Publication
from app.territories.models import Hashtag, Neighbourhood, Territory, TerritoryHost

_seq = itertools.count(1)
PASSWORD = "correct horse battery staple"
# People made by the factories joined long ago (before any date a test sets its clock to): they
# are established (app.releases.engine) and count in released numbers, as a town's citizens do.
# A test about new accounts says so.
JOINED_AT = datetime(2025, 1, 1, tzinfo=UTC)


# Release settings of a territory whose tests are not about released counts (sending,
# scheduling...): noise far under one person (and a budget to match), so the floor decides on the
# count as the test sets it up. The release engine itself is tested with the production settings
# (tests/releases, the attacks).
NEGLIGIBLE_NOISE = {"release_epsilon": 1000.0, "release_daily_budget": 1e9}


def make_territory(slug: str = "laciotat", name: str = "La Ciotat", hosts: tuple[str, ...] = ("localhost",), **fields: Any) -> Territory:
    territory = Territory(slug=slug, name=name, center_lat=43.17, center_lon=5.60, **fields)
    territory.hosts = [TerritoryHost(hostname=h) for h in hosts]
    db.session.add(territory)
    db.session.commit()
    return territory


def make_hashtag(territory: Territory, tag: str) -> Hashtag:
    hashtag = Hashtag(territory_id=territory.id, tag=tag)
    db.session.add(hashtag)
    db.session.commit()
    return hashtag


def make_neighbourhood(territory: Territory, name: str = "Centre") -> Neighbourhood:
    hood = Neighbourhood(territory_id=territory.id, name=name, slug=name.lower().replace(" ", "-"))
    db.session.add(hood)
    db.session.commit()
    return hood


def make_user(territory: Territory, email: str | None = None, password: str = PASSWORD, verified: bool = True, **fields: Any) -> User:
    """A person who can log in with ``password``, hashed as the app hashes (the test apps'
    ``PASSWORD_HASH_PROFILE`` makes it cheap)."""
    fields.setdefault("created_at", JOINED_AT)
    user = User(
        territory_id=territory.id,
        email=email or f"person{next(_seq)}@example.org",
        password_hash=hash_password(password),
        email_verified_at=utcnow() if verified else None,
        **fields,
    )
    db.session.add(user)
    db.session.commit()
    return user


def make_actor(territory: Territory, name: str | None = None, kind: str = "merchant", status: str = "verified", **fields: Any) -> Actor:
    name = name or f"Actor {next(_seq)}"
    actor = Actor(territory_id=territory.id, name=name, slug=name.lower().replace(" ", "-"), kind=kind, status=status, **fields)
    db.session.add(actor)
    db.session.commit()
    return actor


def make_member(user: User, actor: Actor, role: str = "owner") -> Membership:
    membership = Membership(user_id=user.id, actor_id=actor.id, role=role)
    db.session.add(membership)
    db.session.commit()
    return membership


def make_follow(user: User, actor: Actor) -> Follow:
    follow = Follow(user_id=user.id, actor_id=actor.id)
    db.session.add(follow)
    db.session.commit()
    return follow


def make_publication(actor: Actor, title: str | None = None, kind: str = "news", status: str = "published", hashtags: list[Hashtag] | None = None, published_at: datetime | None = None, **fields: Any) -> Publication:
    now = utcnow()
    if kind == "event":
        fields.setdefault("starts_at", now + timedelta(days=2))
        fields.setdefault("ends_at", now + timedelta(days=2, hours=2))
    if kind == "offer":
        fields.setdefault("valid_from", now - timedelta(days=1))
        fields.setdefault("valid_until", now + timedelta(days=7))
    publication = Publication(
        territory_id=actor.territory_id,
        actor_id=actor.id,
        kind=kind,
        title=title or f"Publication {next(_seq)}",
        status=status,
        published_at=published_at or (now if status == "published" else None),
        **fields,
    )
    publication.hashtags = list(hashtags or [])
    db.session.add(publication)
    db.session.commit()
    return publication


def login_as(client: FlaskClient, user: User, acting_actor: Actor | None = None, base_url: str | None = None) -> None:
    """Log ``user`` in on ``client`` through a real server-side session, without the form
    (on ``base_url``'s host when given)."""
    token = secrets.token_urlsafe(32)
    auth = AuthSession(
        token_hash=hashlib.sha256(token.encode()).hexdigest(),
        user_id=user.id,
        territory_id=user.territory_id,
        acting_actor_id=acting_actor.id if acting_actor else None,
    )
    db.session.add(auth)
    db.session.commit()
    with client.session_transaction(**({"base_url": base_url} if base_url else {})) as session:
        session["_user_id"] = token
        session["_fresh"] = True


def make_campaign(actor: Actor, title: str = "Fresh bread at 7", body: str = "Come early.", **fields: Any) -> Any:
    """A campaign of ``actor`` (models only, no criteria check, nothing sent)."""
    from app.campaigns.models import Campaign

    fields.setdefault("status", "sent")
    campaign = Campaign(territory_id=actor.territory_id, actor_id=actor.id, title=title, body=body, **fields)
    db.session.add(campaign)
    db.session.commit()
    return campaign


def make_run(campaign: Any, scheduled_for: datetime | None = None, **fields: Any) -> Any:
    from app.campaigns.models import CampaignRun

    fields.setdefault("status", "sent")
    run = CampaignRun(
        campaign_id=campaign.id,
        territory_id=campaign.territory_id,
        scheduled_for=scheduled_for or utcnow(),
        **fields,
    )
    db.session.add(run)
    db.session.commit()
    return run


def make_delivery(run: Any, user: User, channel: str = "push", **fields: Any) -> Any:
    from app.campaigns.models import Delivery

    fields.setdefault("status", "sent")
    fields.setdefault("sent_at", utcnow())
    delivery = Delivery(
        run_id=run.id,
        campaign_id=run.campaign_id,
        territory_id=run.territory_id,
        user_id=user.id,
        channel=channel,
        **fields,
    )
    db.session.add(delivery)
    db.session.commit()
    return delivery


def make_citizen(territory: Territory, email: str | None = None, **fields: Any) -> User:
    """A verified person, quickly (no password hashing: log them in with ``login_as``)."""
    fields.setdefault("created_at", JOINED_AT)
    user = User(
        territory_id=territory.id,
        email=email or f"citizen{next(_seq)}@example.org",
        password_hash="$argon2id$not-a-real-hash",
        email_verified_at=utcnow(),
        **fields,
    )
    db.session.add(user)
    db.session.commit()
    return user


def make_push_subscription(user: User, endpoint: str, p256dh: str = "BAAA", auth: str = "AAAA") -> Any:
    """A browser's push subscription of ``user`` (keys from ``PushService.make_subscription``
    when the message must really be delivered)."""
    from app.notifications.models import PushSubscription

    row = PushSubscription(
        user_id=user.id,
        territory_id=user.territory_id,
        endpoint=endpoint,
        endpoint_hash=hashlib.sha256(endpoint.encode()).hexdigest(),
        p256dh=p256dh,
        auth=auth,
    )
    db.session.add(row)
    db.session.commit()
    return row


def make_kiosk(actor: Actor, label: str = "Office window") -> tuple[Any, str]:
    """A screen link of ``actor`` (a tourism office): the row and the raw token of its URL."""
    from app.kiosks.services import create_kiosk_token

    return create_kiosk_token(actor, label)

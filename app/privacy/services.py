"""The citizen's privacy centre: their consents, what the platform holds about them, and the
archive of all of it they can download.

Everything takes the person (who belongs to one territory) and reads only their own rows. The
archive is built by ``build_export`` in the background (app.privacy.tasks), section by section,
into ``INSTANCE_DIR/exports/`` under a random name; it can be downloaded for seven days."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import func, select

from app.accounts import consents
from app.accounts.consents import CONSENT_LABELS
from app.accounts.models import Consent, User
from app.actors.models import Actor, Follow, Membership
from app.campaigns.models import Campaign, Delivery
from app.delivery.models import InboxItem
from app.extensions import db
from app.notifications.models import Mute, NotificationSettings, PushSubscription
from app.places import live
from app.polls.models import PollRespondent
from app.publications.models import Publication
from app.syndication.models import CalendarFeedToken
from app.territories.models import POPULATION_LABELS, Hashtag, Neighbourhood, Territory
from app.territories.scoping import belongs

# --- consents --------------------------------------------------------------------------------


def withdrawable(consent: Consent) -> bool:
    """The terms end with the account itself; every other standing consent can be withdrawn."""
    return consent.withdrawn_at is None and consent.purpose != consents.TERMS


# --- what the platform holds -----------------------------------------------------------------


@dataclass
class Holdings:
    """Counts of what is kept about one person, for the "what we hold" section."""

    hashtags: int
    follows: int
    push_devices: int
    live_cell: bool
    inbox_items: int
    memberships: int
    mutes: int
    active_consents: int
    deliveries: int
    has_neighbourhood: bool
    has_population_type: bool
    has_residence_cell: bool
    has_phone: bool


def _count(query: Any) -> int:
    return int(db.session.scalar(query) or 0)


def holdings(user: User, now: datetime | None = None) -> Holdings:
    uid = user.id
    settings = db.session.get(NotificationSettings, uid)
    return Holdings(
        hashtags=len(user.hashtags),
        follows=_count(
            select(func.count())
            .select_from(Follow)
            .join(Actor, Actor.id == Follow.actor_id)
            .where(Follow.user_id == uid, belongs(Actor, user))
        ),
        push_devices=_count(
            select(func.count()).select_from(PushSubscription).where(PushSubscription.user_id == uid)
        ),
        live_cell=live.live_cell_of(user, now) is not None,
        inbox_items=_count(
            select(func.count()).select_from(InboxItem).where(InboxItem.user_id == uid)
        ),
        memberships=_count(
            select(func.count()).select_from(Membership).where(Membership.user_id == uid)
        ),
        mutes=_count(select(func.count()).select_from(Mute).where(Mute.user_id == uid)),
        active_consents=_count(
            select(func.count())
            .select_from(Consent)
            .where(Consent.user_id == uid, Consent.withdrawn_at.is_(None))
        ),
        deliveries=_count(
            select(func.count()).select_from(Delivery).where(Delivery.user_id == uid)
        ),
        has_neighbourhood=user.neighbourhood_id is not None,
        has_population_type=user.population_type is not None,
        has_residence_cell=user.residence_cell is not None,
        has_phone=bool(settings and settings.phone),
    )


# --- the archive: what goes in it --------------------------------------------------------------


def _when(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _cell(value: int | None) -> str | None:
    """An H3 cell as its usual hexadecimal name."""
    return format(value, "x") if value is not None else None


def _account(user: User, now: datetime) -> list[dict[str, Any]]:
    territory = db.session.get(Territory, user.territory_id)
    return [{
        "email": user.email,
        "display_name": user.display_name,
        "language": user.language,
        "territory": territory.name if territory else None,
        "email_verified_at": _when(user.email_verified_at),
        "created_at": _when(user.created_at),
        "onboarded_at": _when(user.onboarded_at),
        "last_seen_at": _when(user.last_seen_at),
    }]


def _profile(user: User, now: datetime) -> list[dict[str, Any]]:
    hood = db.session.get(Neighbourhood, user.neighbourhood_id) if user.neighbourhood_id else None
    population = POPULATION_LABELS.get(user.population_type or "")
    return [{
        "neighbourhood": hood.name if hood else None,
        "population_type": user.population_type,
        "population_type_label": str(population) if population else None,
        "residence_cell": _cell(user.residence_cell),
        "personalisation_consent": consents.has_profile_targeting_consent(user),
    }]


def _hashtags(user: User, now: datetime) -> list[dict[str, Any]]:
    return [{"hashtag": h.label} for h in sorted(user.hashtags, key=lambda h: h.tag)]


def _follows(user: User, now: datetime) -> list[dict[str, Any]]:
    rows = db.session.execute(
        select(Actor.name, Follow.created_at)
        .join(Follow, Follow.actor_id == Actor.id)
        .where(Follow.user_id == user.id, belongs(Actor, user))
        .order_by(Actor.name)
    )
    return [{"actor": name, "followed_since": _when(since)} for name, since in rows]


def _polls(user: User, now: datetime) -> list[dict[str, Any]]:
    """The polls the person answered: only that (what they answered is not tied to them: only
    the browser they answered from can show it, on the poll's page)."""
    rows = db.session.execute(
        select(Publication.title, Actor.name)
        .join(PollRespondent, PollRespondent.publication_id == Publication.id)
        .join(Actor, Actor.id == Publication.actor_id)
        .where(PollRespondent.user_id == user.id, belongs(Publication, user))
        .order_by(Publication.id)
    )
    return [{"poll": title, "by_actor": name} for title, name in rows]


def _consents(user: User, now: datetime) -> list[dict[str, Any]]:
    return [
        {
            "purpose": c.purpose,
            "purpose_label": str(CONSENT_LABELS.get(c.purpose, c.purpose)),
            "channel": c.channel,
            "detail": c.detail,
            "version": c.version,  # of the terms accepted (app.legal; 0: the default text)
            "granted_at": _when(c.granted_at),
            "withdrawn_at": _when(c.withdrawn_at),
        }
        for c in consents.consents_of(user)
    ]


def _inbox(user: User, now: datetime) -> list[dict[str, Any]]:
    rows = db.session.execute(
        select(InboxItem, Actor.name)
        .outerjoin(Actor, Actor.id == InboxItem.actor_id)
        .where(InboxItem.user_id == user.id)
        .order_by(InboxItem.created_at, InboxItem.id)
    )
    return [
        {
            "kind": item.kind,
            "from_actor": actor_name,
            "title": item.title,
            "body": item.body,
            "url": item.url,
            "is_alert": item.is_alert,
            "received_at": _when(item.created_at),
            "read_at": _when(item.read_at),
        }
        for item, actor_name in rows
    ]


def _deliveries(user: User, now: datetime) -> list[dict[str, Any]]:
    """Each message sent (or held back) to the person, the rows "what we hold" counts: which
    campaign of which actor, on which channel, what became of it and when."""
    rows = db.session.execute(
        select(Delivery, Campaign.title, Actor.name)
        .join(Campaign, Campaign.id == Delivery.campaign_id)
        .outerjoin(Actor, Actor.id == Campaign.actor_id)
        .where(Delivery.user_id == user.id, belongs(Delivery, user))
        .order_by(Delivery.created_at, Delivery.id)
    )
    return [
        {
            "campaign": title,
            "from_actor": actor_name,
            "channel": delivery.channel,
            "status": delivery.status,
            "reason": delivery.reason,
            "created_at": _when(delivery.created_at),
            "sent_at": _when(delivery.sent_at),
            "opened_at": _when(delivery.opened_at),
            "clicked_at": _when(delivery.clicked_at),
        }
        for delivery, title, actor_name in rows
    ]


def _memberships(user: User, now: datetime) -> list[dict[str, Any]]:
    rows = db.session.execute(
        select(Actor.name, Membership.role, Membership.created_at)
        .join(Membership, Membership.actor_id == Actor.id)
        .where(Membership.user_id == user.id)
        .order_by(Actor.name)
    )
    return [{"actor": name, "role": role, "since": _when(since)} for name, role, since in rows]


def _push_subscriptions(user: User, now: datetime) -> list[dict[str, Any]]:
    subscriptions = db.session.scalars(
        select(PushSubscription)
        .where(PushSubscription.user_id == user.id)
        .order_by(PushSubscription.created_at, PushSubscription.id)
    )
    result = []
    for sub in subscriptions:
        parts = urlsplit(sub.endpoint)
        result.append({
            "push_service": f"{parts.scheme}://{parts.netloc}",
            "endpoint": sub.endpoint,
            "created_at": _when(sub.created_at),
            "last_success_at": _when(sub.last_success_at),
        })
    return result


def _notification_settings(user: User, now: datetime) -> list[dict[str, Any]]:
    settings = db.session.get(NotificationSettings, user.id)
    if settings is None:
        return []
    return [{
        "push_enabled": settings.push_enabled,
        "email_enabled": settings.email_enabled,
        "sms_enabled": settings.sms_enabled,
        "phone": settings.phone,
        "daily_cap": settings.daily_cap,
        "quiet_start": settings.quiet_start,
        "quiet_end": settings.quiet_end,
        "updated_at": _when(settings.updated_at),
    }]


def _mutes(user: User, now: datetime) -> list[dict[str, Any]]:
    rows = db.session.execute(
        select(Mute.created_at, Actor.name, Hashtag.tag)
        .outerjoin(Actor, Actor.id == Mute.actor_id)
        .outerjoin(Hashtag, Hashtag.id == Mute.hashtag_id)
        .where(Mute.user_id == user.id)
        .order_by(Mute.created_at, Mute.id)
    )
    return [
        {"actor": actor, "hashtag": f"#{tag}" if tag else None, "since": _when(since)}
        for since, actor, tag in rows
    ]


def _live_location(user: User, now: datetime) -> list[dict[str, Any]]:
    cell = live.live_cell_of(user, now)
    if cell is None:
        return []
    return [{"cell": _cell(cell.cell), "seen_at": _when(cell.seen_at)}]


def _calendar_link(user: User, now: datetime) -> list[dict[str, Any]]:
    """Only that the person has a calendar link, and since when: the link itself is kept only
    as a hash (app.syndication) and could not be given back."""
    made = db.session.scalar(select(CalendarFeedToken.created_at).where(CalendarFeedToken.user_id == user.id))
    return [{"calendar_link_on": made is not None, "made_at": _when(made)}]


Collector = Callable[[User, datetime], list[dict[str, Any]]]
# (name, columns, collector, one record rather than a list): data.json holds every section under
# its name, and each section is also one CSV file whose header is ``columns``.
SECTIONS: tuple[tuple[str, tuple[str, ...], Collector, bool], ...] = (
    ("account", ("email", "display_name", "language", "territory", "email_verified_at",
                 "created_at", "onboarded_at", "last_seen_at"), _account, True),
    ("profile", ("neighbourhood", "population_type", "population_type_label", "residence_cell",
                 "personalisation_consent"), _profile, True),
    ("hashtags", ("hashtag",), _hashtags, False),
    ("follows", ("actor", "followed_since"), _follows, False),
    ("polls_answered", ("poll", "by_actor"), _polls, False),
    ("consents", ("purpose", "purpose_label", "channel", "detail", "version", "granted_at",
                  "withdrawn_at"),
     _consents, False),
    ("inbox", ("kind", "from_actor", "title", "body", "url", "is_alert", "received_at",
               "read_at"), _inbox, False),
    ("deliveries", ("campaign", "from_actor", "channel", "status", "reason", "created_at",
                    "sent_at", "opened_at", "clicked_at"), _deliveries, False),
    ("memberships", ("actor", "role", "since"), _memberships, False),
    ("push_subscriptions", ("push_service", "endpoint", "created_at", "last_success_at"),
     _push_subscriptions, False),
    ("notification_settings", ("push_enabled", "email_enabled", "sms_enabled", "phone",
                               "daily_cap", "quiet_start", "quiet_end", "updated_at"),
     _notification_settings, True),
    ("mutes", ("actor", "hashtag", "since"), _mutes, False),
    ("live_location", ("cell", "seen_at"), _live_location, True),
    ("calendar_link", ("calendar_link_on", "made_at"), _calendar_link, True),
)

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _csv_value(value: Any) -> Any:
    """Text an actor wrote (an inbox title...) must not run as a spreadsheet formula."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def to_csv(columns: Iterable[str], rows: list[dict[str, Any]]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(columns), lineterminator="\r\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({key: _csv_value(value) for key, value in row.items()})
    return buffer.getvalue()


def live_cell_lifetime_minutes() -> int:
    return int(live.LIVE_CELL_LIFETIME.total_seconds() // 60)


"""What a citizen chose about being notified: channels, quiet hours, daily cap, mutes, push
subscriptions, the SMS phone confirmation and the in-app inbox.

Every switch of a channel, on or off, records a consent (purpose "notifications", with the
channel), so the privacy centre shows when each was given and withdrawn.

Shared with the delivery engine: ``settings_of``; quiet hours are in ``quiet_hours``."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
import secrets
from collections.abc import Mapping
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from blinker import Namespace
from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import bindparam, delete, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from app.accounts import consents
from app.accounts.consents import NOTIFICATIONS
from app.accounts.models import User
from app.accounts.services import credentials_changed
from app.accounts.sessions import person_has
from app.actors.models import Actor
from app.extensions import db
from app.models_common import Kept, utcnow
from app.notifications.models import (
    DEFAULT_DAILY_CAP,
    DEFAULT_QUIET_END,
    DEFAULT_QUIET_START,
    MAX_DAILY_CAP,
    Mute,
    NotificationSettings,
    PushSubscription,
)
from app.sms import send_sms
from app.territories.models import Hashtag
from app.territories.scoping import belongs, same_territory
from app.webpush import endpoint_allowed

SWITCHABLE_CHANNELS = ("push", "email", "sms")

PHONE_CODE_LIFETIME = timedelta(minutes=10)
PHONE_CODE_ATTEMPTS = 5

_signals = Namespace()
# Sent once a person's quiet hours changed and were saved, with the person as sender: the
# messages held for the old quiet hours are planned again (app.delivery.tasks listens).
quiet_hours_changed = _signals.signal("quiet-hours-changed")


# --- settings --------------------------------------------------------------------------------


def settings_of(user: User | int) -> NotificationSettings:
    """The person's settings, created with the defaults on first use (in the caller's
    transaction: the caller commits). Safe when two requests create it at the same time."""
    user_id = user if isinstance(user, int) else user.id
    row = db.session.get(NotificationSettings, user_id)
    if row is not None:
        return row
    dialect = db.session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    db.session.execute(
        insert(NotificationSettings)
        .values(
            user_id=user_id,
            push_enabled=False,
            email_enabled=False,
            sms_enabled=False,
            phone_code_attempts=0,
            daily_cap=DEFAULT_DAILY_CAP,
            quiet_start=DEFAULT_QUIET_START,
            quiet_end=DEFAULT_QUIET_END,
            updated_at=utcnow(),
        )
        .on_conflict_do_nothing()
    )
    row = db.session.get(NotificationSettings, user_id)
    assert row is not None
    return row


# --- channels and consents -------------------------------------------------------------------


class ChannelError(Exception):
    """A channel cannot be switched on; ``message`` is translated for the person."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _record_consent(user: User, channel: str, on: bool, detail: str = "") -> None:
    if on:
        consents.grant_consent(user, NOTIFICATIONS, detail=detail, channel=channel)
        return
    consent = consents.active_consent(user, NOTIFICATIONS, channel=channel)
    if consent is not None:
        consents.withdraw_consent(user, consent.id)


def channel_enabled(settings: NotificationSettings, channel: str) -> bool:
    return bool(getattr(settings, f"{channel}_enabled", False)) or channel == "inbox"


def set_email(user: User, on: bool, detail: str = "settings") -> NotificationSettings:
    """Switch e-mail on (only with a verified address) or off. Switched on again, the
    unsubscribe links of the e-mails sent before stop working."""
    settings = settings_of(user)
    if on and not user.email_verified_at:
        raise ChannelError(
            _("Confirm your e-mail address first: we sent you a link when you registered.")
        )
    if on and not settings.email_enabled:
        settings.unsubscribe_links_revoked_at = utcnow()
    settings.email_enabled = on
    db.session.commit()
    _record_consent(user, "email", on, detail)
    return settings


def set_push(user: User, on: bool, detail: str = "settings") -> NotificationSettings:
    """Switch push on or off for the person; off also forgets every browser's subscription."""
    settings = settings_of(user)
    settings.push_enabled = on
    if not on:
        db.session.execute(delete(PushSubscription).where(PushSubscription.user_id == user.id))
    db.session.commit()
    _record_consent(user, "push", on, detail)
    return settings


def set_sms_off(user: User, detail: str = "settings") -> NotificationSettings:
    """Switch SMS off and forget the phone number (it is kept only to send to)."""
    settings = settings_of(user)
    settings.sms_enabled = False
    settings.phone = None
    settings.pending_phone = None
    settings.phone_code_hash = None
    settings.phone_code_expires_at = None
    settings.phone_code_attempts = 0
    db.session.commit()
    _record_consent(user, "sms", False, detail)
    return settings


def switch_off(user: User, channel: str, detail: str) -> None:
    """Switch one channel off (an unsubscribe link, a withdrawn consent)."""
    if channel == "email":
        set_email(user, False, detail)
    elif channel == "sms":
        set_sms_off(user, detail)
    elif channel == "push":
        set_push(user, False, detail)


@consents.consent_withdrawn.connect
def _channel_consent_withdrawn(user: User, consent: Any, **_extra: Any) -> None:
    """The person withdrew a notifications consent (privacy centre, profile): the channel goes
    off (the consent itself is already withdrawn)."""
    if consent.purpose != NOTIFICATIONS:
        return
    channel = consent.channel
    settings = settings_of(user)
    if channel == "email":
        settings.email_enabled = False
    elif channel == "sms":
        settings.sms_enabled = False
        settings.phone = None
    elif channel == "push":
        settings.push_enabled = False
        db.session.execute(delete(PushSubscription).where(PushSubscription.user_id == user.id))
    db.session.commit()


@credentials_changed.connect
def _revoke_unsubscribe_links(user: User, **_extra: Any) -> None:
    """A new e-mail address or password: the unsubscribe links sent before stop working."""
    db.session.execute(
        update(NotificationSettings)
        .where(NotificationSettings.user_id == user.id)
        .values(unsubscribe_links_revoked_at=utcnow())
    )
    db.session.commit()


@dataclass
class Limits:
    daily_cap: int
    quiet_start: str | None  # "HH:MM", None: no quiet hours
    quiet_end: str | None


def set_limits(user: User, limits: Limits) -> NotificationSettings:
    """Save the daily cap and quiet hours; changed quiet hours send ``quiet_hours_changed``."""
    settings = settings_of(user)
    quiet_before = (settings.quiet_start, settings.quiet_end)
    settings.daily_cap = max(0, min(MAX_DAILY_CAP, int(limits.daily_cap)))
    if limits.quiet_start and limits.quiet_end:
        settings.quiet_start, settings.quiet_end = limits.quiet_start, limits.quiet_end
    else:
        settings.quiet_start = settings.quiet_end = None
    db.session.commit()
    if (settings.quiet_start, settings.quiet_end) != quiet_before:
        quiet_hours_changed.send(user)
    return settings


# --- SMS: confirming a phone number by a code ------------------------------------------------


class PhoneError(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def normalise_phone(raw: str, country_code: str = "33") -> str:
    """E.164 from what a person types: "06 12 34 56 78" -> "+33612345678" (national numbers are
    French unless ``country_code`` says otherwise), "+32 470 12 34 56", "0032...". Raises
    PhoneError with a translated message."""
    value = re.sub(r"[\s.\-/()]", "", raw or "")
    if value.startswith("00"):
        value = "+" + value[2:]
    elif re.fullmatch(r"0[1-9]\d{8}", value):
        value = "+" + country_code + value[1:]
    if value.startswith(f"+{country_code}0"):  # "+33 (0)6 12..." written with the trunk zero
        value = f"+{country_code}" + value[len(country_code) + 2 :]
    if not re.fullmatch(r"\+[1-9]\d{7,14}", value):
        raise PhoneError(
            _("Enter a mobile phone number, such as 06 12 34 56 78 or +33 6 12 34 56 78.")
        )
    return value


def _code_hash(user_id: int, phone: str, code: str) -> str:
    key = str(current_app.config["SECRET_KEY"]).encode()
    return hmac.new(
        key, f"phone-code|{user_id}|{phone}|{code}".encode(), hashlib.sha256
    ).hexdigest()


def send_phone_code(user: User, raw_phone: str, now: datetime | None = None) -> str:
    """Send a 6-digit code to the number, valid 10 minutes and for 5 tries; returns the E.164
    number. Only a keyed hash of the code is kept."""
    phone = normalise_phone(raw_phone)
    now = now or utcnow()
    code = f"{secrets.randbelow(1_000_000):06d}"
    settings = settings_of(user)
    settings.pending_phone = phone
    settings.phone_code_hash = _code_hash(user.id, phone, code)
    settings.phone_code_expires_at = now + PHONE_CODE_LIFETIME
    settings.phone_code_attempts = 0
    db.session.commit()
    with force_locale(user.language) if user.language else nullcontext():
        text = _("Your confirmation code: %(code)s. It works for 10 minutes.", code=code)
    send_sms(phone, text)
    return phone


class CodeError(PhoneError):
    pass


def confirm_phone(user: User, code: str, now: datetime | None = None) -> NotificationSettings:
    """Check the code; right: the number is confirmed and SMS switched on. Raises CodeError
    (wrong, expired, too many tries, none asked)."""
    now = now or utcnow()
    settings = settings_of(user)
    if not settings.pending_phone or not settings.phone_code_hash:
        raise CodeError(_("Ask for a code first."))
    if settings.phone_code_expires_at is None or settings.phone_code_expires_at <= now:
        raise CodeError(_("This code has expired. Ask for a new one."))
    if settings.phone_code_attempts >= PHONE_CODE_ATTEMPTS:
        raise CodeError(_("Too many wrong codes. Ask for a new one."))
    # Counted before checking, in the database: parallel tries cannot exceed the limit.
    counted = db.session.execute(
        update(NotificationSettings)
        .where(
            NotificationSettings.user_id == user.id,
            NotificationSettings.phone_code_attempts < PHONE_CODE_ATTEMPTS,
        )
        .values(phone_code_attempts=NotificationSettings.phone_code_attempts + 1)
    )
    db.session.commit()
    if counted.rowcount != 1:  # type: ignore[attr-defined]
        raise CodeError(_("Too many wrong codes. Ask for a new one."))
    db.session.refresh(settings)
    typed = re.sub(r"\s", "", code or "")
    expected = settings.phone_code_hash or ""
    if not hmac.compare_digest(_code_hash(user.id, settings.pending_phone or "", typed), expected):
        left = PHONE_CODE_ATTEMPTS - settings.phone_code_attempts
        if left <= 0:
            raise CodeError(_("Too many wrong codes. Ask for a new one."))
        raise CodeError(_("This code is not the right one. Tries left: %(left)d.", left=left))
    settings.phone = settings.pending_phone
    settings.pending_phone = None
    settings.phone_code_hash = None
    settings.phone_code_expires_at = None
    settings.phone_code_attempts = 0
    settings.sms_enabled = True
    db.session.commit()
    _record_consent(user, "sms", True, "phone confirmed")
    return settings


# --- web push subscriptions ------------------------------------------------------------------


class SubscriptionError(Exception):
    """A malformed subscription; ``message`` is translated."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class SubscriptionData:
    endpoint: str
    p256dh: str  # base64url, no padding
    auth: str


ENDPOINT_MAX = 2048


def _b64url_bytes(value: Any) -> bytes | None:
    if not isinstance(value, str) or not re.fullmatch(r"[A-Za-z0-9_\-+/]+=*", value):
        return None
    text = value.rstrip("=").replace("+", "-").replace("/", "_")
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        return None


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _is_p256_point(raw: bytes) -> bool:
    from cryptography.hazmat.primitives.asymmetric import ec

    if len(raw) != 65 or raw[0] != 0x04:
        return False
    try:
        ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), raw)
    except ValueError:
        return False
    return True


def parse_subscription(data: Any) -> SubscriptionData:
    """Check a browser's PushSubscription JSON ({endpoint, keys: {p256dh, auth}}): an https
    endpoint on an allowed push service, a P-256 public key and a 16-byte secret."""
    if not isinstance(data, Mapping):
        raise SubscriptionError(_("This push subscription is malformed."))
    endpoint = data.get("endpoint")
    if not isinstance(endpoint, str) or not endpoint or len(endpoint) > ENDPOINT_MAX:
        raise SubscriptionError(_("This push subscription has no valid address."))
    try:
        parts = urlsplit(endpoint)
        host = parts.hostname or ""
        parts.port  # noqa: B018  (raises on a malformed port)
    except ValueError:
        raise SubscriptionError(_("This push subscription has no valid address.")) from None
    # A local push service at exactly "host:port" (tests only; never read from the environment).
    insecure = parts.scheme in ("http", "https") and parts.netloc.lower() in {
        h.lower() for h in current_app.config.get("PUSH_ALLOW_INSECURE_HOSTS", ())
    }
    if parts.scheme != "https" and not insecure:
        raise SubscriptionError(_("A push subscription address must start with https://."))
    if not host or parts.username or parts.password or any(ord(c) < 33 for c in endpoint):
        raise SubscriptionError(_("This push subscription has no valid address."))
    # The same rule as when sending (app.webpush.endpoint_allowed): an allowed host, on 443 only.
    if not insecure and not endpoint_allowed(
        endpoint, current_app.config.get("PUSH_ALLOWED_HOSTS", ())
    ):
        raise SubscriptionError(_("This browser's push service is not one we can send to."))
    keys = data.get("keys")
    if not isinstance(keys, Mapping):
        raise SubscriptionError(_("This push subscription has no encryption keys."))
    p256dh = _b64url_bytes(keys.get("p256dh"))
    if p256dh is None or not _is_p256_point(p256dh):
        raise SubscriptionError(_("This push subscription's public key is not valid."))
    auth = _b64url_bytes(keys.get("auth"))
    if auth is None or len(auth) != 16:
        raise SubscriptionError(_("This push subscription's secret is not valid."))
    return SubscriptionData(endpoint=endpoint, p256dh=_b64url(p256dh), auth=_b64url(auth))


def endpoint_hash(endpoint: str) -> str:
    return hashlib.sha256(endpoint.encode()).hexdigest()


def register_subscription(
    user: User, data: Any, replaces_endpoint: str | None = None
) -> PushSubscription:
    """Store (or update: same endpoint) a browser's subscription and switch push on. With
    ``replaces_endpoint`` (the service worker's pushsubscriptionchange) the person's old
    subscription is removed. Raises SubscriptionError, storing nothing."""
    parsed = parse_subscription(data)
    if replaces_endpoint and replaces_endpoint != parsed.endpoint:
        db.session.execute(
            delete(PushSubscription).where(
                PushSubscription.endpoint_hash == endpoint_hash(replaces_endpoint),
                PushSubscription.user_id == user.id,
            )
        )
    digest = endpoint_hash(parsed.endpoint)
    row = db.session.scalar(
        select(PushSubscription).where(PushSubscription.endpoint_hash == digest)
    )
    if row is None:
        row = PushSubscription(endpoint_hash=digest, endpoint=parsed.endpoint)
        db.session.add(row)
    # The same browser, now used by this person (in this territory), gets their messages.
    row.user_id = user.id
    row.territory_id = user.territory_id
    row.p256dh = parsed.p256dh
    row.auth = parsed.auth
    db.session.commit()
    settings = settings_of(user)
    if not settings.push_enabled:
        set_push(user, True, detail="browser subscribed")
    return row


def find_own_subscription(user: User, endpoint: str) -> PushSubscription | None:
    if not isinstance(endpoint, str) or not endpoint:
        return None
    return db.session.scalar(
        select(PushSubscription).where(
            PushSubscription.endpoint_hash == endpoint_hash(endpoint),
            PushSubscription.user_id == user.id,
        )
    )


def delete_subscription(user: User, endpoint: str) -> bool:
    """Forget one browser's subscription; with none left, push is off (and its consent withdrawn)."""
    row = find_own_subscription(user, endpoint)
    if row is None:
        return False
    db.session.delete(row)
    db.session.commit()
    if subscription_count(user) == 0:
        set_push(user, False, detail="browser unsubscribed")
    return True


def subscription_count(user: User) -> int:
    return int(
        db.session.scalar(
            select(func.count())
            .select_from(PushSubscription)
            .where(PushSubscription.user_id == user.id)
        )
        or 0
    )


# --- mutes -----------------------------------------------------------------------------------


def mute_actor(user: User, actor: Actor) -> None:
    if not same_territory(actor, user) or is_actor_muted(user, actor.id):
        return
    db.session.add(Mute(user_id=user.id, actor_id=actor.id))
    db.session.commit()


def unmute_actor(user: User, actor_id: int) -> None:
    db.session.execute(delete(Mute).where(Mute.user_id == user.id, Mute.actor_id == actor_id))
    db.session.commit()


_ACTOR_MUTED = select(Mute.id).where(
    Mute.user_id == bindparam("user_id"), Mute.actor_id == bindparam("value")
)


_MUTED_ACTORS = select(Mute.actor_id).where(
    Mute.user_id == bindparam("user_id"), Mute.actor_id.is_not(None)
)
# Which actors a person muted, kept per process between their requests where a person's own is
# (app.accounts.sessions.keeps_per_person), while nobody's mutes changed ("interests").
_muted = Kept(4096)


def is_actor_muted(user: User, actor_id: int) -> bool:
    return person_has(_muted, "interests", user.id, actor_id, _ACTOR_MUTED, _MUTED_ACTORS)


def mute_hashtag(user: User, hashtag: Hashtag) -> None:
    if not same_territory(hashtag, user):
        return
    exists = db.session.scalar(
        select(Mute.id).where(Mute.user_id == user.id, Mute.hashtag_id == hashtag.id)
    )
    if exists is None:
        db.session.add(Mute(user_id=user.id, hashtag_id=hashtag.id))
        db.session.commit()


def unmute_hashtag(user: User, hashtag_id: int) -> None:
    db.session.execute(delete(Mute).where(Mute.user_id == user.id, Mute.hashtag_id == hashtag_id))
    db.session.commit()


def muted_actors(user: User) -> list[Actor]:
    return list(
        db.session.scalars(
            select(Actor)
            .join(Mute, Mute.actor_id == Actor.id)
            .where(Mute.user_id == user.id, belongs(Actor, user))
            .order_by(Actor.name)
        )
    )


def muted_hashtags(user: User) -> list[Hashtag]:
    return list(
        db.session.scalars(
            select(Hashtag)
            .join(Mute, Mute.hashtag_id == Hashtag.id)
            .where(Mute.user_id == user.id, belongs(Hashtag, user))
            .order_by(Hashtag.tag)
        )
    )

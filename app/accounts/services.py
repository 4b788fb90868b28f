"""Accounts: registering, e-mail tokens, passwords, consents, onboarding and profile choices.

Everything here takes the territory explicitly (or a user, who belongs to one): accounts are per
territory, and nothing of one territory's people is reachable from another."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import timedelta

from flask import render_template, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError

from app.accounts.models import AccountToken, Consent, User
from app.accounts.passwords import hash_password, needs_rehash, verify_password
from app.accounts.sessions import revoke_all_sessions
from app.actors.models import Actor, ActorHashtag, Follow
from app.extensions import db
from app.mail import send_mail
from app.models_common import utcnow
from app.territories.models import POPULATION_TYPES, Hashtag, Neighbourhood, Territory

VERIFY_EMAIL = "verify_email"
RESET_PASSWORD = "reset_password"
TOKEN_LIFETIMES = {VERIFY_EMAIL: timedelta(hours=48), RESET_PASSWORD: timedelta(hours=1)}

TERMS = "terms"
PROFILE_TARGETING = "profile_targeting"
NOTIFICATIONS = "notifications"  # with a channel: push, email or sms


class EmailTaken(Exception):
    """An account with this e-mail already exists in this territory."""


class WrongPassword(Exception):
    """The password given to confirm a change is not the account's."""


class SameEmail(Exception):
    """The new e-mail address is the one the account already has."""


def normalise_email(email: str) -> str:
    return email.strip().lower()


def find_user(territory: Territory, email: str) -> User | None:
    return db.session.scalar(
        select(User).where(User.territory_id == territory.id, User.email == normalise_email(email))
    )


# --- registering and logging in -------------------------------------------------------------


def register_user(
    territory: Territory,
    email: str,
    password: str,
    display_name: str = "",
    language: str | None = None,
) -> User:
    """Create the account and record the consent to the terms. Raises ``EmailTaken``."""
    email = normalise_email(email)
    if find_user(territory, email) is not None:
        raise EmailTaken(email)
    user = User(
        territory_id=territory.id,
        email=email,
        password_hash=hash_password(password),
        display_name=display_name.strip(),
        language=language,
    )
    db.session.add(user)
    db.session.flush()
    db.session.add(Consent(user_id=user.id, purpose=TERMS))
    db.session.commit()
    return user


def authenticate(territory: Territory, email: str, password: str) -> User | None:
    """The user if the e-mail and password match in this territory; the same work is done
    whether the e-mail exists or not."""
    user = find_user(territory, email)
    if not verify_password(user.password_hash if user else None, password) or user is None:
        return None
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
        db.session.commit()
    return user


def check_password(user: User, password: str) -> bool:
    return verify_password(user.password_hash, password)


def set_password(  # type: ignore[no-untyped-def]
    user: User, password: str, keep_session=None, log_out_others: bool = True
) -> None:
    """Change the password and revoke every session but ``keep_session`` (none when resetting);
    with ``log_out_others`` false, the other sessions are left as they are."""
    user.password_hash = hash_password(password)
    db.session.commit()
    if log_out_others or keep_session is None:
        revoke_all_sessions(user, keep=keep_session)


def change_email(user: User, new_email: str, password: str) -> None:
    """Give the account a new address, to be confirmed, and tell the old address. The password
    is checked first: without it nothing is said about the new address. Raises
    ``WrongPassword``, ``SameEmail`` or ``EmailTaken``."""
    if not check_password(user, password):
        raise WrongPassword
    new_email = normalise_email(new_email)
    if new_email == user.email:
        raise SameEmail
    taken = db.session.scalar(
        select(User.id).where(User.territory_id == user.territory_id, User.email == new_email)
    )
    if taken is not None:
        raise EmailTaken(new_email)
    old_email = user.email
    user.email = new_email
    user.email_verified_at = None
    # Links already sent to the old address (reset, confirmation) stop working with it.
    db.session.execute(
        update(AccountToken)
        .where(AccountToken.user_id == user.id, AccountToken.used_at.is_(None))
        .values(used_at=utcnow())
    )
    try:
        db.session.commit()
    except IntegrityError as error:  # taken at the same moment by another account
        db.session.rollback()
        raise EmailTaken(new_email) from error
    send_verification_mail(user)
    with force_locale(user.language) if user.language else nullcontext():
        context = {"user": user, "link": url_for("accounts.login", _external=True)}
        send_mail(
            old_email,
            _("The e-mail address of your account was changed"),
            render_template("accounts/email/email_changed.txt", **context),
            html=render_template("accounts/email/email_changed.html", **context),
        )


def grant_platform_admin(territory_slug: str, email: str) -> User:
    """Make an existing account a platform administrator, and an administrator of its
    territory (``flask platform-admin``). Raises ``LookupError`` when either is unknown."""
    territory = db.session.scalar(select(Territory).where(Territory.slug == territory_slug))
    if territory is None:
        raise LookupError("no territory with this slug")
    user = find_user(territory, email)
    if user is None:
        raise LookupError("no account with this e-mail address in this territory")
    user.is_platform_admin = True
    user.is_admin = True
    db.session.commit()
    return user


# --- single-use tokens sent by e-mail --------------------------------------------------------


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(user: User, purpose: str) -> str:
    """A new token for ``purpose``; older unused ones of the same purpose stop working."""
    now = utcnow()
    db.session.execute(
        update(AccountToken)
        .where(
            AccountToken.user_id == user.id,
            AccountToken.purpose == purpose,
            AccountToken.used_at.is_(None),
        )
        .values(used_at=now)
    )
    token = secrets.token_urlsafe(32)
    db.session.add(
        AccountToken(
            user_id=user.id,
            purpose=purpose,
            token_hash=_hash(token),
            created_at=now,
            expires_at=now + TOKEN_LIFETIMES[purpose],
        )
    )
    db.session.commit()
    return token


def valid_token(territory: Territory, token: str, purpose: str) -> AccountToken | None:
    """The unused, unexpired token row of this territory, or None."""
    row = db.session.scalar(
        select(AccountToken)
        .join(User, User.id == AccountToken.user_id)
        .where(
            AccountToken.token_hash == _hash(token),
            AccountToken.purpose == purpose,
            User.territory_id == territory.id,
        )
    )
    if row is None or row.used_at is not None or row.expires_at <= utcnow():
        return None
    return row


def email_of(row: AccountToken) -> str:
    user = db.session.get(User, row.user_id)
    return user.email if user else ""


def use_token(territory: Territory, token: str, purpose: str) -> User | None:
    """Consume the token (once) and return its user, or None if invalid, used or expired."""
    row = valid_token(territory, token, purpose)
    if row is None:
        return None
    # Conditional update: two simultaneous uses cannot both succeed.
    used = db.session.execute(
        update(AccountToken)
        .where(AccountToken.id == row.id, AccountToken.used_at.is_(None))
        .values(used_at=utcnow())
    )
    db.session.commit()
    if used.rowcount != 1:  # type: ignore[attr-defined]
        return None
    return db.session.get(User, row.user_id)


def verify_email(territory: Territory, token: str) -> User | None:
    user = use_token(territory, token, VERIFY_EMAIL)
    if user is not None and user.email_verified_at is None:
        user.email_verified_at = utcnow()
        db.session.commit()
    return user


def reset_password(territory: Territory, token: str, password: str) -> User | None:
    """Set a new password with a reset token; every session of the person is revoked."""
    user = use_token(territory, token, RESET_PASSWORD)
    if user is None:
        return None
    if user.email_verified_at is None:  # the link reached the mailbox: the address is real
        user.email_verified_at = utcnow()
    set_password(user, password)
    return user


def _send_account_mail(user: User, template: str, subject: str, link: str) -> None:
    context = {"user": user, "link": link}
    send_mail(
        user.email,
        subject,
        render_template(f"accounts/email/{template}.txt", **context),
        html=render_template(f"accounts/email/{template}.html", **context),
    )


def send_verification_mail(user: User) -> None:
    token = issue_token(user, VERIFY_EMAIL)
    link = url_for("accounts.verify_email", token=token, _external=True)
    with force_locale(user.language) if user.language else nullcontext():
        _send_account_mail(user, "verify_email", _("Confirm your e-mail address"), link)


def request_password_reset(territory: Territory, email: str) -> None:
    """Send a reset link if the account exists; say nothing either way."""
    user = find_user(territory, email)
    if user is None:
        return
    token = issue_token(user, RESET_PASSWORD)
    link = url_for("accounts.reset_password", token=token, _external=True)
    with force_locale(user.language) if user.language else nullcontext():
        _send_account_mail(user, "reset_password", _("Reset your password"), link)


# --- consents --------------------------------------------------------------------------------


def active_consent(user: User, purpose: str, channel: str | None = None) -> Consent | None:
    """The person's standing consent for ``purpose`` (and ``channel``, when one is given)."""
    query = select(Consent).where(
        Consent.user_id == user.id, Consent.purpose == purpose, Consent.withdrawn_at.is_(None)
    )
    if channel is not None:
        query = query.where(Consent.channel == channel)
    return db.session.scalar(query.order_by(Consent.granted_at.desc()).limit(1))


def has_profile_targeting_consent(user: User) -> bool:
    """Whether hashtags, neighbourhood and population type may be used to personalise and target."""
    return active_consent(user, PROFILE_TARGETING) is not None


def grant_consent(
    user: User, purpose: str, detail: str = "", channel: str | None = None
) -> Consent:
    consent = active_consent(user, purpose, channel)
    if consent is None:
        consent = Consent(user_id=user.id, purpose=purpose, channel=channel, detail=detail)
        db.session.add(consent)
        db.session.commit()
    return consent


def consent_of(user: User, consent_id: int) -> Consent | None:
    """One of the person's own consents; anybody else's is not found."""
    consent = db.session.get(Consent, consent_id)
    return consent if consent is not None and consent.user_id == user.id else None


def withdraw_consent(user: User, consent_id: int) -> bool:
    """Withdraw one of the user's own consents (the record stays, with the date)."""
    consent = db.session.get(Consent, consent_id)
    if consent is None or consent.user_id != user.id or consent.withdrawn_at is not None:
        return False
    if consent.purpose == TERMS:  # the terms are withdrawn by deleting the account
        return False
    consent.withdrawn_at = utcnow()
    db.session.commit()
    if consent.purpose == NOTIFICATIONS:  # the channel the consent was for goes off with it
        from app.notifications.services import consent_withdrawn

        consent_withdrawn(user, consent.channel)
    return True


def consents_of(user: User) -> list[Consent]:
    return list(
        db.session.scalars(
            select(Consent)
            .where(Consent.user_id == user.id)
            .order_by(Consent.granted_at.desc(), Consent.id.desc())
        )
    )


# --- personalisation: hashtags, neighbourhood, population type, follows -----------------------


def hashtag_catalogue(territory: Territory) -> list[Hashtag]:
    return list(
        db.session.scalars(
            select(Hashtag)
            .where(Hashtag.territory_id == territory.id, Hashtag.active.is_(True))
            .order_by(Hashtag.tag)
        )
    )


def neighbourhoods(territory: Territory) -> list[Neighbourhood]:
    return list(
        db.session.scalars(
            select(Neighbourhood)
            .where(Neighbourhood.territory_id == territory.id)
            .order_by(Neighbourhood.name)
        )
    )


def set_hashtags(user: User, hashtag_ids: Iterable[int]) -> None:
    """Keep only ids of this territory's active catalogue."""
    ids = set(hashtag_ids)
    user.hashtags = [h for h in hashtag_catalogue(_territory_of(user)) if h.id in ids]
    db.session.commit()


def set_place(user: User, neighbourhood_id: int | None, population_type: str | None) -> None:
    hood = db.session.get(Neighbourhood, neighbourhood_id) if neighbourhood_id else None
    user.neighbourhood_id = (
        hood.id if hood is not None and hood.territory_id == user.territory_id else None
    )
    user.population_type = population_type if population_type in POPULATION_TYPES else None
    db.session.commit()


def has_personalisation(user: User) -> bool:
    return bool(user.hashtags or user.neighbourhood_id or user.population_type)


def _territory_of(user: User) -> Territory:
    territory = db.session.get(Territory, user.territory_id)
    assert territory is not None
    return territory


def _follower_counts():  # type: ignore[no-untyped-def]
    return (
        select(Follow.actor_id, func.count().label("followers"))
        .group_by(Follow.actor_id)
        .subquery()
    )


def suggested_actors(user: User, limit: int = 12) -> list[Actor]:
    """Verified actors sharing the person's hashtags (most followed first); else the most followed."""
    counts = _follower_counts()
    base = (
        select(Actor)
        .outerjoin(counts, counts.c.actor_id == Actor.id)
        .where(Actor.territory_id == user.territory_id, Actor.status == "verified")
        .order_by(func.coalesce(counts.c.followers, 0).desc(), Actor.name)
        .limit(limit)
    )
    tag_ids = [h.id for h in user.hashtags]
    if tag_ids:
        matching = list(
            db.session.scalars(
                base.where(
                    Actor.id.in_(
                        select(ActorHashtag.actor_id).where(ActorHashtag.hashtag_id.in_(tag_ids))
                    )
                )
            )
        )
        if matching:
            return matching
    return list(db.session.scalars(base))


def followed_actors(user: User) -> list[Actor]:
    return list(
        db.session.scalars(
            select(Actor)
            .join(Follow, Follow.actor_id == Actor.id)
            .where(Follow.user_id == user.id, Actor.territory_id == user.territory_id)
            .order_by(Actor.name)
        )
    )


def follow_actors(user: User, actor_ids: Iterable[int]) -> None:
    """Follow these (verified, same-territory) actors; already followed ones are left alone."""
    ids = set(actor_ids)
    if not ids:
        return
    allowed = set(
        db.session.scalars(
            select(Actor.id).where(
                Actor.id.in_(ids),
                Actor.territory_id == user.territory_id,
                Actor.status == "verified",
            )
        )
    )
    already = set(db.session.scalars(select(Follow.actor_id).where(Follow.user_id == user.id)))
    for actor_id in allowed - already:
        db.session.add(Follow(user_id=user.id, actor_id=actor_id))
    db.session.commit()


def unfollow_actor(user: User, actor_id: int) -> None:
    db.session.execute(delete(Follow).where(Follow.user_id == user.id, Follow.actor_id == actor_id))
    db.session.commit()


def set_language(user: User, language: str | None) -> None:
    user.language = language
    db.session.commit()


def finish_onboarding(user: User) -> None:
    if user.onboarded_at is None:
        user.onboarded_at = utcnow()
        db.session.commit()


@dataclass
class ProfileChoices:
    display_name: str
    language: str | None
    hashtag_ids: list[int]
    neighbourhood_id: int | None
    population_type: str | None
    personalise: bool


def update_profile(user: User, choices: ProfileChoices) -> None:
    user.display_name = choices.display_name.strip()
    territory = _territory_of(user)
    user.language = choices.language if choices.language in territory.enabled_languages else None
    db.session.commit()
    set_hashtags(user, choices.hashtag_ids)
    set_place(user, choices.neighbourhood_id, choices.population_type)
    consent = active_consent(user, PROFILE_TARGETING)
    if choices.personalise and consent is None:
        grant_consent(user, PROFILE_TARGETING, detail="profile")
    elif not choices.personalise and consent is not None:
        withdraw_consent(user, consent.id)

"""Accounts: registering, e-mail tokens, passwords, consents, onboarding and profile choices.

Everything here takes the territory explicitly (or a user, who belongs to one): accounts are per
territory, and nothing of one territory's people is reachable from another."""

from __future__ import annotations

import hashlib
import re
import secrets
from contextlib import nullcontext
from datetime import timedelta

from blinker import Namespace
from flask import current_app, render_template, request, url_for
from flask_babel import force_locale, get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from app.accounts.consents import TERMS
from app.accounts.models import AccountToken, Consent, User
from app.accounts.passwords import hash_password, needs_rehash, password_problems, verify_password
from app.accounts.sessions import revoke_all_sessions
from app.extensions import db
from app.i18n import SUPPORTED
from app.mail import send_mail
from app.models_common import utcnow
from app.territories.models import Territory, TerritoryHost
from app.territories.scoping import belongs, scoped, territory_id_of
from app.territories.services import (
    SLUG,
    TerritoryError,
    ensure_hashtags,
    hostnames_problem,
    languages_problem,
    parse_hostnames,
    timezone_problem,
)

VERIFY_EMAIL = "verify_email"
RESET_PASSWORD = "reset_password"
TOKEN_LIFETIMES = {VERIFY_EMAIL: timedelta(hours=48), RESET_PASSWORD: timedelta(hours=1)}



class EmailTaken(Exception):
    """Another account of this territory has this e-mail address (changing the address)."""


class WrongPassword(Exception):
    """The password given to confirm a change is not the account's."""


class SameEmail(Exception):
    """The new e-mail address is the one the account already has."""


def normalise_email(email: str) -> str:
    return email.strip().lower()


def find_user(territory: Territory | int, email: str) -> User | None:
    return db.session.scalar(
        scoped(User, territory, User.email == normalise_email(email))
    )


# --- registering and logging in -------------------------------------------------------------


def register_user(
    territory: Territory | int,
    email: str,
    password_hash: str,
    display_name: str = "",
    language: str | None = None,
    terms_version: int | None = None,
) -> tuple[User, bool]:
    """Create the account and record the consent to the terms (``terms_version``, the version
    the registration page linked to): ``(the account, True)``. When the
    address already has an account, nothing is created: ``(that account, False)``. The worker
    calls it (app.accounts.tasks), so the page that asked answers the same either way, as fast."""
    email = normalise_email(email)
    existing = find_user(territory, email)
    if existing is not None:
        return existing, False
    user = User(
        territory_id=territory_id_of(territory),
        email=email,
        password_hash=password_hash,
        display_name=display_name.strip(),
        language=language,
    )
    db.session.add(user)
    try:
        db.session.flush()
    except IntegrityError:  # registered at the same moment by another request
        db.session.rollback()
        existing = find_user(territory, email)
        if existing is None:
            raise
        return existing, False
    db.session.add(Consent(user_id=user.id, purpose=TERMS, version=terms_version))
    db.session.commit()
    return user, True


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


_signals = Namespace()
# Sent with the person as sender, after the commit, when their e-mail address or password
# changed: what stands on the old ones (the unsubscribe links of e-mails) stops working.
credentials_changed = _signals.signal("credentials-changed")


def set_password(  # type: ignore[no-untyped-def]
    user: User, password: str, keep_session=None, log_out_others: bool = True
) -> None:
    """Change the password and revoke every session but ``keep_session`` (none when resetting);
    with ``log_out_others`` false, the other sessions are left as they are."""
    user.password_hash = hash_password(password)
    db.session.commit()
    if log_out_others or keep_session is None:
        revoke_all_sessions(user, keep=keep_session)
    credentials_changed.send(user)


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
        select(User.id).where(belongs(User, user), User.email == new_email)
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
    credentials_changed.send(user)
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
            belongs(User, territory),
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


# --- account mails, sent by the worker (app.accounts.tasks) -------------------------------------


def mail_origin() -> tuple[str, str]:
    """What a mail sent later by the worker needs from the request that asked for it: the site
    its links point to, and the language to write in when the person has not chosen one."""
    return request.host_url, str(get_locale() or "fr")


def _external_url(base_url: str, endpoint: str, **values: object) -> str:
    scheme, _sep, netloc = base_url.rstrip("/").partition("://")
    adapter = current_app.url_map.bind(netloc, url_scheme=scheme)
    return adapter.build(endpoint, values, force_external=True)


def _send_account_mail(
    user: User, template: str, subject: LazyString, locale: str, **links: str
) -> None:
    """In the person's language, else the one of the request that asked (``locale``)."""
    with force_locale(user.language or locale):
        context = {"user": user, **links}
        send_mail(
            user.email,
            str(subject),
            render_template(f"accounts/email/{template}.txt", **context),
            html=render_template(f"accounts/email/{template}.html", **context),
        )


def send_verification_mail(user: User, base_url: str, locale: str) -> None:
    token = issue_token(user, VERIFY_EMAIL)
    link = _external_url(base_url, "accounts.verify_email", token=token)
    _send_account_mail(
        user, "verify_email", _l("Confirm your e-mail address"), locale, link=link
    )


def send_already_registered_mail(user: User, base_url: str, locale: str) -> None:
    """Someone tried to register with the address of an existing account: its owner hears of
    it, with the way in (log in, or choose a new password); the page said nothing."""
    _send_account_mail(
        user,
        "already_registered",
        _l("Someone tried to create an account with your address"),
        locale,
        login_link=_external_url(base_url, "accounts.login"),
        reset_link=_external_url(base_url, "accounts.forgot_password"),
    )


def send_password_reset_mail(territory_id: int, email: str, base_url: str, locale: str) -> bool:
    """Send a reset link if the account exists (the worker looks it up, so the request that
    asked does the same work either way); False when there is none."""
    user = find_user(territory_id, email)
    if user is None:
        return False
    token = issue_token(user, RESET_PASSWORD)
    link = _external_url(base_url, "accounts.reset_password", token=token)
    _send_account_mail(user, "reset_password", _l("Reset your password"), locale, link=link)
    return True


def create_territory_with_admin(
    slug: str,
    name: str,
    hosts: tuple[str, ...] | list[str],
    admin_email: str,
    admin_password: str,
    timezone: str = "Europe/Paris",
    language: str = "fr",
    lat: float = 0.0,
    lon: float = 0.0,
) -> Territory:
    """A new territory with its host names, the default hashtag catalogue and its first
    administrator (e-mail verified: the person running the command vouches for it)."""
    slug = (slug or "").strip().lower()
    if not SLUG.fullmatch(slug):
        raise TerritoryError(_("The slug must be 3 to 60 lower-case letters, digits or dashes."))
    if db.session.scalar(select(Territory).where(Territory.slug == slug)) is not None:
        raise TerritoryError(_("A territory with the slug %(slug)s already exists.", slug=slug))
    if not (name or "").strip():
        raise TerritoryError(_("Give the territory a name."))
    names = parse_hostnames(" ".join(hosts))
    problem = hostnames_problem(None, names) or timezone_problem(timezone)
    problem = problem or languages_problem(language, [language])
    email = (admin_email or "").strip().lower()
    if not problem and not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", email):
        problem = _("The admin e-mail address is not valid.")
    if not problem:
        problems = password_problems(admin_password or "", email)
        problem = problems[0] if problems else None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        problem = problem or _("The centre must be a latitude and a longitude in degrees.")
    if problem:
        raise TerritoryError(problem)
    territory = Territory(
        slug=slug,
        name=name.strip(),
        timezone=timezone,
        default_language=language,
        enabled_languages_csv=",".join(SUPPORTED),
        center_lat=lat,
        center_lon=lon,
    )
    territory.hosts = [TerritoryHost(hostname=host) for host in names]
    db.session.add(territory)
    db.session.flush()
    ensure_hashtags(territory)
    db.session.add(
        User(
            territory_id=territory.id,
            email=email,
            password_hash=hash_password(admin_password),
            display_name=_("Administrator"),
            is_admin=True,
            email_verified_at=utcnow(),
            onboarded_at=utcnow(),
        )
    )
    db.session.commit()
    return territory


def set_language(user: User, language: str | None) -> None:
    user.language = language
    db.session.commit()

"""Account mails, sent by the worker: the request that asks for one only queues it, so that it
takes as long whether or not an account exists for the address (nothing to time)."""

from __future__ import annotations

from app.accounts import services
from app.accounts.models import User
from app.extensions import db
from app.queue import app_context, huey

VERIFY = "verify"
ALREADY_REGISTERED = "already_registered"


@huey.task(retries=2, retry_delay=5)
def register_account(
    territory_id: int,
    email: str,
    password_hash: str,
    display_name: str,
    language: str | None,
    base_url: str,
    locale: str,
    terms_version: int | None = None,
) -> bool:
    """Create the account asked for on the registration page and queue its confirmation link;
    when the address already has an account, create nothing and tell its owner. The page only
    hashed the password and queued this: it did the same work whoever the address belongs to.
    Returns whether an account was created."""
    with app_context():
        user, created = services.register_user(
            territory_id, email, password_hash, display_name=display_name, language=language,
            terms_version=terms_version,
        )
        send_account_mail(user.id, VERIFY if created else ALREADY_REGISTERED, base_url, locale)
        return created


@huey.task(retries=2, retry_delay=5)
def send_account_mail(user_id: int, kind: str, base_url: str, locale: str) -> bool:
    """The confirmation link of a new account (or a new address), or, to the owner of an
    address someone tried to register again, the way to log in or choose a new password."""
    with app_context():
        user = db.session.get(User, user_id)
        if user is None:  # erased since
            return False
        if kind == VERIFY:
            services.send_verification_mail(user, base_url, locale)
        else:
            services.send_already_registered_mail(user, base_url, locale)
        return True


@huey.task(retries=2, retry_delay=5)
def send_password_reset(territory_id: int, email: str, base_url: str, locale: str) -> bool:
    """A reset link if the address has an account in the territory (looked up here)."""
    with app_context():
        return services.send_password_reset_mail(territory_id, email, base_url, locale)

"""Retention, enforced by periodic tasks: nothing is kept longer than it is needed.

- An account unused for 23 months (last seen, else created) gets one warning mail, in the person's
  language: it will be deleted in a month unless they log in. Unused for 24 months and warned at
  least 30 days ago, it is erased (app.privacy.erasure); territory admins and actor owners alike,
  their actors stay. Logging in clears the warning (app.accounts.sessions).
- Deliveries older than 90 days lose their link to the person (``user_id`` NULL): campaign
  statistics only count rows, so they do not change.
- Used or expired account tokens, revoked or expired sessions, expired SMS codes, invitations
  answered or expired a month ago, expired data exports and live cells older than an hour go.

Each step is a service taking ``now`` and working in batches, so that a big territory does not
hold the worker for long: what is left is done by the next run. ``run_retention`` does them all;
the hourly task and ``flask privacy retention`` call it.
"""

from __future__ import annotations

import calendar
import logging
import smtplib
from datetime import datetime, timedelta

from flask import current_app, render_template
from flask_babel import gettext as _
from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.exc import SQLAlchemyError

from app.accounts.models import AccountToken, AuthSession, User
from app.actors.models import Invitation
from app.campaigns.models import RECIPIENT_LINK_LIFETIME, Delivery
from app.delivery.links import absolute_url, language, territory_base_url
from app.extensions import db
from app.mail import send_mail
from app.models_common import utcnow
from app.notifications.models import NotificationSettings
from app.places.live import purge_expired_live_cells
from app.privacy.erasure import erase_account
from app.privacy.exports import purge_expired_exports
from app.territories.models import Territory

log = logging.getLogger(__name__)

WARN_AFTER_MONTHS = 23
ERASE_AFTER_MONTHS = 24
# The least time between the warning and the erasure (the mail says "in a month").
WARNING_NOTICE = timedelta(days=30)
ACCOUNT_BATCH = 500

DELIVERY_BATCH = 5000
DELIVERY_BATCHES_PER_RUN = 20

INVITATION_KEPT_AFTER_END = timedelta(days=30)

# The longest session timeouts (ordinary people's; admins' are shorter), should the settings be
# missing: a session past them is refused whoever it belongs to (app.accounts.sessions).
DEFAULT_SESSION_IDLE_MINUTES = 14 * 24 * 60
DEFAULT_SESSION_ABSOLUTE_DAYS = 60


def months_before(moment: datetime, months: int) -> datetime:
    """The same day and time ``months`` calendar months earlier (the month's last day if shorter)."""
    index = moment.year * 12 + moment.month - 1 - months
    year, month = divmod(index, 12)
    day = min(moment.day, calendar.monthrange(year, month + 1)[1])
    return moment.replace(year=year, month=month + 1, day=day)


def _last_activity():  # type: ignore[no-untyped-def]
    return func.coalesce(User.last_seen_at, User.created_at)


# --- inactive accounts ---------------------------------------------------------------------------


def warn_inactive_accounts(now: datetime, limit: int = ACCOUNT_BATCH) -> int:
    """Send the warning to people unused for 23 months and not warned since their last activity;
    returns how many were warned. A mail server that is down stops the batch (the next run tries
    again); an address it refuses counts as warned, or the account would never go."""
    activity = _last_activity()
    people = db.session.scalars(
        select(User)
        .where(
            activity < months_before(now, WARN_AFTER_MONTHS),
            or_(User.inactivity_warned_at.is_(None), User.inactivity_warned_at < activity),
        )
        .order_by(User.id)
        .limit(limit)
    ).all()
    territories = {
        t.id: t
        for t in db.session.scalars(
            select(Territory).where(Territory.id.in_({p.territory_id for p in people}))
        )
    }
    warned = 0
    for person in people:
        try:
            _send_warning(person, territories[person.territory_id])
        except smtplib.SMTPRecipientsRefused:
            log.warning("inactivity warning refused by the mail server", extra={"user_id": person.id})
        except (smtplib.SMTPException, OSError):
            log.warning("inactivity warnings stopped: mail server unavailable", extra={"warned": warned})
            break
        person.inactivity_warned_at = now
        db.session.commit()  # one at a time: a crash mid-batch never warns anybody twice
        warned += 1
    return warned


def _send_warning(person: User, territory: Territory) -> None:
    code = person.language if person.language in territory.enabled_languages else None
    code = code or territory.default_language
    context = {
        "user": person,
        "lang": code,
        "territory_name": territory.name,
        "login_url": absolute_url(territory_base_url(territory.id), "accounts.login"),
    }
    with language(code):
        subject = _("Your %(territory)s account will be deleted in a month", territory=territory.name)
        text = render_template("privacy/email/inactivity_warning.txt", **context)
        html = render_template("privacy/email/inactivity_warning.html", **context)
    send_mail(person.email, subject, text, html=html)


def erase_inactive_accounts(now: datetime, limit: int = ACCOUNT_BATCH) -> int:
    """Erase the accounts unused for 24 months whose warning went out at least 30 days ago (and
    after their last activity); returns how many."""
    activity = _last_activity()
    ids = db.session.scalars(
        select(User.id)
        .where(
            activity < months_before(now, ERASE_AFTER_MONTHS),
            User.inactivity_warned_at.is_not(None),
            User.inactivity_warned_at >= activity,
            User.inactivity_warned_at <= now - WARNING_NOTICE,
        )
        .order_by(User.id)
        .limit(limit)
    ).all()
    erased = 0
    for user_id in ids:
        person = db.session.get(User, user_id)
        if person is None:
            continue
        try:
            erase_account(person, now)
        except SQLAlchemyError:
            db.session.rollback()
            log.exception("inactive account not erased", extra={"user_id": user_id})
            continue
        erased += 1
    return erased


# --- deliveries, tokens, sessions, codes, invitations --------------------------------------------


def unlink_old_deliveries(
    now: datetime, batch: int = DELIVERY_BATCH, batches: int = DELIVERY_BATCHES_PER_RUN
) -> int:
    """Set ``user_id`` to NULL on deliveries older than 90 days, ``batch`` rows per transaction;
    returns how many."""
    table = Delivery.__table__
    cutoff = now - RECIPIENT_LINK_LIFETIME
    total = 0
    for _batch in range(batches):
        ids = (
            select(table.c.id)
            .where(table.c.user_id.is_not(None), table.c.created_at < cutoff)
            .limit(batch)
        )
        result = db.session.execute(update(table).where(table.c.id.in_(ids)).values(user_id=None))
        db.session.commit()
        count = int(result.rowcount or 0)  # type: ignore[attr-defined]
        total += count
        if count < batch:
            break
    return total


def _rowcount(statement) -> int:  # type: ignore[no-untyped-def]
    result = db.session.execute(statement)
    db.session.commit()
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def purge_account_tokens(now: datetime) -> int:
    table = AccountToken.__table__
    return _rowcount(delete(table).where(or_(table.c.used_at.is_not(None), table.c.expires_at <= now)))


def purge_ended_sessions(now: datetime) -> int:
    """Delete revoked sessions and those past the longest timeouts (refused anyway)."""
    config = current_app.config
    idle = max(
        int(config.get("SESSION_IDLE_MINUTES", DEFAULT_SESSION_IDLE_MINUTES)),
        int(config.get("ADMIN_SESSION_IDLE_MINUTES", 0)),
    )
    absolute = max(
        int(config.get("SESSION_ABSOLUTE_DAYS", DEFAULT_SESSION_ABSOLUTE_DAYS)),
        int(config.get("ADMIN_SESSION_ABSOLUTE_DAYS", 0)),
    )
    table = AuthSession.__table__
    return _rowcount(
        delete(table).where(
            or_(
                table.c.revoked_at.is_not(None),
                table.c.last_seen_at < now - timedelta(minutes=idle),
                table.c.created_at < now - timedelta(days=absolute),
            )
        )
    )


def purge_sms_codes(now: datetime) -> int:
    """Forget expired phone confirmation codes and the number they were sent to."""
    table = NotificationSettings.__table__
    return _rowcount(
        update(table)
        .where(table.c.phone_code_expires_at <= now)
        .values(pending_phone=None, phone_code_hash=None, phone_code_expires_at=None, phone_code_attempts=0)
    )


def purge_invitations(now: datetime) -> int:
    """Invitations hold the e-mail of someone who may have no account: they go a month after
    they were accepted or expired."""
    table = Invitation.__table__
    ended = now - INVITATION_KEPT_AFTER_END
    return _rowcount(
        delete(table).where(
            or_(
                table.c.accepted_at <= ended,
                table.c.accepted_at.is_(None) & (table.c.expires_at <= ended),
            )
        )
    )


def purge_data_exports(now: datetime) -> int:
    return purge_expired_exports(now)


def run_retention(now: datetime | None = None) -> dict[str, int]:
    """Every retention rule, once; returns how many rows each touched (no personal data)."""
    now = now or utcnow()
    counts = {
        "accounts_warned": warn_inactive_accounts(now),
        "accounts_erased": erase_inactive_accounts(now),
        "deliveries_unlinked": unlink_old_deliveries(now),
        "account_tokens": purge_account_tokens(now),
        "auth_sessions": purge_ended_sessions(now),
        "sms_codes": purge_sms_codes(now),
        "invitations": purge_invitations(now),
        "data_exports": purge_data_exports(now),
        "live_cells": purge_expired_live_cells(now),
    }
    # SQLite: the old copies of what was just deleted leave the write-ahead log (and one an
    # erasure could not truncate, busy with readers, goes now).
    db.scrub_write_ahead_log()
    return counts

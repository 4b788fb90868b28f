"""Consents: what a person agreed to, per purpose (and channel), recorded with its dates and
revocable. Every purpose the platform asks for is named here, once.

Withdrawing a consent sends ``consent_withdrawn``: the domains that act on a purpose (a channel
goes off, the live cell is forgotten) listen to it, so this module knows none of them."""

from __future__ import annotations

from blinker import Namespace
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.accounts.models import Consent, User
from app.extensions import db
from app.models_common import utcnow

TERMS = "terms"
PROFILE_TARGETING = "profile_targeting"  # hashtags, neighbourhood and population type used
NOTIFICATIONS = "notifications"  # with a channel: push, email or sms
LIVE_LOCATION = "live_location"  # where the person is now, coarse and short-lived

CONSENT_LABELS = {
    TERMS: _l("Terms of use and privacy policy"),
    PROFILE_TARGETING: _l(
        "Personalisation with your interests, neighbourhood and population type"
    ),
    NOTIFICATIONS: _l("Messages from actors"),
    LIVE_LOCATION: _l("Live location (an approximate area, kept one hour)"),
}

_signals = Namespace()
# Sent with the person as sender and ``consent=`` the withdrawn Consent, after the commit.
consent_withdrawn = _signals.signal("consent-withdrawn")



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
    consent_withdrawn.send(user, consent=consent)
    return True


def consents_of(user: User) -> list[Consent]:
    return list(
        db.session.scalars(
            select(Consent)
            .where(Consent.user_id == user.id)
            .order_by(Consent.granted_at.desc(), Consent.id.desc())
        )
    )

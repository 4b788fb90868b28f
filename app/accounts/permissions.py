"""What a person may reach of their own account's records: their consents, nobody else's."""

from __future__ import annotations

from flask import abort
from flask_login import current_user

from app.accounts.consents import consent_of
from app.accounts.models import Consent


def own_consent_or_404(consent_id: int) -> Consent:
    consent = consent_of(current_user, consent_id)
    if consent is None:
        abort(404)
    return consent

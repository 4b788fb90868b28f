"""Privacy: the anonymity floor every count shown to actors and the town obeys, and each
citizen's privacy centre (consents, what is held, data export, account deletion, retention)."""

from flask import Blueprint

from app.privacy.floor import anonymity_floor, is_under_floor, rounded_count, shown_count

bp = Blueprint("privacy", __name__)

__all__ = ["anonymity_floor", "bp", "is_under_floor", "rounded_count", "shown_count"]

from app.privacy import routes  # noqa: E402,F401

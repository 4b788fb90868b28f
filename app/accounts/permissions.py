"""What a person may reach of their own account's records (their consents, nobody else's), and
whether they administer the territory they are on: the rule every domain's town-admin pages ask
(app.admin's, the street reports' categories, the feed imports, …)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import abort, g
from flask_login import current_user

from app.accounts.consents import consent_of
from app.accounts.models import Consent
from app.extensions import login_manager

F = TypeVar("F", bound=Callable[..., Any])


def own_consent_or_404(consent_id: int) -> Consent:
    consent = consent_of(current_user, consent_id)
    if consent is None:
        abort(404)
    return consent


def is_town_admin(user: Any) -> bool:
    """An administrator of THIS territory (the one the request is on), nobody else."""
    territory = getattr(g, "territory", None)
    return bool(
        territory is not None
        and getattr(user, "is_authenticated", False)
        and getattr(user, "is_admin", False)
        and getattr(user, "territory_id", None) == territory.id
    )


def town_admin_required(view: F) -> F:
    """Decorator: anonymous people are sent to log in, anyone not an admin here gets 403."""

    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        if not is_town_admin(current_user):
            abort(403)
        return view(*args, **kwargs)

    return wrapped  # type: ignore[return-value]

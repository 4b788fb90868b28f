"""Who may enter the administration: an administrator of THIS territory, nobody else."""

from __future__ import annotations

from flask import abort
from flask_login import current_user

from app.accounts.permissions import is_town_admin
from app.extensions import login_manager


def is_territory_admin(user: object) -> bool:
    return is_town_admin(user)


def require_territory_admin() -> object | None:
    """Run before every admin view (blueprint-wide, so no view can forget it): anonymous
    people are sent to log in, everyone else who is not an admin here gets 403."""
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    if not is_territory_admin(current_user):
        abort(403)
    return None

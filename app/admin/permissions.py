"""Who may enter the administration: an administrator of THIS territory, nobody else."""

from __future__ import annotations

from flask import abort, g
from flask_login import current_user

from app.extensions import login_manager


def is_territory_admin(user: object) -> bool:
    territory = getattr(g, "territory", None)
    return bool(
        territory is not None
        and getattr(user, "is_authenticated", False)
        and getattr(user, "is_admin", False)
        and getattr(user, "territory_id", None) == territory.id
    )


def require_territory_admin() -> object | None:
    """Run before every admin view (blueprint-wide, so no view can forget it): anonymous
    people are sent to log in, everyone else who is not an admin here gets 403."""
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    if not is_territory_admin(current_user):
        abort(403)
    return None

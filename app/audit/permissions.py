"""Who takes part in a town's commerce audit (its rounds and plan, its data inventory, the shops'
answers as the town sees them): the town's admins, and the accounts of the territory they invited
(a commerce manager, a merchants' association), who see no other admin page. The one rule every
audit page asks."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import abort
from flask_login import current_user
from sqlalchemy import select

from app.audit.models_rounds import AuditInvitation
from app.extensions import db, login_manager
from app.territories.context import current_territory
from app.territories.models import Territory
from app.territories.scoping import belongs


def is_invited(user: Any, territory: Territory) -> bool:
    user_id = getattr(user, "id", None)
    if not getattr(user, "is_authenticated", False) or getattr(user, "territory_id", None) != territory.id:
        return False
    return db.session.scalar(select(AuditInvitation.id).where(
        belongs(AuditInvitation, territory), AuditInvitation.user_id == user_id)) is not None


def may_edit_audit(user: Any, territory: Territory) -> bool:
    """The town's admins (of this territory), and the accounts they invited."""
    admin = (getattr(user, "is_authenticated", False) and getattr(user, "is_admin", False)
             and getattr(user, "territory_id", None) == territory.id)
    return bool(admin) or is_invited(user, territory)


def audit_editors_only(view: Callable[..., Any]) -> Callable[..., Any]:
    """Anonymous people are sent to log in; anybody who may not take part in this town's audit:
    403. Every audit page carries it (rounds, inventory, the shops' answers)."""

    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        if not may_edit_audit(current_user, current_territory()):
            abort(403)
        return view(*args, **kwargs)

    return wrapped

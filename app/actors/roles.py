"""Acting as an actor: the role switcher's state lives on the server-side session, and every
request re-checks it against the membership, so a removed member loses the role at once."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import abort, g, has_request_context, request
from flask_login import current_user
from sqlalchemy import event, exists, select
from sqlalchemy.orm import object_session
from sqlalchemy.orm.util import identity_key

from app.accounts.models import AuthSession, User
from app.accounts.sessions import session_flag
from app.actors.models import Actor, Membership
from app.extensions import db
from app.territories.scoping import belongs

F = TypeVar("F", bound=Callable[..., Any])


def memberships() -> list[Membership]:
    """The current user's memberships in this territory's actors, cached for the request."""
    if not current_user.is_authenticated:
        return []
    # Cached on the request, not on ``g``: an app context (and its ``g``) can outlive a request,
    # as in tests, and a removed membership must stop counting at the very next request.
    cached = getattr(request, "_actor_memberships", None) if has_request_context() else None
    if cached is None and current_user.__dict__.get("_has_memberships") is False:
        # The user loader found no membership at all (most people): nothing to look up.
        cached = []
    elif cached is None:
        cached = list(
            db.session.scalars(
                select(Membership)
                .join(Actor)
                .where(Membership.user_id == current_user.id, belongs(Actor, g.territory))
                .order_by(Actor.name)
            )
        )
        if has_request_context():
            request._actor_memberships = cached  # type: ignore[attr-defined]
    return cached


@session_flag("_has_memberships")
def _member_of_any_actor() -> Any:
    """Read with the session (app.accounts.sessions): False spares ``memberships()`` its query."""
    return exists().where(Membership.user_id == AuthSession.user_id)


@event.listens_for(Membership, "after_insert")
def _membership_added(_mapper: Any, _connection: Any, membership: Membership) -> None:
    """A new membership counts at once: the user loader's "none" no longer holds."""
    session = object_session(membership)
    user = session.identity_map.get(identity_key(User, membership.user_id)) if session else None
    if user is not None:
        user.__dict__.pop("_has_memberships", None)


def acting_membership() -> Membership | None:
    auth = getattr(g, "auth_session", None)
    if auth is None or auth.acting_actor_id is None:
        return None
    for membership in memberships():
        if membership.actor_id == auth.acting_actor_id:
            return membership
    return None


def acting_actor() -> Actor | None:
    membership = acting_membership()
    return membership.actor if membership else None


def actor_role_required(role: str | None = None) -> Callable[[F], F]:
    """Decorator: the route runs only for a member acting as an actor (``g.actor``,
    ``g.membership`` set); ``role="owner"`` further restricts it to owners."""

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                abort(401)
            membership = acting_membership()
            if membership is None or (role is not None and membership.role != role):
                abort(403)
            g.membership = membership
            g.actor = membership.actor
            return view(*args, **kwargs)

        return wrapped  # type: ignore[return-value]

    return decorator

"""Who manages a feed subscription: the actor it publishes as (a member acting as it), and the
town's administrators for every actor of the town. Anyone else, and any other town, finds
nothing (a 404)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import abort, g
from flask_login import current_user

from app.actors.roles import acting_actor
from app.extensions import login_manager
from app.imports.models import FeedSubscription
from app.territories.context import get_scoped_or_404

F = TypeVar("F", bound=Callable[..., Any])


def is_town_admin(user: Any) -> bool:
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


def managed_subscription_or_404(subscription_id: int) -> FeedSubscription:
    """The subscription, if the current person manages it; a 404 otherwise (a 401 first for
    someone not logged in, as every tool page)."""
    if not current_user.is_authenticated:
        abort(401)
    subscription = get_scoped_or_404(FeedSubscription, subscription_id)
    actor = acting_actor()
    if not (is_town_admin(current_user) or (actor is not None and actor.id == subscription.actor_id)):
        abort(404)
    return subscription

"""Who manages a feed subscription: the actor it publishes as (a member acting as it), and the
town's administrators for every actor of the town. Anyone else, and any other town, finds
nothing (a 404)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import abort
from flask_login import current_user

from app.accounts.permissions import is_town_admin
from app.actors.roles import acting_actor
from app.imports.models import FeedSubscription
from app.territories.context import get_scoped_or_404

F = TypeVar("F", bound=Callable[..., Any])


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

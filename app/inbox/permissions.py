"""A person reaches their own inbox items only, in this territory."""

from __future__ import annotations

from flask import abort
from flask_login import current_user

from app.delivery.models import InboxItem
from app.inbox.services import inbox_item_of
from app.territories.context import current_territory
from app.territories.scoping import same_territory


def own_item_or_404(item_id: int) -> InboxItem:
    item = inbox_item_of(current_user, item_id)
    if item is None or not same_territory(item, current_territory()):
        abort(404)
    return item

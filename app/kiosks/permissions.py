"""Who may manage screens: the members of a tourism office, for its own screens only."""

from __future__ import annotations

from flask import abort, g

from app.actors.models import Actor
from app.kiosks.models import KioskToken
from app.territories.context import get_scoped_or_404


def tourism_office_or_404() -> Actor:
    """The actor the person acts as, if it is a tourism office (screens are theirs alone)."""
    if g.actor.kind != "tourism_office":
        abort(404)
    return g.actor  # type: ignore[no-any-return]


def own_screen_or_404(kiosk_id: int) -> KioskToken:
    """One of the acting tourism office's screens; any other is not found."""
    token = get_scoped_or_404(KioskToken, kiosk_id)
    if token.actor_id != tourism_office_or_404().id:
        abort(404)
    return token

"""The anonymity floor: a count of people that an actor, the town or the public can see is shown
only from the floor up (11 platform-wide; a territory may raise it, never lower it). Templates
show counts through ``shown_count`` (rounded) and ``visible_count`` (exact above the floor), the
only two ways: the app factory makes them template globals."""

from __future__ import annotations

from flask import current_app, g, has_request_context
from flask_babel import gettext as _

from app.territories.models import Territory


def anonymity_floor(territory: Territory | None = None) -> int:
    if territory is None and has_request_context():
        territory = getattr(g, "territory", None)
    platform = int(current_app.config.get("ANONYMITY_FLOOR", 11))
    return max(platform, territory.anonymity_floor if territory else platform)


def is_under_floor(count: int, territory: Territory | None = None) -> bool:
    return count < anonymity_floor(territory)


def rounded_count(count: int) -> int:
    """A count of people rounded to the nearest 10 (5 rounds up), as audiences are shown."""
    return int((count + 5) // 10 * 10)


def shown_count(count: int | None, territory: Territory | None = None) -> str:
    """How a count of people that reached something (an audience, a campaign's figures) is shown
    to an actor or the town: "fewer than 11" under the floor, else rounded to the nearest 10
    (never rounded down under the floor)."""
    count = count or 0
    floor = anonymity_floor(territory)
    if count < floor:
        return _("fewer than %(floor)d", floor=floor)
    return str(max(rounded_count(count), floor))


def visible_count(count: int, territory: Territory | None = None) -> int | None:
    """A standing count of people (an actor's followers, the town's citizens) as shown: exactly
    from the floor up, None under it (the page then says "fewer than 11")."""
    return None if count < anonymity_floor(territory) else count


def count_label(count: int, territory: Territory | None = None) -> str:
    """``visible_count`` as text: the number, or "fewer than 11"."""
    shown = visible_count(count, territory)
    return str(shown) if shown is not None else _("fewer than %(floor)d", floor=anonymity_floor(territory))

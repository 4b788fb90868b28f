"""The anonymity floor: a count of people that an actor, the town or the public can see is shown
exactly only from the floor up (11 platform-wide; a territory may raise it, never lower it)."""

from __future__ import annotations

from flask import current_app, g, has_request_context

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


def shown_count(count: int, territory: Territory | None = None) -> str:
    """How a count of people is shown to an actor or the town: "fewer than 11" under the floor,
    else rounded to the nearest 10 (never rounded down under the floor)."""
    from flask_babel import gettext as _

    floor = anonymity_floor(territory)
    if count < floor:
        return _("fewer than %(floor)d", floor=floor)
    return str(max(rounded_count(count), floor))

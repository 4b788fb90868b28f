"""The anonymity floor: a count of people that an actor, the town or the public can see is shown
only from the floor up (11 platform-wide; a territory may raise it, never lower it). The release
engine (app.releases.engine) applies it to the noisy value of every release."""

from __future__ import annotations

from flask import current_app, g, has_request_context

from app.territories.models import Territory


def anonymity_floor(territory: Territory | None = None) -> int:
    if territory is None and has_request_context():
        territory = getattr(g, "territory", None)
    platform = int(current_app.config.get("ANONYMITY_FLOOR", 11))
    return max(platform, territory.anonymity_floor if territory else platform)

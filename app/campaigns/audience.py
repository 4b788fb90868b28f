"""The audience estimate an actor sees while choosing criteria: rounded, never under the floor.

The exact count stays on the server: only ``shown_count`` (rounded to 10, or "fewer than 11")
and whether sending is allowed leave this module."""

from __future__ import annotations

from dataclasses import dataclass

from app.campaigns.criteria import Criteria, count_recipients
from app.releases.floor import is_under_floor, shown_count
from app.territories.models import Territory


@dataclass(frozen=True)
class AudienceEstimate:
    count_shown: str
    can_send: bool


def estimate(territory: Territory, actor_id: int, criteria: Criteria) -> AudienceEstimate:
    count = count_recipients(territory, actor_id, criteria)
    return AudienceEstimate(
        count_shown=shown_count(count, territory),
        can_send=not is_under_floor(count, territory),
    )

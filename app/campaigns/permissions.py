"""Who may do what with campaigns: load, authorise, then act."""

from __future__ import annotations

from flask import abort, g

from app.actors.models import Actor
from app.campaigns.models import PERSONAL_KINDS, Campaign
from app.territories.context import get_scoped_or_404


def can_send_alerts(actor: Actor) -> bool:
    """Civic alerts (past the daily cap and quiet hours) are for the town's own services, once
    the town has verified them."""
    return actor.kind == "town_service" and actor.is_verified


def own_campaign_or_404(campaign_id: int) -> Campaign:
    """A campaign of the actor the person acts as; any other (another actor's, another town's)
    is not found, nor a personal message sent in its name (a report's update)."""
    campaign = get_scoped_or_404(Campaign, campaign_id)
    if campaign.actor_id != g.actor.id or campaign.schedule_kind in PERSONAL_KINDS:
        abort(404)
    return campaign

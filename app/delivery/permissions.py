"""The links of a message act without a log-in: their signed token is the permission, and
only in the territory the message was sent in."""

from __future__ import annotations

from flask import abort

from app.actors.models import Actor
from app.campaigns.models import Campaign, Delivery
from app.delivery.tokens import read_delivery_token
from app.extensions import db
from app.territories.context import current_territory
from app.territories.scoping import same_territory


def message_delivery_or_404(token: str) -> Delivery:
    delivery_id = read_delivery_token(token)
    delivery = db.session.get(Delivery, delivery_id) if delivery_id is not None else None
    if delivery is None or not same_territory(delivery, current_territory()):
        abort(404)
    return delivery


def message_actor_or_404(delivery: Delivery) -> Actor:
    campaign = db.session.get(Campaign, delivery.campaign_id)
    actor = db.session.get(Actor, campaign.actor_id) if campaign is not None else None
    if actor is None or not same_territory(actor, delivery):
        abort(404)
    return actor

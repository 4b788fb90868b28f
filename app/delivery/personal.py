"""Personal messages: the platform tells the few people a matter concerns (a street report's
reporter and followers) through the engine, so that their channels, daily cap and quiet hours
apply exactly as for a campaign, with the same claiming, retries and idempotency keys. A mute
does not: muting a service silences its campaigns, not the answer to one's own report.

Each message is a campaign of a personal kind (``PERSONAL_KINDS``) in the name of the actor that
speaks (the town service), with one run whose recipients are the given people, not criteria: no
audience is counted and no anonymity floor applies (it is not a campaign an actor composed, and
it reaches only the people concerned). The actor's campaign lists, pages and statistics leave
these out (app.campaigns), so the actor never learns who received them."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select

from app.accounts.models import User
from app.campaigns.models import (
    BODY_MAX,
    CHANNELS,
    PERSONAL_KINDS,
    TITLE_MAX,
    Campaign,
    CampaignRun,
)
from app.delivery.runs import add_recipients
from app.extensions import db
from app.models_common import utcnow
from app.territories.models import Territory
from app.territories.scoping import belongs


def start_personal_message(territory: Territory, actor_id: int, kind: str, title: str, body: str,
                           now: datetime | None = None) -> CampaignRun:
    """The campaign and run of one personal message, flushed (not committed): the caller may
    record what it is about in the same transaction, then ``send_personal_message``."""
    assert kind in PERSONAL_KINDS
    now = now or utcnow()
    campaign = Campaign(territory_id=territory.id, actor_id=actor_id, title=title.strip()[:TITLE_MAX],
                        body=body.strip()[:BODY_MAX], schedule_kind=kind, status="sending", send_at=now)
    campaign.channels = list(CHANNELS)
    db.session.add(campaign)
    db.session.flush()
    run = CampaignRun(campaign_id=campaign.id, territory_id=territory.id, scheduled_for=now,
                      started_at=now, status="sending")
    db.session.add(run)
    db.session.flush()
    return run


def send_personal_message(run: CampaignRun, territory: Territory, user_ids: Iterable[int],
                          now: datetime | None = None) -> int:
    """Hand the message to these people (of this territory only), on every channel each accepted;
    the drain tasks send it. Commits; returns the deliveries made."""
    recipients = select(User.id).where(User.id.in_(sorted(set(user_ids))), belongs(User, territory))
    return add_recipients(run, territory, recipients, now or utcnow())

"""Campaigns: writing them, scheduling them, starting their runs.

A run is started by ``app.delivery.runs.start_run`` (which counts the audience again, refuses
it under the anonymity floor and materialises the deliveries); this module decides *when*.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from app.actors.models import Actor
from app.campaigns.criteria import Criteria
from app.campaigns.models import CHANNELS, PERSONAL_KINDS, Campaign, CampaignRun
from app.campaigns.permissions import can_send_alerts
from app.campaigns.schedule import following_run
from app.extensions import db
from app.models_common import utcnow
from app.publications.models import Publication
from app.publications.services import recent_publications
from app.territories.models import Territory
from app.territories.scoping import belongs
from app.timezones import end_of_local_day

log = logging.getLogger(__name__)

EDITABLE_STATUSES = ("draft", "scheduled")


def actor_campaigns(actor: Actor) -> list[Campaign]:
    return list(
        db.session.scalars(
            select(Campaign)
            .where(Campaign.actor_id == actor.id, belongs(Campaign, actor),
                   Campaign.schedule_kind.not_in(PERSONAL_KINDS))
            .order_by(Campaign.created_at.desc(), Campaign.id.desc())
        )
    )


def linkable_publications(actor: Actor) -> list[Publication]:
    """What a campaign may link to: the actor's published publications, not hidden by the town
    (else its page)."""
    return recent_publications(actor, limit=100)


@dataclass
class Schedule:
    kind: str = "now"  # now | at | weekly
    send_at: datetime | None = None  # "at"
    weekday: int | None = None  # weekly: 0 = Monday
    at_time: time | None = None  # weekly, local time
    until: date | None = None  # weekly, local date, inclusive


@dataclass
class CampaignDraft:
    """What the form collected, validated."""

    title: str
    body: str
    publication_id: int | None
    criteria: Criteria
    channels: list[str]
    schedule: Schedule
    is_alert: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


def first_run_at(territory: Territory, schedule: Schedule, now: datetime) -> datetime | None:
    """When a campaign first goes out; None for "now" (the run starts at once)."""
    if schedule.kind == "at":
        return schedule.send_at
    if schedule.kind == "weekly":
        assert schedule.weekday is not None and schedule.at_time is not None
        until = end_of_local_day(schedule.until, territory) if schedule.until else None
        return following_run(
            schedule.weekday, schedule.at_time.strftime("%H:%M"), until, now, territory
        )
    return None


def save_campaign(
    actor: Actor, user_id: int | None, draft: CampaignDraft, campaign: Campaign | None = None
) -> Campaign:
    """Create or update a campaign (as a draft); ``schedule_campaign`` sends or schedules it."""
    if campaign is None:
        campaign = Campaign(territory_id=actor.territory_id, actor_id=actor.id, created_by_id=user_id)
        db.session.add(campaign)
    territory = db.session.get(Territory, actor.territory_id)
    assert territory is not None
    campaign.title = draft.title
    campaign.body = draft.body
    campaign.publication_id = draft.publication_id
    campaign.criteria = draft.criteria.to_json()
    campaign.channels = [c for c in CHANNELS if c in draft.channels]
    campaign.is_alert = bool(draft.is_alert and can_send_alerts(actor))
    schedule = draft.schedule
    campaign.schedule_kind = schedule.kind
    campaign.send_at = schedule.send_at if schedule.kind == "at" else None
    campaign.repeat_weekday = schedule.weekday if schedule.kind == "weekly" else None
    campaign.repeat_time = (
        schedule.at_time.strftime("%H:%M") if schedule.kind == "weekly" and schedule.at_time else None
    )
    campaign.repeat_until = (
        end_of_local_day(schedule.until, territory)
        if schedule.kind == "weekly" and schedule.until
        else None
    )
    campaign.status = "draft"
    campaign.next_run_at = None
    db.session.commit()
    return campaign


def schedule_campaign(campaign: Campaign, now: datetime | None = None) -> CampaignRun | None:
    """Send now (returns the run, possibly "refused" under the floor) or schedule the first run."""
    now = now or utcnow()
    territory = db.session.get(Territory, campaign.territory_id)
    assert territory is not None
    if campaign.schedule_kind == "now":
        return start_run(campaign, now)
    if campaign.schedule_kind == "weekly":
        first = following_run(
            campaign.repeat_weekday, campaign.repeat_time, campaign.repeat_until, now, territory
        )
        if first is not None and campaign.send_at is None:
            campaign.send_at = first
    else:
        first = campaign.send_at
    if first is None:
        return None
    campaign.status = "scheduled"
    campaign.next_run_at = first
    db.session.commit()
    log.info("campaign %s scheduled", campaign.id)
    return None


def cancel_campaign(campaign: Campaign) -> bool:
    """A scheduled (or draft) campaign stops; what already went out stays."""
    if campaign.status not in EDITABLE_STATUSES:
        return False
    campaign.status = "cancelled"
    campaign.next_run_at = None
    db.session.commit()
    log.info("campaign %s cancelled", campaign.id)
    return True


# --- sending: campaigns say *when*, the delivery engine (app.delivery, a layer up) *sends* -------

RunStarter = Callable[[Campaign, datetime], CampaignRun]
_run_starter: list[RunStarter] = []


def use_run_starter(starter: RunStarter) -> None:
    """Plugged in by the app factory: how a due occurrence starts (app.delivery.runs.start_run)."""
    _run_starter[:] = [starter]


def start_run(campaign: Campaign, scheduled_for: datetime) -> CampaignRun:
    """Start one occurrence now, through the plugged-in delivery engine."""
    if not _run_starter:
        raise RuntimeError("no delivery engine is plugged in (app.create_app plugs it)")
    return _run_starter[0](campaign, scheduled_for)


# --- the scheduler --------------------------------------------------------------------------


def due_campaigns(now: datetime, limit: int = 100) -> list[int]:
    return list(
        db.session.scalars(
            select(Campaign.id)
            .where(Campaign.status == "scheduled", Campaign.next_run_at <= now)
            .order_by(Campaign.next_run_at)
            .limit(limit)
        )
    )


def run_due_campaigns(now: datetime | None = None) -> int:
    """Start every due occurrence once, and move each campaign to its next one.

    Safe when two workers run it at the same time: a run is unique per (campaign, scheduled time),
    so the second to insert it gets an IntegrityError and leaves it to the first."""
    now = now or utcnow()
    started = 0
    for campaign_id in due_campaigns(now):
        campaign = db.session.get(Campaign, campaign_id)
        if campaign is None or campaign.status != "scheduled" or campaign.next_run_at is None:
            continue
        occurrence = campaign.next_run_at
        already = db.session.scalar(
            select(CampaignRun.id).where(
                CampaignRun.campaign_id == campaign.id, CampaignRun.scheduled_for == occurrence
            )
        )
        if already is None:
            try:
                start_run(campaign, occurrence)
                started += 1
            except IntegrityError:
                db.session.rollback()
                log.info("campaign %s: occurrence already started by another worker", campaign_id)
                campaign = db.session.get(Campaign, campaign_id)
                if campaign is None:
                    continue
        _advance(campaign, occurrence)
    return started


def _advance(campaign: Campaign, occurrence: datetime) -> None:
    """After an occurrence: the next one (weekly, until its end), else the campaign is done."""
    if campaign.next_run_at != occurrence:  # another worker moved it already
        return
    following = None
    if campaign.schedule_kind == "weekly":
        territory = db.session.get(Territory, campaign.territory_id)
        assert territory is not None
        following = following_run(
            campaign.repeat_weekday, campaign.repeat_time, campaign.repeat_until, occurrence,
            territory,
        )
    if following is not None:
        campaign.status = "scheduled"
        campaign.next_run_at = following
    else:
        campaign.next_run_at = None
        # a weekly campaign's last run, or a run refused under the floor: nothing more to come
        # (a one-off run that is sending is marked sent by the delivery engine when drained)
        if campaign.status == "scheduled" or campaign.schedule_kind == "weekly":
            campaign.status = "sent"
    db.session.commit()


# --- system campaigns ------------------------------------------------------------------------


# The first key of the PostgreSQL advisory locks that serialise making a publication's system
# campaign (the second is the publication's id).
SYSTEM_CAMPAIGN_LOCK = 0x57454C


def system_campaign_run(publication: Publication, schedule_kind: str, channels: Iterable[str],
                        now: datetime) -> CampaignRun:
    """The one run of a publication's system campaign of ``schedule_kind`` (made on its first
    use): the platform sends for the actor (a welcome offer to each person entering its zone),
    each person adds their deliveries to this run, and the actor sees its reach among its
    campaigns, aggregated like any other."""
    territory = db.session.get(Territory, publication.territory_id)
    assert territory is not None
    if db.session.get_bind().dialect.name == "postgresql":
        # Two workers welcoming two people to the same offer at once would both find no campaign
        # and make one each: the offer's lock, held until the transaction ends, lets one make it
        # and the other find it. (SQLite writes one transaction at a time: the WelcomeSent
        # insert before this already waits for the other.)
        db.session.execute(select(func.pg_advisory_xact_lock(SYSTEM_CAMPAIGN_LOCK, publication.id)))
    campaign = db.session.scalar(
        select(Campaign).where(Campaign.publication_id == publication.id,
                               Campaign.schedule_kind == schedule_kind)
        .order_by(Campaign.id).limit(1)
    )
    if campaign is None:
        campaign = Campaign(
            territory_id=territory.id, actor_id=publication.actor_id, title=publication.title[:80],
            body=(publication.summary or "")[:500], publication_id=publication.id,
            schedule_kind=schedule_kind, status="sending", send_at=now,
        )
        campaign.channels = list(channels)
        db.session.add(campaign)
        db.session.flush()
    run = db.session.scalar(
        select(CampaignRun).where(CampaignRun.campaign_id == campaign.id).order_by(CampaignRun.id).limit(1)
    )
    if run is None:
        run = CampaignRun(campaign_id=campaign.id, territory_id=territory.id, scheduled_for=now,
                          started_at=now, status="sending")
        db.session.add(run)
        db.session.flush()
    return run

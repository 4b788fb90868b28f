"""Starting a run: ``start_run`` decides on the released audience (app.campaigns.audience: the
answer the actor saw today, else a new release; under the floor the run is "refused" and nothing
is written), then in ONE transaction moves the run and the
campaign to "sending" and inserts one Delivery row per (person, channel accepted) with one
``INSERT ... SELECT`` per channel, and enqueues the drain tasks (app.delivery.tasks)."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from sqlalchemy import func, literal, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError

from app.accounts.models import User
from app.actors.models import Actor
from app.campaigns.audience import established_audience, released_audience
from app.campaigns.criteria import CriteriaError, parse_criteria, recipients_query
from app.campaigns.models import Campaign, CampaignRun, Delivery
from app.delivery.tasks import enqueue_drains
from app.extensions import db
from app.models_common import UTCDateTime, utcnow
from app.notifications.models import NotificationSettings, PushSubscription
from app.queue import huey
from app.territories.models import Territory

log = logging.getLogger(__name__)

D = Delivery.__table__
S = NotificationSettings.__table__


def _insert(table: Any) -> Any:
    postgres = db.session.get_bind().dialect.name == "postgresql"
    return (postgresql_insert if postgres else sqlite_insert)(table)


def _existing_run(campaign_id: int, scheduled_for: datetime) -> CampaignRun | None:
    return db.session.scalar(
        select(CampaignRun).where(
            CampaignRun.campaign_id == campaign_id, CampaignRun.scheduled_for == scheduled_for
        )
    )


def start_run(
    campaign: Campaign,
    scheduled_for: datetime,
    *,
    now: datetime | None = None,
    enqueue: bool = True,
) -> CampaignRun:
    """Start one sending of ``campaign`` (see the module's docstring). Starting the same
    occurrence twice returns the first run and writes nothing."""
    now = now or utcnow()
    existing = _existing_run(campaign.id, scheduled_for)
    if existing is not None:
        return existing
    territory = db.session.get(Territory, campaign.territory_id)
    assert territory is not None
    try:
        criteria = parse_criteria(campaign.criteria, territory)
    except CriteriaError:
        criteria = None  # e.g. a hashtag removed from the catalogue since: refused
    # Sent or refused on the released audience (the answer the actor saw, or a new release),
    # never on the exact count: repeated sends cannot find where the floor lies.
    actor = db.session.get(Actor, campaign.actor_id)
    size = established_audience(territory, campaign.actor_id, criteria, now) if criteria is not None else 0
    released = (released_audience(territory, actor, criteria, now=now, over_budget=True,
                                  count=lambda: size)
                if criteria is not None and actor is not None else None)
    run = CampaignRun(
        campaign_id=campaign.id,
        territory_id=campaign.territory_id,
        scheduled_for=scheduled_for,
        started_at=now,
        audience_size=size,  # internal: shown only as released (app.campaigns.audience)
    )
    # Until the town verifies an actor, its campaigns reach nobody (drafts only).
    refused = released is None or not released.reaches_floor or actor is None or not actor.is_verified
    if refused:
        run.status = "refused"
        run.finished_at = now
    else:
        run.status = "sending"
        campaign.status = "sending"
    db.session.add(run)
    try:
        db.session.flush()
        rows = 0 if refused else materialise(run, campaign, territory, criteria, now)
        db.session.commit()
    except IntegrityError:  # another scheduler started this occurrence at the same moment
        db.session.rollback()
        existing = _existing_run(campaign.id, scheduled_for)
        if existing is None:
            raise
        return existing
    log.info("campaign run started", extra={"run_id": run.id, "refused": refused})
    if not refused and enqueue:
        enqueue_drains(run.id, rows)
        if huey.immediate:  # drained inline (tests): show the final states
            db.session.refresh(run)
            db.session.refresh(campaign)
    return run


def materialise(
    run: CampaignRun, campaign: Campaign, territory: Territory, criteria: Any, now: datetime,
    recipients: Any = None,
) -> int:
    """INSERT ... SELECT one Delivery per (recipient, accepted channel); a second call inserts
    nothing (the unique key and ON CONFLICT DO NOTHING). Returns the rows inserted.
    ``recipients``: a ``SELECT user_account.id`` used instead of the criteria's (a welcome
    offer adds its one person to its run: ``add_recipients``)."""
    base = recipients if recipients is not None else recipients_query(territory, campaign.actor_id, criteria)
    settings = NotificationSettings
    conditions: dict[str, list[Any]] = {
        "inbox": [],
        "push": [
            settings.push_enabled.is_(True),
            select(PushSubscription.id).where(PushSubscription.user_id == User.id).exists(),
        ],
        "email": [settings.email_enabled.is_(True), User.email_verified_at.is_not(None)],
        "sms": [settings.sms_enabled.is_(True), settings.phone.is_not(None)],
    }
    columns = ["run_id", "campaign_id", "territory_id", "user_id", "channel", "status", "attempts", "created_at"]
    total, unknown = 0, False
    # psycopg reports -1 as the rowcount of INSERT ... SELECT ... ON CONFLICT: count instead
    before = _run_rows(run.id) if db.session.get_bind().dialect.name == "postgresql" else 0
    for channel in campaign.channels:
        if channel not in conditions:
            continue
        query = base
        if channel != "inbox":
            query = query.join(settings, settings.user_id == User.id).where(*conditions[channel])
        query = query.with_only_columns(
            literal(run.id),
            literal(campaign.id),
            literal(territory.id),
            User.id,
            literal(channel),
            literal("queued"),
            literal(0),
            literal(now, UTCDateTime()),
            maintain_column_froms=True,
        ).order_by(User.id)
        statement = _insert(D).from_select(columns, query).on_conflict_do_nothing()
        result = db.session.execute(statement)
        rowcount = result.rowcount  # type: ignore[attr-defined]
        if rowcount is None or rowcount < 0:  # psycopg: -1 for INSERT ... SELECT ... ON CONFLICT
            unknown = True
        else:
            total += rowcount
    if unknown:
        total = _run_rows(run.id) - before
    return total


def _run_rows(run_id: int) -> int:
    return db.session.scalar(select(func.count()).select_from(D).where(D.c.run_id == run_id)) or 0


def add_recipients(run: CampaignRun, territory: Territory, recipients: Any, now: datetime) -> int:
    """Add people (a ``SELECT user_account.id``) to a run that is already sending, and drain them:
    a system campaign's run gathers its recipients one by one (a welcome offer, app.welcome).
    Commits; returns the deliveries added (none for someone already in the run)."""
    rows = materialise(run, run.campaign, territory, None, now, recipients=recipients)
    db.session.commit()
    if rows:
        enqueue_drains(run.id, rows)
    return rows

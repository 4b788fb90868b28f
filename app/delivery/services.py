"""The delivery engine: materialise a run's deliveries, then drain them through the channels.

``start_run`` re-counts the audience at send time (under the anonymity floor the run is
"refused" and nothing is written), then in ONE transaction moves the run and the campaign to
"sending" and inserts one Delivery row per (person, channel accepted) with one
``INSERT ... SELECT`` per channel, and enqueues the drain tasks.

A drain claims a batch in a short transaction of its own, committed before anything is sent:
``UPDATE delivery SET status='sending', lease_until=now+lease, attempts=attempts+1 WHERE id IN
(SELECT ... LIMIT n [FOR UPDATE SKIP LOCKED]) RETURNING id``. On SQLite writes are serialised
(WAL and a busy timeout), so two processes never claim the same row; on PostgreSQL SKIP LOCKED
lets them take different rows. It then applies the policy (app.delivery.policy), sends through
the channels and records the outcomes, one UPDATE per outcome group. A worker killed mid-batch
leaves rows in "sending" whose lease expires; they are claimed again and sent with the same
idempotency key (push Topic and tag, e-mail Message-ID, SMS Idempotency-Key).

A drain outlives a database restart or fail-over: each of its database steps is tried again
(rolled back, then after a pause) while the database is unreachable, up to
DELIVERY_DATABASE_PATIENCE_SECONDS. Above all the outcomes of a batch already sent are kept
until they can be written, rather than sent again once the lease expires.
"""

from __future__ import annotations

import logging
import math
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any, TypeVar

from flask import current_app
from sqlalchemy import and_, bindparam, delete, func, literal, or_, select, update
from sqlalchemy.exc import IntegrityError, OperationalError

from app.accounts.models import User
from app.actors.models import Actor
from app.campaigns.models import INTERRUPTING_CHANNELS, Campaign, CampaignRun
from app.delivery import policy
from app.delivery.channels import FAILED, GONE, RETRY, SENT, Item, Message, Outcome, backoff
from app.delivery.models import Delivery
from app.extensions import db
from app.models_common import UTCDateTime, utcnow
from app.notifications.models import InboxItem, Mute, NotificationSettings, PushSubscription
from app.privacy import is_under_floor
from app.territories.models import Territory
from app.timezones import local_date, start_of_local_day

log = logging.getLogger(__name__)

D = Delivery.__table__
S = NotificationSettings.__table__
MAX_ATTEMPTS = 8
T = TypeVar("T")


def _config(name: str, default: Any) -> Any:
    return current_app.config.get(name, default)


def _retrying(operation: Callable[[], T]) -> T:
    """``operation()`` (a database step that can run again: a read, a claim, writes guarded
    by the row's status), tried again while the database is unreachable (OperationalError: a
    restart, a fail-over) for up to DELIVERY_DATABASE_PATIENCE_SECONDS."""
    deadline = time.monotonic() + float(_config("DELIVERY_DATABASE_PATIENCE_SECONDS", 60.0))
    pause = 0.1
    while True:
        try:
            return operation()
        except OperationalError as exc:
            db.session.rollback()
            if time.monotonic() + pause > deadline:
                raise
            log.warning("database unreachable, trying again", extra={"error": type(exc.orig).__name__})
            time.sleep(pause)
            pause = min(pause * 2, 2.0)


def _dialect() -> str:
    bind = db.session.get_bind()
    return bind.dialect.name


def _insert(table: Any) -> Any:
    if _dialect() == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert(table)


# --- starting a run ------------------------------------------------------------------------------


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
    from app.campaigns.criteria import CriteriaError, count_recipients, parse_criteria

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
    count = count_recipients(territory, campaign.actor_id, criteria) if criteria is not None else 0
    run = CampaignRun(
        campaign_id=campaign.id,
        territory_id=campaign.territory_id,
        scheduled_for=scheduled_for,
        started_at=now,
        audience_size=count,
    )
    refused = criteria is None or is_under_floor(count, territory)
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
        from app.queue import huey

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
    offer adds its one person to its run, app.places.services)."""
    from app.campaigns.criteria import recipients_query

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


def enqueue_drains(run_id: int, rows: int | None = None) -> int:
    """Enqueue the drain tasks of a run: up to DELIVERY_DRAIN_TASKS, one per batch at most."""
    from app.delivery.tasks import drain_run

    batch = max(1, int(_config("DELIVERY_BATCH_SIZE", 500)))
    wanted = max(1, int(_config("DELIVERY_DRAIN_TASKS", 2)))
    count = wanted if rows is None else max(1, min(wanted, math.ceil(rows / batch)))
    for _ in range(count):
        drain_run(run_id)
    return count


# --- draining ------------------------------------------------------------------------------------


@dataclass
class RunContext:
    run_id: int
    campaign_id: int
    actor_id: int
    territory_id: int
    timezone: str
    default_language: str
    is_alert: bool
    repeats: bool
    hashtag_ids: tuple[int, ...]
    message: Message


def campaign_link(campaign: Campaign, actor: Actor | None, base_url: str) -> str:
    from app.delivery.links import absolute_url
    from app.publications.models import Publication

    publication = db.session.get(Publication, campaign.publication_id) if campaign.publication_id else None
    if (
        publication is not None
        and publication.actor_id == campaign.actor_id
        and publication.status == "published"
    ):
        return absolute_url(base_url, "publications.show", publication_id=publication.id)
    if actor is not None:
        return absolute_url(base_url, "actors.page", slug=actor.slug)
    return base_url + "/"


def load_context(run_id: int) -> RunContext | None:
    from app.delivery.links import absolute_url, territory_base_url

    run = db.session.get(CampaignRun, run_id)
    if run is None:
        return None
    campaign = db.session.get(Campaign, run.campaign_id)
    territory = db.session.get(Territory, run.territory_id)
    if campaign is None or territory is None:
        return None
    actor = db.session.get(Actor, campaign.actor_id)
    base_url = territory_base_url(territory.id)
    icon = absolute_url(base_url, "pwa.icon", size=192)
    hashtag_ids: tuple[int, ...] = ()
    for rule in campaign.criteria.get("rules", []):
        if isinstance(rule, dict) and rule.get("kind") == "hashtags":
            hashtag_ids = tuple(int(i) for i in rule.get("ids", []) if str(i).isdigit())
    message = Message(
        campaign_id=campaign.id,
        run_id=run.id,
        actor_id=campaign.actor_id,
        actor_name=actor.name if actor else "",
        title=campaign.title,
        body=campaign.body or "",
        link=campaign_link(campaign, actor, base_url),
        is_alert=bool(campaign.is_alert),
        territory_id=territory.id,
        territory_name=territory.name,
        base_url=base_url,
        icon_url=icon,
        badge_url=icon,
    )
    return RunContext(
        run_id=run.id,
        campaign_id=campaign.id,
        actor_id=campaign.actor_id,
        territory_id=territory.id,
        timezone=territory.timezone,
        default_language=territory.default_language,
        is_alert=bool(campaign.is_alert),
        repeats=campaign.schedule_kind == "weekly",
        hashtag_ids=hashtag_ids,
        message=message,
    )


def claim_batch(run_id: int, size: int, lease_seconds: float, now: datetime) -> list[int]:
    """Claim up to ``size`` deliveries of the run in a short transaction, committed on return:
    first expired leases (a dead worker's), then due retries and deferrals, then queued rows."""
    session = db.session
    session.commit()  # the claim must open its own transaction (SQLite: write lock at once)
    lease_until = now + timedelta(seconds=lease_seconds)
    postgres = _dialect() == "postgresql"
    claimed: list[int] = []
    for condition in (
        and_(D.c.status == "sending", D.c.lease_until < now),
        and_(D.c.status == "deferred", D.c.next_attempt_at <= now),
        D.c.status == "queued",
    ):
        wanted = size - len(claimed)
        if wanted <= 0:
            break
        pick = select(D.c.id).where(D.c.run_id == run_id, condition).order_by(D.c.id).limit(wanted)
        if postgres:
            pick = pick.with_for_update(skip_locked=True)
        statement = (
            update(D)
            .where(D.c.id.in_(pick.scalar_subquery()))
            .values(status="sending", lease_until=lease_until, attempts=D.c.attempts + 1)
            .returning(D.c.id)
        )
        claimed.extend(session.execute(statement).scalars())
    session.commit()
    return sorted(claimed)


def _language(code: str | None, default: str) -> str:
    languages = current_app.config.get("LANGUAGES", ("fr", "nl", "en"))
    return code if code in languages else (default if default in languages else "fr")


@dataclass
class Plan:
    """What the policy decided for a batch: items to send per channel, rows to record now."""

    to_send: dict[str, list[Item]]
    decided: list[tuple[int, str, str | None, datetime | None]]  # id, status, reason, next


def plan_batch(ctx: RunContext, ids: list[int], now: datetime) -> Plan:
    session = db.session
    rows = session.execute(
        select(
            D.c.id,
            D.c.user_id,
            D.c.channel,
            D.c.attempts,
            User.email,
            User.email_verified_at,
            User.language,
            S.c.user_id.label("settings_user"),
            S.c.push_enabled,
            S.c.email_enabled,
            S.c.sms_enabled,
            S.c.phone,
            S.c.daily_cap,
            S.c.quiet_start,
            S.c.quiet_end,
        )
        .select_from(D.outerjoin(User.__table__, User.id == D.c.user_id).outerjoin(S, S.c.user_id == D.c.user_id))
        .where(D.c.id.in_(ids))
    ).all()
    people: dict[int, policy.Person] = {}
    languages: dict[int, str] = {}
    emails: dict[int, str | None] = {}
    decided: list[tuple[int, str, str | None, datetime | None]] = []
    for row in rows:
        if row.user_id is None or row.user_id in people:
            continue
        person = policy.Person(user_id=row.user_id, email_verified=row.email_verified_at is not None)
        if row.settings_user is not None:
            person.push_enabled = bool(row.push_enabled)
            person.email_enabled = bool(row.email_enabled)
            person.sms_enabled = bool(row.sms_enabled)
            person.phone = row.phone
            person.daily_cap = row.daily_cap if row.daily_cap is not None else person.daily_cap
            person.quiet_start = row.quiet_start
            person.quiet_end = row.quiet_end
        people[row.user_id] = person
        languages[row.user_id] = _language(row.language, ctx.default_language)
        emails[row.user_id] = row.email
    user_ids = list(people)

    # Push subscriptions of the people with a push delivery in the batch.
    push_users = {r.user_id for r in rows if r.channel == "push" and r.user_id is not None}
    subscriptions: dict[int, list[dict[str, Any]]] = defaultdict(list)
    if push_users:
        for sub in session.execute(
            select(
                PushSubscription.id,
                PushSubscription.user_id,
                PushSubscription.endpoint,
                PushSubscription.p256dh,
                PushSubscription.auth,
            ).where(PushSubscription.user_id.in_(push_users))
        ):
            subscriptions[sub.user_id].append(
                {"id": sub.id, "endpoint": sub.endpoint, "p256dh": sub.p256dh, "auth": sub.auth}
            )
    for user_id, subs in subscriptions.items():
        people[user_id].has_push_subscription = bool(subs)

    # Mutes made since the run started (the audience query left out the earlier ones).
    if user_ids:
        muted_what = Mute.actor_id == ctx.actor_id
        if ctx.hashtag_ids:
            muted_what = or_(muted_what, Mute.hashtag_id.in_(ctx.hashtag_ids))
        for user_id in session.scalars(
            select(Mute.user_id).where(Mute.user_id.in_(user_ids), muted_what).distinct()
        ):
            people[user_id].muted = True

    # Daily cap: distinct runs sent today on interrupting channels, per person.
    capped_users = [
        r.user_id for r in rows if r.user_id is not None and r.channel in INTERRUPTING_CHANNELS
    ]
    if capped_users and not ctx.is_alert:
        since = start_of_local_day(now, ctx.timezone)
        for user_id, run_id in session.execute(
            select(D.c.user_id, D.c.run_id)
            .where(
                D.c.user_id.in_(set(capped_users)),
                D.c.channel.in_(INTERRUPTING_CHANNELS),
                D.c.status == "sent",
                D.c.sent_at >= since,
            )
            .group_by(D.c.user_id, D.c.run_id)
        ):
            if run_id == ctx.run_id:
                people[user_id].run_already_sent = True
            else:
                people[user_id].runs_sent_today += 1

    to_send: dict[str, list[Item]] = defaultdict(list)
    for row in rows:
        person = people.get(row.user_id) if row.user_id is not None else None
        if person is None:
            decided.append((row.id, "skipped", "no_channel", None))
            continue
        decision = policy.decide(
            row.channel, person, is_alert=ctx.is_alert, tz=ctx.timezone, now=now
        )
        if decision.action == policy.SKIP:
            decided.append((row.id, "skipped", decision.reason, None))
        elif decision.action == policy.DEFER:
            decided.append((row.id, "deferred", decision.reason, decision.until))
        else:
            to_send[row.channel].append(
                Item(
                    delivery_id=row.id,
                    user_id=row.user_id,
                    channel=row.channel,
                    attempts=row.attempts,
                    message=ctx.message,
                    language=languages[row.user_id],
                    email=emails[row.user_id],
                    phone=person.phone,
                    subscriptions=subscriptions.get(row.user_id, []),
                )
            )
    return Plan(to_send=dict(to_send), decided=decided)


class Channels:
    """The channels a drain uses, made on first use and closed at the end."""

    def __init__(self) -> None:
        self._channels: dict[str, Any] = {}

    def get(self, name: str) -> Any:
        channel = self._channels.get(name)
        if channel is None:
            if name == "push":
                from app.delivery.channels.push import PushChannel

                channel = PushChannel()
            elif name == "email":
                from app.delivery.channels.email import EmailChannel

                channel = EmailChannel()
            elif name == "sms":
                from app.delivery.channels.sms import SmsChannel

                channel = SmsChannel()
            elif name == "inbox":
                from app.delivery.channels.inbox import InboxChannel

                channel = InboxChannel()
            else:
                raise ValueError(name)
            self._channels[name] = channel
        return channel

    def close(self) -> None:
        for channel in self._channels.values():
            close = getattr(channel, "close", None)
            if close is not None:
                close()
        self._channels.clear()


def record(
    results: Iterable[tuple[Item, Outcome]],
    decided: list[tuple[int, str, str | None, datetime | None]],
    gone_subscriptions: list[int],
    now: datetime,
) -> dict[str, int]:
    """Write the outcomes of a batch, one UPDATE per outcome group, in one short transaction.
    Only rows still in "sending" are touched (a row whose lease expired and that another worker
    took again is that worker's to record)."""
    session = db.session
    retry_base = float(_config("DELIVERY_RETRY_BASE_SECONDS", 30.0))
    sent_ids: list[int] = []
    groups: dict[tuple[str, str | None, str | None], list[int]] = defaultdict(list)
    timed: list[dict[str, Any]] = []
    counts: dict[str, int] = defaultdict(int)
    for item, outcome in results:
        counts[outcome.kind] += 1
        if outcome.kind == SENT:
            sent_ids.append(item.delivery_id)
        elif outcome.kind == GONE:
            groups[("failed", "gone", (outcome.error or "410")[:80])].append(item.delivery_id)
        elif outcome.kind == RETRY and item.attempts < MAX_ATTEMPTS:
            wait = outcome.after if outcome.after is not None else backoff(item.attempts, base=retry_base)
            timed.append(
                {
                    "b_id": item.delivery_id,
                    "b_status": "deferred",
                    "b_reason": None,
                    "b_next": now + timedelta(seconds=wait),
                    "b_error": (outcome.error or "retry")[:80],
                }
            )
        else:  # FAILED, or a retry after too many attempts
            groups[("failed", None, (outcome.error or "failed")[:80])].append(item.delivery_id)
    for delivery_id, status, reason, until in decided:
        counts[f"{status}:{reason}"] += 1
        if until is None:
            groups[(status, reason, None)].append(delivery_id)
        else:
            timed.append(
                {"b_id": delivery_id, "b_status": status, "b_reason": reason, "b_next": until, "b_error": None}
            )
    sending = D.c.status == "sending"
    if sent_ids:
        session.execute(
            update(D)
            .where(D.c.id.in_(sent_ids), sending)
            .values(status="sent", sent_at=now, reason=None, lease_until=None, next_attempt_at=None, last_error=None)
        )
    for (status, reason, error), ids in groups.items():
        session.execute(
            update(D)
            .where(D.c.id.in_(ids), sending)
            .values(status=status, reason=reason, last_error=error, lease_until=None, next_attempt_at=None)
        )
    if timed:
        session.execute(
            update(D)
            .where(D.c.id == bindparam("b_id"), sending)
            .values(
                status=bindparam("b_status"),
                reason=bindparam("b_reason"),
                next_attempt_at=bindparam("b_next", type_=UTCDateTime()),
                last_error=bindparam("b_error"),
                lease_until=None,
            )
            .execution_options(synchronize_session=False),
            timed,
        )
    if gone_subscriptions:
        session.execute(delete(PushSubscription).where(PushSubscription.id.in_(gone_subscriptions)))
    session.commit()
    return dict(counts)


def process_batch(
    ctx: RunContext,
    ids: list[int],
    channels: Channels,
    now: datetime,
    clock: Callable[[], datetime] = utcnow,
) -> dict[str, int]:
    def planned() -> Plan:
        plan = plan_batch(ctx, ids, now)
        db.session.commit()  # end the read; sending may take a while
        return plan

    plan = _retrying(planned)
    results: list[tuple[Item, Outcome]] = []
    gone_subscriptions: list[int] = []
    for name, items in plan.to_send.items():
        channel = channels.get(name)
        if name == "inbox":  # database writes only, made once (unique delivery_id)
            outcomes = _retrying(partial(channel.send_batch, items))
        else:
            outcomes = channel.send_batch(items)
        results.extend(zip(items, outcomes, strict=True))
        if name == "push":
            gone_subscriptions.extend(channel.gone_subscriptions)
            channel.gone_subscriptions.clear()
    return _retrying(lambda: record(results, plan.decided, gone_subscriptions, clock()))


def _pending_condition() -> Any:
    """Rows that keep a run "sending": queued, claimed, or waiting for a retry."""
    return or_(
        D.c.status.in_(("queued", "sending")),
        and_(D.c.status == "deferred", D.c.reason.is_(None)),
    )


def finish_if_done(run_id: int, now: datetime) -> bool:
    """Mark the run sent (and the campaign, unless it repeats) when nothing is left to send;
    quiet-hours and cap deferrals do not hold it (they wait for the morning or the digest)."""
    session = db.session
    pending = session.scalar(select(D.c.id).where(D.c.run_id == run_id, _pending_condition()).limit(1))
    if pending is not None:
        return False
    session.commit()
    done = session.execute(
        update(CampaignRun.__table__)
        .where(CampaignRun.__table__.c.id == run_id, CampaignRun.__table__.c.status == "sending")
        .values(status="sent", finished_at=now)
    )
    if done.rowcount:  # type: ignore[attr-defined]
        run = session.get(CampaignRun, run_id)
        campaign = session.get(Campaign, run.campaign_id) if run else None
        if campaign is not None and campaign.schedule_kind != "weekly":
            session.execute(
                update(Campaign.__table__)
                .where(Campaign.__table__.c.id == campaign.id, Campaign.__table__.c.status == "sending")
                .values(status="sent", updated_at=now)
            )
    session.commit()
    return True


def _committed(value: T) -> T:
    db.session.commit()
    return value


def next_due(run_id: int) -> datetime | None:
    """When a row of the run becomes claimable again (a retry, an expired lease)."""
    session = db.session
    retry_at = session.scalar(
        select(func.min(D.c.next_attempt_at)).where(
            D.c.run_id == run_id, D.c.status == "deferred", D.c.next_attempt_at.is_not(None)
        )
    )
    lease_at = session.scalar(
        select(func.min(D.c.lease_until)).where(D.c.run_id == run_id, D.c.status == "sending")
    )
    found = [t for t in (retry_at, lease_at) if t is not None]
    return min(found) if found else None


def drain(
    run_id: int,
    *,
    clock: Callable[[], datetime] = utcnow,
    max_wait: float | None = None,
) -> int:
    """Send a run's deliveries until none is left to claim; wait for due retries and expired
    leases up to ``max_wait`` seconds (DELIVERY_MAX_WAIT_SECONDS), then leave the rest to the
    periodic task. Returns the number of deliveries processed."""
    def loaded() -> RunContext | None:
        ctx = load_context(run_id)
        db.session.commit()
        return ctx

    ctx = _retrying(loaded)
    if ctx is None:
        return 0
    size = max(1, int(_config("DELIVERY_BATCH_SIZE", 500)))
    lease = float(_config("DELIVERY_LEASE_SECONDS", 120))
    if max_wait is None:
        max_wait = float(_config("DELIVERY_MAX_WAIT_SECONDS", 30.0))
    channels = Channels()
    processed = 0
    waited = 0.0
    try:
        while True:
            now = clock()
            ids = _retrying(partial(claim_batch, run_id, size, lease, now))
            if ids:
                process_batch(ctx, ids, channels, now, clock)
                processed += len(ids)
                continue
            if _retrying(partial(finish_if_done, run_id, now)):
                break
            due = _retrying(lambda: _committed(next_due(run_id)))
            if due is None:
                break
            wait = (due - clock()).total_seconds()
            if wait > max_wait or waited > 4 * max_wait:
                break
            pause = min(max(wait, 0.0) + 0.05, 5.0)
            time.sleep(pause)
            waited += pause
    finally:
        channels.close()
        db.session.commit()
    return processed


def requeue_due(now: datetime | None = None) -> list[int]:
    """Enqueue drains for runs with queued rows, retries or deferrals due soon, or leases
    expiring soon (the drains wait for them). Run every minute, and when a consumer starts."""
    now = now or utcnow()
    horizon = now + timedelta(seconds=float(_config("DELIVERY_MAX_WAIT_SECONDS", 30.0)))
    session = db.session
    rows = session.execute(
        select(D.c.run_id, func.count())
        .where(
            or_(
                D.c.status == "queued",
                and_(D.c.status == "deferred", D.c.next_attempt_at <= horizon),
                and_(D.c.status == "sending", D.c.lease_until <= horizon),
            )
        )
        .group_by(D.c.run_id)
    ).all()
    session.commit()
    for run_id, count in rows:
        enqueue_drains(run_id, count)
    return [run_id for run_id, _count in rows]


# --- the daily digest ---------------------------------------------------------------------------


def send_digests(now: datetime | None = None) -> int:
    """For each territory where it is past DIGEST_HOUR: the digests of the day. Returns how many
    digests were made."""
    now = now or utcnow()
    hour = int(_config("DIGEST_HOUR", 18))
    made = 0
    territories = db.session.execute(select(Territory.id, Territory.timezone)).all()
    for territory_id, timezone in territories:
        if policy.digest_due(now, timezone, hour):
            made += digest_territory(territory_id, now)
    return made


def digest_territory(territory_id: int, now: datetime) -> int:
    """One digest per person per day: an InboxItem(kind="digest") with what the cap held back,
    and an e-mail if they accepted e-mail; those deliveries become "skipped" ("digest")."""
    from app.delivery.links import absolute_url, language, territory_base_url, unsubscribe_url

    session = db.session
    territory = session.get(Territory, territory_id)
    if territory is None:
        return 0
    since = start_of_local_day(now, territory.timezone)
    held = session.execute(
        select(D.c.id, D.c.user_id, D.c.campaign_id, Campaign.title, Campaign.publication_id, Actor.name, Actor.slug)
        .join(Campaign, Campaign.id == D.c.campaign_id)
        .join(Actor, Actor.id == Campaign.actor_id)
        .where(
            D.c.territory_id == territory_id,
            D.c.status == "deferred",
            D.c.reason == "cap",
            D.c.user_id.is_not(None),
            D.c.created_at <= now,
        )
        .order_by(D.c.user_id, D.c.id)
    ).all()
    session.commit()
    if not held:
        return 0
    by_user: dict[int, list[Any]] = defaultdict(list)
    for row in held:
        by_user[row.user_id].append(row)
    already = set(
        session.scalars(
            select(InboxItem.user_id).where(
                InboxItem.user_id.in_(by_user),
                InboxItem.kind == "digest",
                InboxItem.created_at >= since,
            )
        )
    )
    base_url = territory_base_url(territory_id)
    made = 0
    for user_id, entries_rows in by_user.items():
        if user_id in already:
            continue  # today's digest went out; these wait for tomorrow's
        user = session.get(User, user_id)
        if user is None:
            continue
        settings = session.get(NotificationSettings, user_id)
        lang = _language(user.language, territory.default_language)
        entries: list[dict[str, str]] = []
        seen: set[int] = set()
        for row in entries_rows:
            if row.campaign_id in seen:
                continue
            seen.add(row.campaign_id)
            url = (
                absolute_url(base_url, "publications.show", publication_id=row.publication_id)
                if row.publication_id
                else absolute_url(base_url, "actors.page", slug=row.slug)
            )
            entries.append({"actor_name": row.name, "title": row.title, "url": url})
        from flask_babel import gettext as _

        with language(lang):
            title = _("Your daily digest")
        body = "\n".join(f"{e['actor_name']}: {e['title']}" for e in entries)
        ids = [row.id for row in entries_rows]
        session.add(
            InboxItem(
                user_id=user_id,
                territory_id=territory_id,
                kind="digest",
                title=title[:120],
                body=body,
                url="",
                created_at=now,
            )
        )
        session.execute(
            update(D)
            .where(D.c.id.in_(ids), D.c.status == "deferred", D.c.reason == "cap")
            .values(status="skipped", reason="digest", next_attempt_at=None)
        )
        session.commit()
        made += 1
        if settings is not None and settings.email_enabled and user.email_verified:
            _digest_email(user, lang, territory, entries, unsubscribe_url(base_url, user_id, "email"), base_url, now)
    return made


def _digest_email(
    user: User,
    lang: str,
    territory: Territory,
    entries: list[dict[str, str]],
    unsubscribe: str,
    base_url: str,
    now: datetime,
) -> None:
    from flask import render_template
    from flask_babel import gettext as _

    from app.delivery.channels.email import Mailer, build_message, message_id
    from app.delivery.links import language

    with language(lang):
        context = {"entries": entries, "territory_name": territory.name, "unsubscribe_url": unsubscribe, "lang": lang}
        text = render_template("delivery/mail/digest.txt", **context)
        html = render_template("delivery/mail/digest.html", **context)
        subject = _("Your daily digest") + f" — {territory.name}"
    local_day = local_date(now, territory).isoformat()
    message = build_message(
        user.email, subject, text, html, unsubscribe, message_id(f"digest-{user.id}-{local_day}", base_url)
    )
    mailer = Mailer()
    try:
        outcome = mailer.send(message)
    finally:
        mailer.close()
    if outcome.kind != SENT:
        log.warning("digest e-mail not sent", extra={"error": outcome.error})


__all__ = [
    "FAILED",
    "claim_batch",
    "drain",
    "enqueue_drains",
    "finish_if_done",
    "materialise",
    "requeue_due",
    "send_digests",
    "start_run",
]

"""Draining a run: claim a batch of its deliveries, apply the policy, send through the channels,
record the outcomes; until none is left.

A drain claims a batch in a short transaction of its own, committed before anything is sent:
``UPDATE delivery SET status='sending', lease_until=now+lease, attempts=attempts+1 WHERE id IN
(SELECT ... LIMIT n [FOR UPDATE SKIP LOCKED]) RETURNING id``. On SQLite writes are serialised
(WAL and a busy timeout), so two processes never claim the same row; on PostgreSQL SKIP LOCKED
lets them take different rows. It then applies the policy (app.delivery.policy), sends through
the channels and records the outcomes, one UPDATE per outcome group, in one transaction with
the inbox: the batch's inbox items, and those of its people's inbox deliveries still queued
(written and marked sent there, two statements: database writes only, the inbox goes out with
the pushes rather than in batches of its own after the run's last push). A worker killed mid-batch
leaves rows in "sending" whose lease expires; they are claimed again and sent with the same
idempotency key (push Topic and tag, e-mail Message-ID, SMS Idempotency-Key).

A run that is not urgent is paced (CAMPAIGN_SEND_RATE deliveries a second, 250 by default), as
OneSignal's throttling and Braze's rate limit pace theirs: the people who open the app from a
notification do not all come in the same minute, and on a machine the workers share with the
web processes, sending leaves the cores to the pages people wait for (bench-load: the p95 while
20,000 people are reached stays that of the load without it). Its drains, in any process, reserve
their batches one after the other on the run's pace clock (``reserve_slot``: one UPDATE, so two
drains or two machines never take the same moment), a batch of half a second's deliveries at a
time. A drain whose batch is not due yet waits for it when the wait is short and no other task
is queued; else it hands its worker back (``resume``: Huey runs it again at its slot), so that a
civic alert sent meanwhile is not queued behind a paced campaign. Civic alerts and personal
messages (one recipient) are not paced.

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
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cache, partial
from typing import Any, TypeVar

from sqlalchemy import and_, bindparam, case, delete, func, or_, select, update
from sqlalchemy.exc import OperationalError

from app.accounts.models import User
from app.actors.models import Actor
from app.campaigns.models import (
    INTERRUPTING_CHANNELS,
    PERSONAL_KINDS,
    Campaign,
    CampaignRun,
    Delivery,
)
from app.delivery import policy
from app.delivery.channels import GONE, RETRY, SENT, Item, Message, Outcome, backoff
from app.delivery.channels.email import EmailChannel
from app.delivery.channels.inbox import InboxChannel
from app.delivery.channels.push import PushChannel
from app.delivery.channels.sms import SmsChannel
from app.delivery.links import (
    absolute_url,
    language_of,
    message_url,
    setting,
    territory_base_url,
)
from app.extensions import db
from app.models_common import IdList, UTCDateTime, in_ids, utcnow
from app.notifications.models import Mute, NotificationSettings, PushSubscription
from app.notifications.quiet_hours import quiet_end
from app.territories.models import Territory
from app.timezones import start_of_local_day

log = logging.getLogger(__name__)

D = Delivery.__table__
S = NotificationSettings.__table__

MAX_ATTEMPTS = 8
T = TypeVar("T")


def _retrying(operation: Callable[[], T]) -> T:
    """``operation()`` (a database step that can run again: a read, a claim, writes guarded
    by the row's status), tried again while the database is unreachable (OperationalError: a
    restart, a fail-over) for up to DELIVERY_DATABASE_PATIENCE_SECONDS."""
    deadline = time.monotonic() + float(setting("DELIVERY_DATABASE_PATIENCE_SECONDS", 60.0))
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
    # A personal message (about the person's own street report): muting the service's campaigns
    # does not silence it; the cap, quiet hours and channels still apply.
    personal: bool = False
    channels: tuple[str, ...] = ()


def load_context(run_id: int) -> RunContext | None:
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
        link=message_url(campaign, base_url),
        is_alert=bool(campaign.is_alert),
        territory_id=territory.id,
        territory_name=territory.name,
        base_url=base_url,
        icon_url=icon,
        badge_url=icon,
        inbox_kind=campaign.schedule_kind if campaign.schedule_kind in PERSONAL_KINDS else "message",
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
        personal=campaign.schedule_kind in PERSONAL_KINDS,
        channels=tuple(campaign.channels),
    )


# The statements a drain runs for every batch are built once, their values bound at execution
# (a statement built anew costs more Python than SQLite takes to run some of them).


@cache
def _claim_statements(postgres: bool) -> tuple[Any, ...]:
    """The claim's UPDATEs, in their order: expired leases, due retries and deferrals, queued."""
    now = bindparam("now", type_=UTCDateTime())
    statements = []
    for condition in (
        and_(D.c.status == "sending", D.c.lease_until < now),
        and_(D.c.status == "deferred", D.c.next_attempt_at <= now),
        D.c.status == "queued",
    ):
        pick = select(D.c.id).where(D.c.run_id == bindparam("b_run"), condition).order_by(D.c.id)
        pick = pick.limit(bindparam("wanted"))
        if postgres:
            pick = pick.with_for_update(skip_locked=True)
        statements.append(
            update(D)
            .where(D.c.id.in_(pick.scalar_subquery()))
            .values(status="sending", lease_until=bindparam("b_lease", type_=UTCDateTime()), attempts=D.c.attempts + 1)
            .returning(D.c.id)
        )
    return tuple(statements)


def claim_batch(run_id: int, size: int, lease_seconds: float, now: datetime) -> list[int]:
    """Claim up to ``size`` deliveries of the run in a short transaction, committed on return:
    first expired leases (a dead worker's), then due retries and deferrals, then queued rows."""
    session = db.session
    session.commit()  # the claim must open its own transaction (SQLite: write lock at once)
    values = {"b_run": run_id, "now": now, "b_lease": now + timedelta(seconds=lease_seconds)}
    connection = session.connection()
    claimed: list[int] = []
    for statement in _claim_statements(connection.dialect.name == "postgresql"):
        wanted = size - len(claimed)
        if wanted <= 0:
            break
        claimed.extend(connection.execute(statement, {**values, "wanted": wanted}).scalars().all())
    session.commit()
    return sorted(claimed)


@dataclass
class Plan:
    """What the policy decided for a batch: items to send per channel, rows to record now."""

    to_send: dict[str, list[Item]]
    decided: list[tuple[int, str, str | None, datetime | None]]  # id, status, reason, next
    # People of the batch (on another channel) whose inbox delivery, still queued, may go now.
    inbox_along: list[int] = field(default_factory=list)


@cache
def _plan_rows() -> Any:
    """A batch's rows (``ids``) with what the policy needs of their people."""
    return select(
        D.c.id,
        D.c.user_id,
        D.c.channel,
        D.c.attempts,
        User.email,
        User.email_verified_at.is_not(None),
        User.language,
        S.c.user_id.is_not(None),  # has a settings row
        S.c.push_enabled,
        S.c.email_enabled,
        S.c.sms_enabled,
        S.c.phone,
        S.c.daily_cap,
        S.c.quiet_start,
        S.c.quiet_end,
    ).select_from(
        D.outerjoin(User.__table__, User.id == D.c.user_id).outerjoin(S, S.c.user_id == D.c.user_id)
    ).where(in_ids(D.c.id, bindparam("ids", type_=IdList())))


@cache
def _plan_subscriptions() -> Any:
    """The push subscriptions of ``users``."""
    return select(
        PushSubscription.id,
        PushSubscription.user_id,
        PushSubscription.endpoint,
        PushSubscription.p256dh,
        PushSubscription.auth,
    ).where(in_ids(PushSubscription.user_id, bindparam("users", type_=IdList())))


@cache
def _plan_mutes() -> Any:
    """Those of ``users`` who muted the actor or one of ``hashtags``."""
    muted_what = or_(
        Mute.actor_id == bindparam("actor_id"), in_ids(Mute.hashtag_id, bindparam("hashtags", type_=IdList()))
    )
    return select(Mute.user_id).where(in_ids(Mute.user_id, bindparam("users", type_=IdList())), muted_what).distinct()


@cache
def _plan_runs_sent_today() -> Any:
    """(person, run) of the runs sent to ``users`` on an interrupting channel ``since``."""
    return (
        select(D.c.user_id, D.c.run_id)
        .where(
            in_ids(D.c.user_id, bindparam("users", type_=IdList())),
            D.c.channel.in_(INTERRUPTING_CHANNELS),
            # ``status || ''``: looked up by person (ix_delivery_user_sent), never through
            # every delivery ever sent (SQLite took the status index: each batch of a large
            # run went through all the rows sent before it)
            (D.c.status + "") == "sent",
            D.c.sent_at >= bindparam("since", type_=UTCDateTime()),
        )
        .group_by(D.c.user_id, D.c.run_id)
    )


def plan_batch(ctx: RunContext, ids: list[int], now: datetime) -> Plan:
    """What to do with each claimed delivery, from a few queries for the whole batch (its
    rows, its people's settings, push subscriptions, new mutes, today's sends for the cap).
    Run for every delivery of every campaign: rows are read as plain tuples, what is the same
    for many rows (a language, the policy's arguments) is worked out once."""
    connection = db.session.connection()  # Core statements, plain rows: no ORM loading per row
    rows = connection.execute(_plan_rows(), {"ids": ids}).all()
    people: dict[int, policy.Person] = {}
    languages: dict[int, str] = {}
    emails: dict[int, str | None] = {}
    push_users: set[int] = set()
    capped_users: set[int] = set()
    known_languages: dict[str | None, str] = {}  # a person's language code -> the one to write in
    for (
        _id, user_id, channel, _attempts, email, email_verified, code, has_settings,
        push_enabled, email_enabled, sms_enabled, phone, daily_cap, quiet_start, quiet_end_at,
    ) in rows:
        if user_id is None:
            continue
        if channel == "push":
            push_users.add(user_id)
        if channel in INTERRUPTING_CHANNELS:
            capped_users.add(user_id)
        if user_id in people:
            continue
        person = policy.Person(user_id=user_id, email_verified=bool(email_verified))
        if has_settings:
            person.push_enabled = bool(push_enabled)
            person.email_enabled = bool(email_enabled)
            person.sms_enabled = bool(sms_enabled)
            person.phone = phone
            person.daily_cap = daily_cap if daily_cap is not None else person.daily_cap
            person.quiet_start = quiet_start
            person.quiet_end = quiet_end_at
        people[user_id] = person
        language = known_languages.get(code)
        if language is None:
            language = known_languages[code] = language_of(code, ctx.default_language)
        languages[user_id] = language
        emails[user_id] = email
    user_ids = list(people)

    # Push subscriptions of the people with a push delivery in the batch.
    subscriptions: dict[int, list[dict[str, Any]]] = defaultdict(list)
    if push_users:
        found = connection.execute(_plan_subscriptions(), {"users": list(push_users)}).all()
        for sub_id, user_id, endpoint, p256dh, auth in found:
            subscriptions[user_id].append({"id": sub_id, "endpoint": endpoint, "p256dh": p256dh, "auth": auth})
    for user_id, subs in subscriptions.items():
        people[user_id].has_push_subscription = bool(subs)

    # Mutes made since the run started (the audience query left out the earlier ones).
    if user_ids and not ctx.personal:
        muted = {"users": user_ids, "actor_id": ctx.actor_id, "hashtags": list(ctx.hashtag_ids)}
        for user_id in connection.scalars(_plan_mutes(), muted).all():
            people[user_id].muted = True

    # Daily cap: distinct runs sent today on interrupting channels, per person.
    if capped_users and not ctx.is_alert:
        since = start_of_local_day(now, ctx.timezone)
        for user_id, run_id in connection.execute(
            _plan_runs_sent_today(), {"users": list(capped_users), "since": since}
        ).all():
            if run_id == ctx.run_id:
                people[user_id].run_already_sent = True
            else:
                people[user_id].runs_sent_today += 1

    to_send: dict[str, list[Item]] = defaultdict(list)
    decided: list[tuple[int, str, str | None, datetime | None]] = []
    decide_now = partial(policy.decide, is_alert=ctx.is_alert, tz=ctx.timezone, now=now)
    decisions: dict[tuple[object, ...], policy.Decision] = {}

    def decide(channel: str, person: policy.Person) -> policy.Decision:
        key = policy.decision_key(channel, person)  # once per kind of person (see there)
        decision = decisions.get(key)
        if decision is None:
            decision = decisions[key] = decide_now(channel, person)
        return decision

    message = ctx.message
    for delivery_id, user_id, channel, attempts, *_settings in rows:
        person = people.get(user_id) if user_id is not None else None
        if person is None:
            decided.append((delivery_id, "skipped", "no_channel", None))
            continue
        decision = decide(channel, person)
        if decision.action == policy.SKIP:
            decided.append((delivery_id, "skipped", decision.reason, None))
        elif decision.action == policy.DEFER:
            decided.append((delivery_id, "deferred", decision.reason, decision.until))
        else:
            to_send[channel].append(
                Item(
                    delivery_id,
                    user_id,
                    channel,
                    attempts,
                    message,
                    languages[user_id],
                    emails[user_id],
                    person.phone,
                    subscriptions.get(user_id, []),
                )
            )
    inbox_along: list[int] = []
    if "inbox" in ctx.channels:  # a batch's people get theirs with it (``record``)
        along = {user_id for _id, user_id, channel, *_rest in rows if channel != "inbox" and user_id in people}
        inbox_along = [u for u in sorted(along) if decide("inbox", people[u]).action == policy.SEND]
    return Plan(to_send=dict(to_send), decided=decided, inbox_along=inbox_along)


CHANNEL_CLASSES: dict[str, Callable[[], Any]] = {
    "push": PushChannel, "email": EmailChannel, "sms": SmsChannel, "inbox": InboxChannel,
}
# Database writes only: made in the transaction that records the batch (``record``).
DATABASE_CHANNELS = frozenset({"inbox"})


class Channels:
    """The channels a drain uses, made on first use and closed at the end."""

    def __init__(self) -> None:
        self._channels: dict[str, Any] = {}

    def get(self, name: str) -> Any:
        channel = self._channels.get(name)
        if channel is None:
            factory = CHANNEL_CLASSES.get(name)
            if factory is None:
                raise ValueError(name)
            channel = factory()
            self._channels[name] = channel
        return channel

    def close(self) -> None:
        for channel in self._channels.values():
            close = getattr(channel, "close", None)
            if close is not None:
                close()
        self._channels.clear()


@dataclass
class InboxAlong:
    """The inbox deliveries that go with a batch: its people's, still queued (``inbox_along``)."""

    channel: Any  # InboxChannel
    run_id: int
    message: Message
    people: list[int]


def inbox_along(along: InboxAlong, now: datetime) -> int:
    """Write and mark sent, in the caller's transaction, the queued inbox deliveries of
    ``along.people``: database writes only, they go out with the batch that records these
    people's pushes (one transaction for both: rolled back together, nothing half done) rather
    than in batches of their own after the last push. Two statements whatever the number of
    rows (no round trip per row). Returns how many were sent.

    The items first, then the rows: on SQLite the first write takes the database's write lock,
    so both see the same rows; on PostgreSQL a row another drain claims in between is left to
    it (the update wants it still queued) and its item, already written, is not written twice
    (unique delivery)."""
    values = {"b_run": along.run_id, "people": along.people}
    along.channel.write_selected(along.message, _queued_inbox_rows(), values, people=along.people)
    done = db.session.connection().execute(_queued_inbox_sent(), {**values, "b_now": now})
    return int(done.rowcount)  # type: ignore[attr-defined]


def _queued_inbox() -> Any:
    """The queued inbox deliveries of ``people`` in run ``b_run``."""
    return and_(
        D.c.run_id == bindparam("b_run"),
        in_ids(D.c.user_id, bindparam("people", type_=IdList())),
        D.c.channel == "inbox",
        # ``status || ''``: not an index's column, so that the planners look the rows up by the
        # (run, person, channel) key instead of going through all the run's queued rows (on
        # SQLite, tens of thousands for each batch of a large run).
        (D.c.status + "") == "queued",
    )


@cache
def _queued_inbox_rows() -> Any:
    """(person, delivery) of ``_queued_inbox``."""
    return select(D.c.user_id, D.c.id).where(_queued_inbox())


@cache
def _queued_inbox_sent() -> Any:
    """Mark ``_queued_inbox`` sent at ``b_now``."""
    return (
        update(D)
        .where(_queued_inbox())
        .values(status="sent", sent_at=bindparam("b_now", type_=UTCDateTime()), attempts=D.c.attempts + 1,
                reason=None, lease_until=None, next_attempt_at=None, last_error=None)
    )


# ``status || ''``: the rows are looked up by id (SQLite would otherwise go through the status
# index, every row being sent, and check each against the list of ids)
_SENDING = (D.c.status + "") == "sending"


@cache
def _sent() -> Any:
    """Mark ``ids``, still being sent, sent."""
    return (
        update(D)
        .where(in_ids(D.c.id, bindparam("ids", type_=IdList())), _SENDING)
        .values(status="sent", sent_at=bindparam("b_now", type_=UTCDateTime()), reason=None, lease_until=None,
                next_attempt_at=None, last_error=None)
    )


def record(
    results: Iterable[tuple[Item, Outcome]],
    decided: list[tuple[int, str, str | None, datetime | None]],
    gone_subscriptions: list[int],
    now: datetime,
    writes: Iterable[tuple[Any, list[Item]]] = (),
    along: InboxAlong | None = None,
    times: PhaseTimes | None = None,
) -> dict[str, int]:
    """Write the outcomes of a batch, one UPDATE per outcome group, in one short transaction,
    with what the database channels write (``writes``: (channel, items), the inbox items) and
    the inbox deliveries that go with the batch (``along``). Only rows still in "sending" are
    touched (a row whose lease expired and that another worker took again is that worker's to
    record)."""
    session = db.session
    connection = session.connection()  # Core statements: none of the ORM's bookkeeping
    results = list(results)
    with times.phase("inbox") if times is not None else nullcontext():
        for channel, items in writes:
            results.extend(zip(items, channel.write(items), strict=True))
        sent_along = inbox_along(along, now) if along is not None and along.people else 0
    retry_base = float(setting("DELIVERY_RETRY_BASE_SECONDS", 30.0))
    sent_ids: list[int] = []
    groups: dict[tuple[str, str | None, str | None], list[int]] = defaultdict(list)
    timed: list[dict[str, Any]] = []
    counts: dict[str, int] = defaultdict(int)
    if sent_along:
        counts[SENT] += sent_along
        counts["inbox_along"] = sent_along
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
    sending = _SENDING
    if sent_ids:
        connection.execute(_sent(), {"ids": sent_ids, "b_now": now})
    for (status, reason, error), ids in groups.items():
        connection.execute(
            update(D)
            .where(in_ids(D.c.id, ids), sending)
            .values(status=status, reason=reason, last_error=error, lease_until=None, next_attempt_at=None)
        )
    if timed:
        connection.execute(
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
        session.execute(delete(PushSubscription).where(in_ids(PushSubscription.id, gone_subscriptions)))
    session.commit()
    return dict(counts)


class PhaseTimes:
    """Seconds a drain spent in each of its phases, for its closing log line (operators see
    where a run's time goes: the database or the sending)."""

    __slots__ = ("seconds",)

    def __init__(self) -> None:
        self.seconds: dict[str, float] = defaultdict(float)

    @contextmanager
    def phase(self, name: str) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[name] += time.perf_counter() - started

    def summary(self) -> str:
        return " ".join(f"{name}={seconds:.2f}s" for name, seconds in self.seconds.items())


def process_batch(
    ctx: RunContext,
    ids: list[int],
    channels: Channels,
    now: datetime,
    clock: Callable[[], datetime] = utcnow,
    times: PhaseTimes | None = None,
) -> dict[str, int]:
    times = times or PhaseTimes()

    def planned() -> Plan:
        plan = plan_batch(ctx, ids, now)
        db.session.commit()  # end the read; sending may take a while
        return plan

    with times.phase("plan"):
        plan = _retrying(planned)
    results: list[tuple[Item, Outcome]] = []
    writes: list[tuple[Any, list[Item]]] = []  # the database channels', made when recording
    gone_subscriptions: list[int] = []
    for name, items in plan.to_send.items():
        channel = channels.get(name)
        if name in DATABASE_CHANNELS:
            writes.append((channel, items))
            continue
        with times.phase(name):
            outcomes = channel.send_batch(items)
        results.extend(zip(items, outcomes, strict=True))
        if name == "push":
            gone_subscriptions.extend(channel.gone_subscriptions)
            channel.gone_subscriptions.clear()
    along = InboxAlong(channels.get("inbox"), ctx.run_id, ctx.message, plan.inbox_along) if plan.inbox_along else None
    with times.phase("record"):
        return _retrying(lambda: record(results, plan.decided, gone_subscriptions, clock(), writes, along, times))


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


# -- pacing -------------------------------------------------------------------------------------

R = CampaignRun.__table__
# A paced drain's batch: the deliveries of this many seconds at the run's rate.
PACE_SLOT_SECONDS = 0.5


def send_rate(ctx: RunContext) -> float:
    """The run's pace in deliveries a second; 0: not paced (an alert, a personal message, or
    CAMPAIGN_SEND_RATE set to 0)."""
    if ctx.is_alert or ctx.personal:
        return 0.0
    return max(0.0, float(setting("CAMPAIGN_SEND_RATE", 250.0)))


def paced_batch_size(rate: float, size: int) -> int:
    return max(1, min(size, math.ceil(rate * PACE_SLOT_SECONDS)))


def reserve_slot(run_id: int, size: int, rate: float, now: float) -> float:
    """Reserve the run's next ``size`` deliveries at ``rate`` a second on its pace clock, in a
    transaction of its own; returns when they may start (seconds since the epoch: ``now`` when
    the clock is behind, the end of the last reservation otherwise)."""
    step = size / rate
    start = case((or_(R.c.pace_clock.is_(None), R.c.pace_clock < now), now), else_=R.c.pace_clock)
    session = db.session
    session.commit()
    end = session.execute(
        update(R).where(R.c.id == run_id).values(pace_clock=start + step).returning(R.c.pace_clock)
    ).scalar()
    session.commit()
    return now if end is None else float(end) - step


def drain(
    run_id: int,
    *,
    clock: Callable[[], datetime] = utcnow,
    max_wait: float | None = None,
    sleep: Callable[[float], None] = time.sleep,
    others_waiting: Callable[[], bool] = lambda: False,
    resume: Callable[[float], None] | None = None,
    slot: float | None = None,
) -> int:
    """Send a run's deliveries until none is left to claim; wait for due retries and expired
    leases up to ``max_wait`` seconds (DELIVERY_MAX_WAIT_SECONDS), then leave the rest to the
    periodic task. Returns the number of deliveries processed.

    A paced run's drain waits for each of its batches' slot: in place when the slot is less
    than PACE_SLOT_SECONDS away and ``others_waiting()`` says no other task is queued; else
    it calls ``resume(when)`` and returns: the caller runs it again then with ``slot=when``,
    the slot it had reserved."""
    def loaded() -> RunContext | None:
        ctx = load_context(run_id)
        db.session.commit()
        return ctx

    ctx = _retrying(loaded)
    if ctx is None:
        return 0
    size = max(1, int(setting("DELIVERY_BATCH_SIZE", 500)))
    rate = send_rate(ctx)
    if rate:
        size = paced_batch_size(rate, size)
    lease = float(setting("DELIVERY_LEASE_SECONDS", 120))
    if max_wait is None:
        max_wait = float(setting("DELIVERY_MAX_WAIT_SECONDS", 30.0))
    channels = Channels()
    processed = 0
    waited = 0.0
    times = PhaseTimes()
    started, cpu = time.perf_counter(), time.thread_time()
    paced = True
    try:
        while True:
            if rate and paced:
                at = clock().timestamp()
                start = slot if slot is not None else _retrying(partial(reserve_slot, run_id, size, rate, at))
                slot = None
                wait = start - at
                if wait > 0:
                    if resume is not None and (wait > PACE_SLOT_SECONDS or others_waiting()):
                        resume(start)
                        break
                    with times.phase("pace"):
                        sleep(wait)
            now = clock()
            with times.phase("claim"):
                ids = _retrying(partial(claim_batch, run_id, size, lease, now))
            # After a short batch the next claim is mostly empty: no slot reserved for it.
            paced = len(ids) == size
            if ids:
                counts = process_batch(ctx, ids, channels, now, clock, times)
                processed += len(ids) + counts.get("inbox_along", 0)
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
        log.info(
            "drain finished: run %s, %s deliveries in %.2fs (cpu=%.2fs): %s",
            run_id, processed, time.perf_counter() - started, time.thread_time() - cpu, times.summary(),
        )
    return processed


def runs_with_due_work(now: datetime | None = None) -> list[tuple[int, int]]:
    """(run, rows) of the runs with queued rows, retries or deferrals due soon, or leases
    expiring soon (their drains wait for them)."""
    now = now or utcnow()
    horizon = now + timedelta(seconds=float(setting("DELIVERY_MAX_WAIT_SECONDS", 30.0)))
    session = db.session
    # A paced run whose clock is ahead has drains at work (waiting for their slots).
    rows = session.execute(
        select(D.c.run_id, func.count())
        .where(
            or_(
                D.c.status == "queued",
                and_(D.c.status == "deferred", D.c.next_attempt_at <= horizon),
                and_(D.c.status == "sending", D.c.lease_until <= horizon),
            ),
            ~D.c.run_id.in_(select(R.c.id).where(R.c.pace_clock >= now.timestamp())),
        )
        .group_by(D.c.run_id)
    ).all()
    session.commit()
    return [(run_id, count) for run_id, count in rows]


def replan_quiet_hours(user_id: int, now: datetime | None = None) -> dict[int, int]:
    """A person changed their quiet hours: what was held for the old ones is due at the end of
    the new ones, or at once when ``now`` is outside them (or there are none any more). Returns
    the runs with rows due now and how many, for the caller to wake their drains."""
    now = now or utcnow()
    session = db.session
    settings = session.get(NotificationSettings, user_id)
    timezone = session.scalar(
        select(Territory.timezone).join(User, User.territory_id == Territory.id).where(User.id == user_id)
    )
    if settings is None or timezone is None:
        return {}
    due = quiet_end(settings, timezone, now) or now
    held = and_(D.c.user_id == user_id, D.c.status == "deferred", D.c.reason == "quiet_hours")
    session.execute(update(D).where(held).values(next_attempt_at=due))
    woken: dict[int, int] = {}
    if due <= now:
        woken = dict(session.execute(select(D.c.run_id, func.count()).where(held).group_by(D.c.run_id)).all())
    session.commit()
    return woken

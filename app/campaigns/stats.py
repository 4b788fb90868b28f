"""What an actor may see of its campaigns: aggregates of Delivery rows, released.

Every figure is a GROUP BY over the deliveries to established people, the actor's members left
out (no row is loaded), and goes out as a release (app.releases.engine): noised, "fewer than 11"
under the floor, else rounded to 10. A campaign's figures are released once per statistics
window (an hour by default), so that one person's open cannot be timed, and for good a week
after its last run; while it sends, the progress shows the share done, not counts of people.
Nothing here ever selects a person's id, name, e-mail or phone.

The charts (app.charts) draw these releases and nothing else: per channel, over time (opens and
clicks in five coarse buckets after each sending) and, on the dashboard, week by week.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask_babel import format_date, format_number
from flask_babel import gettext as _
from sqlalchemy import and_, case, func, select

from app.accounts.models import User
from app.actors.models import Actor, Membership
from app.actors.sections import dashboard_part
from app.campaigns.forms import channel_label
from app.campaigns.models import CHANNELS, PERSONAL_KINDS, Campaign, CampaignRun, Delivery
from app.charts import BarChart, Point, Series, bar_chart
from app.extensions import db
from app.models_common import utcnow
from app.releases.engine import DAY, FOREVER, Asker, Question, Released, established, release
from app.territories.context import current_territory
from app.territories.models import Territory
from app.territories.scoping import belongs
from app.timezones import local_date, local_midnight

PENDING_STATUSES = ("queued", "sending", "deferred")


@dataclass(frozen=True)
class Progress:
    percent: int  # of the run's deliveries that are done (sent, failed or skipped)
    done: bool


def run_progress(run: CampaignRun, territory: Territory) -> Progress:
    rows = db.session.execute(
        select(Delivery.status, func.count())
        .where(Delivery.run_id == run.id)
        .group_by(Delivery.status)
    ).all()
    counts = {status: int(n) for status, n in rows}
    pending = sum(counts.get(s, 0) for s in PENDING_STATUSES)
    total = sum(counts.values())
    finished = total - pending
    done = run.status != "sending" or (total > 0 and pending == 0)
    percent = 100 if done or total == 0 else min(99, finished * 100 // total)
    return Progress(percent=percent, done=done)


def sending_run(campaign: Campaign) -> CampaignRun | None:
    return db.session.scalar(
        select(CampaignRun)
        .where(CampaignRun.campaign_id == campaign.id, CampaignRun.status == "sending")
        .order_by(CampaignRun.scheduled_for.desc())
        .limit(1)
    )


@dataclass(frozen=True)
class ChannelFigures:
    channel: str
    delivered: Released
    opened: Released
    clicked: Released


# A week after its last run a campaign's figures are released one last time, and stand.
FINAL_AFTER = timedelta(days=7)
METRICS = ("delivered", "opened", "clicked")


def _counted(territory: Territory, actor_id: int, now: datetime) -> Any:
    """The deliveries that may count: to established people, not the actor's own members."""
    members = select(Membership.user_id).where(Membership.actor_id == actor_id)
    return and_(Delivery.user_id.in_(select(User.id).where(established(territory, now))),
                Delivery.user_id.not_in(members))


def _exact_figures(campaign: Campaign, territory: Territory, now: datetime) -> dict[tuple[str, str], int]:
    rows = db.session.execute(
        select(
            Delivery.channel,
            func.sum(case((Delivery.status == "sent", 1), else_=0)),
            func.count(Delivery.opened_at),
            func.count(Delivery.clicked_at),
        )
        .where(Delivery.campaign_id == campaign.id, _counted(territory, campaign.actor_id, now))
        .group_by(Delivery.channel)
    ).all()
    return {(channel, metric): int(value or 0)
            for channel, *values in rows for metric, value in zip(METRICS, values, strict=True)}


def _release_window(campaign: Campaign, territory: Territory, now: datetime) -> tuple[bool, timedelta]:
    """Whether the campaign's figures are final (a week after its last run), and how long a
    release stands: a statistics window while it may still move, for good after."""
    last = max((_run_start(run) for run in campaign.runs), default=now)
    final = now - last >= FINAL_AFTER
    return final, FOREVER if final else timedelta(minutes=territory.statistics_window_minutes)


def _run_start(run: CampaignRun) -> datetime:
    return run.started_at or run.scheduled_for


def figures_question(campaign: Campaign, territory: Territory, channel: str, metric: str,
                     now: datetime) -> Question:
    final, window = _release_window(campaign, territory, now)
    return Question("campaign_figure", (campaign.id, channel, metric, final), window, chosen=False)


def channel_figures(campaign: Campaign, territory: Territory,
                    now: datetime | None = None) -> list[ChannelFigures]:
    """Delivered, opened and clicked per channel, over all the campaign's runs, released."""
    now = now or utcnow()
    channels = list(db.session.scalars(
        select(Delivery.channel).where(Delivery.campaign_id == campaign.id).distinct()
    ))
    asker = Asker.actor(campaign.actor)
    exact: dict[tuple[str, str], int] = {}

    def count(channel: str, metric: str) -> int:
        if not exact:  # one GROUP BY for every figure a window releases
            exact.update(_exact_figures(campaign, territory, now) or {("", ""): 0})
        return exact.get((channel, metric), 0)

    figures = []
    for channel in CHANNELS:
        if channel not in channels:
            continue
        released = {
            metric: release(asker, figures_question(campaign, territory, channel, metric, now),
                            lambda c=channel, m=metric: count(c, m), now=now)
            for metric in METRICS
        }
        figures.append(ChannelFigures(channel=channel, **released))
    return figures


# --- over time ----------------------------------------------------------------------------------

# When people opened and clicked, counted from the start of the sending they received, in five
# buckets of growing length; what comes later than a week is in the per-channel totals only.
# Why so few and so coarse: each bucket is one more release (noise, the floor, rounding to 10:
# hourly buckets would mostly read "fewer than 11"), and each release tells a little about the
# people in it. The buckets split the opens (or clicks) so that each falls in exactly one of them:
# the five figures of a metric together tell about one person's open what a single figure does
# (parallel composition), not five times as much. They are released like the per-channel figures
# (once per statistics window, for good a week after the last run, at no cost from the actor's
# daily budget: their number per window is fixed). Deliveries are not drawn over time: they all
# happen within minutes of the start, and a third series would release every person once more.
TIMELINE = (timedelta(0), timedelta(hours=1), timedelta(hours=6), timedelta(days=1), timedelta(days=3),
            FINAL_AFTER)
TIMELINE_METRICS = ("opened", "clicked")


@dataclass(frozen=True)
class Bucket:
    index: int
    started: bool  # False: no sending of the campaign is that old yet (nothing released)
    opened: Released | None
    clicked: Released | None


def timeline_question(campaign: Campaign, territory: Territory, metric: str, bucket: int,
                      now: datetime) -> Question:
    final, window = _release_window(campaign, territory, now)
    return Question("campaign_timeline", (campaign.id, metric, bucket, final), window, chosen=False)


def _exact_timeline(campaign: Campaign, territory: Territory, metric: str, now: datetime) -> dict[int, int]:
    """Opens (or clicks) per bucket, over every run: one GROUP BY over a CASE of each run's
    bucket boundaries (portable: no date arithmetic in SQL)."""
    moment = Delivery.opened_at if metric == "opened" else Delivery.clicked_at
    whens = [
        (and_(Delivery.run_id == run.id, moment < _run_start(run) + TIMELINE[b + 1]), b)
        for run in campaign.runs for b in range(len(TIMELINE) - 1)
    ]
    if not whens:
        return {}
    bucket = case(*whens, else_=-1).label("bucket")
    rows = db.session.execute(
        select(bucket, func.count())
        .where(Delivery.campaign_id == campaign.id, moment.is_not(None),
               _counted(territory, campaign.actor_id, now))
        .group_by(bucket)
    ).all()
    return {int(b): int(n) for b, n in rows}


def timeline(campaign: Campaign, territory: Territory, now: datetime | None = None) -> list[Bucket]:
    """Opened and clicked in each bucket after the sending, released; buckets that no sending
    has reached yet are not released at all."""
    now = now or utcnow()
    starts = [_run_start(run) for run in campaign.runs]
    if not starts:
        return []
    first = min(starts)
    asker = Asker.actor(campaign.actor)
    exact: dict[str, dict[int, int]] = {}

    def count(metric: str, index: int) -> int:
        if metric not in exact:  # one GROUP BY per metric, only when a window releases
            exact[metric] = _exact_timeline(campaign, territory, metric, now)
        return exact[metric].get(index, 0)

    buckets = []
    for index in range(len(TIMELINE) - 1):
        if now < first + TIMELINE[index]:
            buckets.append(Bucket(index, started=False, opened=None, clicked=None))
            continue
        released = {
            metric: release(asker, timeline_question(campaign, territory, metric, index, now),
                            lambda m=metric, i=index: count(m, i), now=now)
            for metric in TIMELINE_METRICS
        }
        buckets.append(Bucket(index, started=True, **released))
    return buckets


# --- charts -------------------------------------------------------------------------------------


def released_point(released: Released) -> Point:
    """A release as a chart draws it: its value, or nothing under the floor ("<11", never 0)."""
    if released.value is not None:
        return Point(released.value, format_number(released.value))
    if released.under_floor:
        return Point(None, str(released), f"<{released.floor}")
    return Point(None, str(released), "–")


def _not_yet() -> Point:
    return Point(None, _("not yet"), "–")


def bucket_label(index: int) -> str:
    """The bucket's name, its numbers written in the reader's language."""
    if index == 0:
        return _("first hour")
    start, end = TIMELINE[index], TIMELINE[index + 1]
    if end <= timedelta(days=1):
        return _("%(start)s–%(end)s h", start=format_number(start // timedelta(hours=1)),
                 end=format_number(end // timedelta(hours=1)))
    return _("%(start)s–%(end)s days", start=format_number(start // timedelta(days=1)),
             end=format_number(end // timedelta(days=1)))


def channel_chart(figures: list[ChannelFigures], chart_id: str = "channel-chart",
                  title: str | None = None) -> BarChart:
    """Delivered, opened and clicked, one group of bars per channel."""
    columns = (("delivered", _("Delivered")), ("opened", _("Opened")), ("clicked", _("Clicked")))
    return bar_chart(
        chart_id, title or _("Messages per channel: delivered, opened, clicked"),
        [channel_label(f.channel) for f in figures],
        [Series(label, tuple(released_point(getattr(f, metric)) for f in figures)) for metric, label in columns],
        category_heading=_("Channel"), value_label=_("Messages"),
    )


def timeline_chart(buckets: list[Bucket]) -> BarChart:
    """Opened and clicked in each bucket after the sending."""
    def point(bucket: Bucket, metric: str) -> Point:
        released = getattr(bucket, metric)
        return released_point(released) if released is not None else _not_yet()

    return bar_chart(
        "timeline-chart", _("Opens and clicks over time, after each sending"),
        [bucket_label(b.index) for b in buckets],
        [Series(_("Opened"), tuple(point(b, "opened") for b in buckets)),
         Series(_("Clicked"), tuple(point(b, "clicked") for b in buckets))],
        category_heading=_("After the sending"), value_label=_("Messages"),
    )


@dataclass(frozen=True)
class Week:
    start: datetime  # aware UTC, Monday 00:00 local time
    released: Released


def weekly_delivered(actor: Actor, territory: Territory, now: datetime, weeks: int = 12) -> list[Week]:
    """People the actor's campaigns reached in each of the last ``weeks`` local weeks (Monday to
    Sunday, the current one last), released: the current week once a day, past weeks for good.
    One GROUP BY over a CASE of week boundaries, when a week has no release yet."""
    today = local_date(now, territory)
    monday = today - timedelta(days=today.weekday())
    starts = [local_midnight(monday - timedelta(weeks=weeks - 1 - i), territory) for i in range(weeks)]
    end = local_midnight(monday + timedelta(weeks=1), territory)
    exact: dict[int, int] = {}

    def count(index: int) -> int:
        if not exact:
            bucket = case(
                *((Delivery.sent_at < boundary, i) for i, boundary in enumerate(starts[1:] + [end])),
                else_=weeks,
            )
            rows = db.session.execute(
                select(bucket.label("week"), func.count())
                .select_from(Delivery)
                .join(Campaign, Campaign.id == Delivery.campaign_id)
                .where(
                    Campaign.actor_id == actor.id,
                    Campaign.schedule_kind.not_in(PERSONAL_KINDS),
                    belongs(Delivery, territory),
                    Delivery.status == "sent",
                    Delivery.sent_at >= starts[0],
                    Delivery.sent_at < end,
                    _counted(territory, actor.id, now),
                )
                .group_by("week")
            ).all()
            exact.update({int(week): int(n) for week, n in rows} or {-1: 0})
        return exact.get(index, 0)

    asker = Asker.actor(actor)
    released = []
    for i, start in enumerate(starts):
        window = DAY if i == weeks - 1 else FOREVER
        question = Question("weekly_reach", (start.isoformat(),), window, chosen=False)
        released.append(Week(start=start, released=release(asker, question, lambda i=i: count(i), now=now)))
    return released


def weekly_chart(weeks: list[Week]) -> BarChart:
    return bar_chart(
        "weekly-chart", _("Campaign messages delivered, last 12 weeks"),
        [format_date(w.start, "d MMM") for w in weeks],
        [Series(_("Delivered"), tuple(released_point(w.released) for w in weeks))],
        category_heading=_("Week of"), value_label=_("Messages"),
    )


@dashboard_part
def _deliveries_on_dashboard(actor: Actor) -> dict[str, Any]:
    """The dashboard's charts: what the actor's campaigns delivered, week by week, and its latest
    campaign's results per channel. The latter are the campaign page's own releases (the same
    questions in the same window, so the same answers): the dashboard releases nothing more."""
    territory, now = current_territory(), utcnow()
    weeks = weekly_delivered(actor, territory, now)
    context: dict[str, Any] = {"campaign_weeks": weeks, "campaign_chart": weekly_chart(weeks)}
    latest = latest_sent_campaign(actor)
    if latest is not None:
        figures = channel_figures(latest, territory, now)
        if figures:
            context["latest_campaign"] = latest
            context["latest_campaign_chart"] = channel_chart(
                figures, "latest-campaign-chart",
                _("Latest campaign per channel: delivered, opened, clicked"))
    return context


def latest_sent_campaign(actor: Actor) -> Campaign | None:
    """The actor's campaign whose last sending started most recently."""
    return db.session.scalar(
        select(Campaign)
        .join(CampaignRun, CampaignRun.campaign_id == Campaign.id)
        .where(Campaign.actor_id == actor.id, CampaignRun.status != "refused",
               Campaign.schedule_kind.not_in(PERSONAL_KINDS))
        .order_by(CampaignRun.started_at.desc(), CampaignRun.id.desc())
        .limit(1)
    )

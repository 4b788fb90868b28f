"""What an actor may see of its campaigns: aggregates of Delivery rows, released.

Every figure is a GROUP BY over the deliveries to established people, the actor's members left
out (no row is loaded), and goes out as a release (app.releases.engine): noised, "fewer than 11"
under the floor, else rounded to 10. A campaign's figures are released once per statistics
window (an hour by default), so that one person's open cannot be timed, and for good a week
after its last run; while it sends, the progress shows the share done, not counts of people.
Nothing here ever selects a person's id, name, e-mail or phone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, case, func, select

from app.accounts.models import User
from app.actors.models import Actor, Membership
from app.actors.sections import dashboard_part
from app.campaigns.models import CHANNELS, Campaign, CampaignRun, Delivery
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


def figures_question(campaign: Campaign, territory: Territory, channel: str, metric: str,
                     now: datetime) -> Question:
    last = max((run.started_at or run.scheduled_for for run in campaign.runs), default=now)
    final = now - last >= FINAL_AFTER
    window = FOREVER if final else timedelta(minutes=territory.statistics_window_minutes)
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


# --- charts (inline SVG, drawn by the templates from these numbers) ------------------------------


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    label: str
    shown: str
    series: str = ""


CHART_HEIGHT = 120.0


def bar_geometry(values: list[int], top: float, height: float = CHART_HEIGHT) -> list[tuple[float, float]]:
    """(y, height) of each bar, scaled so that ``top`` fills ``height``."""
    scale = height / top if top > 0 else 0.0
    return [(height - v * scale, v * scale) for v in values]


@dataclass(frozen=True)
class Chart:
    bars: list[Bar]
    width: float
    height: float
    max_shown: str


def channel_chart(figures: list[ChannelFigures]) -> Chart:
    """Three bars per channel: delivered, opened, clicked (0 under the floor)."""
    bar_width, gap, group_gap = 16.0, 4.0, 24.0
    values = [r.chart_value for f in figures for r in (f.delivered, f.opened, f.clicked)]
    top = max(values, default=0)
    bars: list[Bar] = []
    x = group_gap / 2
    for f in figures:
        items = (
            ("delivered", f.delivered.chart_value, str(f.delivered)),
            ("opened", f.opened.chart_value, str(f.opened)),
            ("clicked", f.clicked.chart_value, str(f.clicked)),
        )
        for (series, _value, shown), (y, h) in zip(
            items, bar_geometry([v for _, v, _ in items], top), strict=True
        ):
            bars.append(Bar(x=x, y=y, width=bar_width, height=h, label=f.channel, shown=shown, series=series))
            x += bar_width + gap
        x += group_gap
    return Chart(bars=bars, width=max(x, 60.0), height=CHART_HEIGHT, max_shown=str(top))


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


def weekly_chart(weeks: list[Week]) -> Chart:
    bar_width, gap = 20.0, 6.0
    values = [w.released.chart_value for w in weeks]
    top = max(values, default=0)
    bars = []
    x = gap
    for week, (y, h) in zip(weeks, bar_geometry(values, top), strict=True):
        bars.append(Bar(x=x, y=y, width=bar_width, height=h, label=week.start.isoformat(),
                        shown=str(week.released)))
        x += bar_width + gap
    return Chart(bars=bars, width=x, height=CHART_HEIGHT, max_shown=str(top))


@dashboard_part
def _deliveries_on_dashboard(actor: Actor) -> dict[str, Any]:
    """The dashboard's chart: what the actor's campaigns delivered, week by week."""
    weeks = weekly_delivered(actor, current_territory(), utcnow())
    return {"campaign_weeks": weeks, "campaign_chart": weekly_chart(weeks)}

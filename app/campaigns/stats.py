"""What an actor may see of its campaigns: aggregates of Delivery rows, at or above the floor.

Every figure comes from a GROUP BY over the deliveries (no row is loaded), and goes out through
app.releases.floor.shown_count: under the anonymity floor it reads "fewer than 11", above it is rounded
to 10. Nothing here ever selects a person's id, name, e-mail or phone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import case, func, select

from app.actors.models import Actor
from app.actors.sections import dashboard_part
from app.campaigns.models import CHANNELS, Campaign, CampaignRun, Delivery
from app.extensions import db
from app.models_common import utcnow
from app.releases.floor import anonymity_floor, rounded_count, shown_count
from app.territories.context import current_territory
from app.territories.models import Territory
from app.territories.scoping import belongs
from app.timezones import local_date, local_midnight

PENDING_STATUSES = ("queued", "sending", "deferred")


def visible_value(count: int, territory: Territory) -> int:
    """The number a chart may draw: 0 under the floor, else the rounded count."""
    return 0 if count < anonymity_floor(territory) else max(rounded_count(count), anonymity_floor(territory))


@dataclass(frozen=True)
class Progress:
    queued: str
    sent: str
    failed: str
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
    return Progress(
        queued=shown_count(pending, territory),
        sent=shown_count(counts.get("sent", 0), territory),
        failed=shown_count(counts.get("failed", 0), territory),
        percent=percent,
        done=done,
    )


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
    delivered: str
    opened: str
    clicked: str
    delivered_value: int
    opened_value: int
    clicked_value: int


def channel_figures(campaign: Campaign, territory: Territory) -> list[ChannelFigures]:
    """Delivered, opened and clicked per channel, over all the campaign's runs."""
    rows = db.session.execute(
        select(
            Delivery.channel,
            func.sum(case((Delivery.status == "sent", 1), else_=0)),
            func.count(Delivery.opened_at),
            func.count(Delivery.clicked_at),
        )
        .where(Delivery.campaign_id == campaign.id)
        .group_by(Delivery.channel)
    ).all()
    by_channel = {channel: (int(d or 0), int(o or 0), int(c or 0)) for channel, d, o, c in rows}
    figures = []
    for channel in CHANNELS:
        if channel not in by_channel:
            continue
        delivered, opened, clicked = by_channel[channel]
        figures.append(
            ChannelFigures(
                channel=channel,
                delivered=shown_count(delivered, territory),
                opened=shown_count(opened, territory),
                clicked=shown_count(clicked, territory),
                delivered_value=visible_value(delivered, territory),
                opened_value=visible_value(opened, territory),
                clicked_value=visible_value(clicked, territory),
            )
        )
    return figures


def audience_shown(run: CampaignRun, territory: Territory) -> str:
    return shown_count(run.audience_size or 0, territory)


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
    """Three bars per channel: delivered, opened, clicked."""
    bar_width, gap, group_gap = 16.0, 4.0, 24.0
    values = [v for f in figures for v in (f.delivered_value, f.opened_value, f.clicked_value)]
    top = max(values, default=0)
    bars: list[Bar] = []
    x = group_gap / 2
    for f in figures:
        items = (
            ("delivered", f.delivered_value, f.delivered),
            ("opened", f.opened_value, f.opened),
            ("clicked", f.clicked_value, f.clicked),
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
    shown: str
    value: int


def weekly_delivered(actor: Actor, territory: Territory, now: datetime, weeks: int = 12) -> list[Week]:
    """Messages of the actor's campaigns delivered in each of the last ``weeks`` local weeks
    (Monday to Sunday, the current one last): one GROUP BY over a CASE of week boundaries."""
    today = local_date(now, territory)
    monday = today - timedelta(days=today.weekday())
    starts = [local_midnight(monday - timedelta(weeks=weeks - 1 - i), territory) for i in range(weeks)]
    end = local_midnight(monday + timedelta(weeks=1), territory)
    bucket = case(
        *((Delivery.sent_at < boundary, index) for index, boundary in enumerate(starts[1:] + [end])),
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
        )
        .group_by("week")
    ).all()
    counts = {int(week): int(n) for week, n in rows}
    return [
        Week(start=start, shown=shown_count(counts.get(i, 0), territory), value=visible_value(counts.get(i, 0), territory))
        for i, start in enumerate(starts)
    ]


def weekly_chart(weeks: list[Week]) -> Chart:
    bar_width, gap = 20.0, 6.0
    top = max((w.value for w in weeks), default=0)
    bars = []
    x = gap
    for week, (y, h) in zip(weeks, bar_geometry([w.value for w in weeks], top), strict=True):
        bars.append(Bar(x=x, y=y, width=bar_width, height=h, label=week.start.isoformat(), shown=week.shown))
        x += bar_width + gap
    return Chart(bars=bars, width=x, height=CHART_HEIGHT, max_shown=str(top))


@dashboard_part
def _deliveries_on_dashboard(actor: Actor) -> dict[str, Any]:
    """The dashboard's chart: what the actor's campaigns delivered, week by week."""
    weeks = weekly_delivered(actor, current_territory(), utcnow())
    return {"campaign_weeks": weeks, "campaign_chart": weekly_chart(weeks)}

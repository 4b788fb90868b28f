"""The platform's figures an action of the plan may follow: read now (its current value) and
when the action was created (its baseline). Figures drawn from people's behaviour (footfall,
campaign reach) are released figures (app.releases.engine), the town's admins asking; shares of
shops are not counts of people."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import format_number, format_percent
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from app.actors.models import Actor
from app.campaigns.stats import weekly_delivered
from app.extensions import db
from app.models_common import utcnow
from app.places.footfall import TOWN
from app.places.models import FootfallHour
from app.releases.engine import DAY, Asker, Question, release
from app.territories.models import Territory
from app.territories.scoping import belongs
from app.timezones import local_date

SHOP_KIND = "merchant"
FOOTFALL_DAYS = 28


@dataclass(frozen=True)
class Reading:
    value: float | None  # None: not known (under the anonymity floor, or nothing to measure)
    text: str


def _shops(territory: Territory) -> list[Actor]:
    return list(db.session.scalars(select(Actor).where(belongs(Actor, territory), Actor.kind == SHOP_KIND,
                                                       Actor.status == "verified")))


def _share(territory: Territory, keep: Callable[[Actor], bool]) -> Reading:
    shops = _shops(territory)
    if not shops:
        return Reading(None, _("no shop yet"))
    share = sum(1 for shop in shops if keep(shop)) / len(shops)
    return Reading(round(share * 100, 1), format_percent(share))


def shops_with_hours(territory: Territory, now: datetime | None = None) -> Reading:
    """Shops whose page gives opening hours (the platform keeps no date of their last edit, so
    "up to date" means given)."""
    return _share(territory, lambda shop: bool(shop.opening_hours))


def shops_collect_or_deliver(territory: Territory, now: datetime | None = None) -> Reading:
    return _share(territory, lambda shop: shop.click_and_collect or shop.delivers)


def town_footfall(territory: Territory, now: datetime | None = None) -> Reading:
    """Average number of people present in the town over the last four weeks' hours, released."""
    now = now or utcnow()
    last_day = local_date(now, territory) - timedelta(days=1)
    first_day = last_day - timedelta(days=FOOTFALL_DAYS - 1)

    def count() -> int:
        samples, presence = db.session.execute(
            select(func.sum(FootfallHour.samples), func.sum(FootfallHour.presence_sum)).where(
                belongs(FootfallHour, territory), FootfallHour.zone == TOWN,
                FootfallHour.local_date >= first_day, FootfallHour.local_date <= last_day)
        ).one()
        return round(int(presence or 0) / int(samples)) if samples else 0

    released = release(Asker.town(territory), Question("audit.footfall", (TOWN, FOOTFALL_DAYS), DAY, chosen=False),
                       count, now=now)
    return Reading(None if released.value is None else float(released.value), str(released))


def town_actor(territory: Territory) -> Actor | None:
    return db.session.scalars(select(Actor).where(belongs(Actor, territory), Actor.kind == "town_service",
                                                  Actor.status == "verified").order_by(Actor.id).limit(1)).first()


def campaign_reach(territory: Territory, now: datetime | None = None) -> Reading:
    """People the town's own campaigns reached last week (the town's first town-service page),
    as its campaign statistics release it."""
    actor = town_actor(territory)
    if actor is None:
        return Reading(None, _("the town has no page of its own"))
    weeks = weekly_delivered(actor, territory, now or utcnow(), weeks=2)
    released = weeks[0].released
    return Reading(None if released.value is None else float(released.value), str(released))


# code: (name, unit, reader)
INDICATORS: dict[str, tuple[object, object, Callable[[Territory], Reading]]] = {
    "footfall": (_l("Footfall in the town (average presence, last four weeks)"), _l("people"), town_footfall),
    "shops_hours": (_l("Share of shops with opening hours on their page"), "%", shops_with_hours),
    "shops_collect": (_l("Share of shops offering click-and-collect or delivery"), "%", shops_collect_or_deliver),
    "campaign_reach": (_l("Reach of the town's campaigns (people reached last week)"), _l("people"), campaign_reach),
}


def name_of(code: str) -> str:
    return str(INDICATORS[code][0]) if code in INDICATORS else ""


def read(territory: Territory, code: str) -> Reading:
    return INDICATORS[code][2](territory)


def choices() -> list[tuple[str, str]]:
    return [("", _("No indicator")), *((code, str(entry[0])) for code, entry in INDICATORS.items())]


def value_text(value: float | None) -> str:
    return format_number(value) if value is not None else "—"

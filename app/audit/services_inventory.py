"""The data inventory of the commerce audit: the town's own sources (stored, edited by the town)
and the platform's own sources (computed here, read-only).

The platform's figures:
- footfall by zone and hour: the observatory's own released table (app.observatory.services
  .footfall, the town's asker, the same questions in the same day: the same answers), summed up
  as each zone's busiest hour;
- shops (verified actors of the ``merchant`` kind) with opening hours, with an online page (a
  website, or a publication published in the last ``ONLINE_DAYS`` days), declaring
  click-and-collect, declaring delivery: counts of shops, not of people, so shown exactly as
  "x of y" and a percentage;
- campaign reach by neighbourhood: the people of each home neighbourhood who received at least
  one message of a campaign of the town in the last ``REACH_DAYS`` days. The campaign statistics
  (app.campaigns.stats) are per campaign and per actor, not per neighbourhood, so these figures
  are released here through the release engine (``release_many``, the town's asker, a day's
  window, no budget: the table is fixed): established people only, noise, the floor, rounding;
  a figure under the floor is hidden (empty, never 0), and the town's total never gives a hidden
  neighbourhood away by subtraction (app.observatory.tables.suppress)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from babel.numbers import NumberFormatError, parse_decimal
from flask_babel import format_date, format_number, format_percent, get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, distinct, func, or_, select

from app.accounts.models import User
from app.actors.models import Actor
from app.audit.journey import DEFAULT_STEPS
from app.audit.models_inventory import FORMATS, FRESHNESS, LEGAL_BASES, AuditDataSource
from app.campaigns.models import PERSONAL_KINDS, Campaign, Delivery
from app.extensions import db
from app.models_common import utcnow
from app.observatory import services as observatory
from app.observatory.tables import Line, suppress
from app.publications.models import Publication
from app.releases.engine import DAY, Asker, Question, established, release_many
from app.releases.floor import anonymity_floor
from app.territories.models import Neighbourhood, Territory
from app.territories.scoping import belongs, get_in, scoped
from app.timezones import local_date

SHOP_KINDS = ("merchant",)
ONLINE_DAYS = 90  # a shop with a publication published within these days has an online page
REACH_DAYS = 30  # campaign reach: people reached in these last days
FOOTFALL_DAYS = observatory.DEFAULT_PERIOD
NO_HOOD = "none"
TOWN = "town"

FORMAT_LABELS = {
    "csv": _l("CSV file"), "api": _l("API"), "spreadsheet": _l("Spreadsheet"), "database": _l("Database"),
    "paper": _l("Paper"), "sensor": _l("Sensor feed"), "other": _l("Other"),
}
FRESHNESS_LABELS = {
    "real_time": _l("Real time"), "daily": _l("Daily"), "weekly": _l("Weekly"), "monthly": _l("Monthly"),
    "yearly": _l("Yearly"), "one_off": _l("One-off"),
}
LEGAL_BASIS_LABELS = {
    "none": _l("None needed: no personal data"), "consent": _l("Consent"), "contract": _l("Contract"),
    "legal_obligation": _l("Legal obligation"), "public_task": _l("Public task"),
    "legitimate_interest": _l("Legitimate interest"),
}
assert set(FORMAT_LABELS) == set(FORMATS) and set(FRESHNESS_LABELS) == set(FRESHNESS)
assert set(LEGAL_BASIS_LABELS) == set(LEGAL_BASES)
STEP_LABELS = dict(DEFAULT_STEPS)


def step_label(code: str) -> str:
    return str(STEP_LABELS.get(code, code))


# --- the town's sources -----------------------------------------------------------------------------


def town_sources(territory: Territory, step: str | None = None) -> list[AuditDataSource]:
    sources = list(db.session.scalars(
        scoped(AuditDataSource, territory).order_by(AuditDataSource.name, AuditDataSource.id)))
    if step:
        sources = [source for source in sources if step in source.steps]
    return sources


def get_source(territory: Territory, source_id: int) -> AuditDataSource | None:
    return get_in(AuditDataSource, source_id, territory)


FIELDS = ("name", "owner", "measures", "format", "freshness", "last_updated", "legal_basis", "legal_note",
          "personal_data", "open_data", "open_data_url", "steps", "notes")


def save_source(territory: Territory, data: dict[str, Any], source: AuditDataSource | None = None) -> AuditDataSource:
    """Create (``source`` None) or update a source from a validated form's data."""
    if source is None:
        source = AuditDataSource(territory_id=territory.id)
        db.session.add(source)
    for name in FIELDS:
        value = data.get(name)
        if isinstance(value, str):
            value = value.strip()
        setattr(source, name, value if value is not None or name == "last_updated" else "")
    if not source.open_data:
        source.open_data_url = ""
    db.session.commit()
    return source


def delete_source(source: AuditDataSource) -> None:
    db.session.delete(source)
    db.session.commit()


# --- the platform's sources -------------------------------------------------------------------------


@dataclass(frozen=True)
class Figure:
    label: str
    value: str | None  # None: hidden under the floor, or no data (shown empty, never 0)


@dataclass(frozen=True)
class PlatformSource:
    code: str
    name: str
    measures: str
    freshness: str
    as_of: date
    steps: tuple[str, ...]
    how: str  # how it is counted, in a sentence
    figures: tuple[Figure, ...] = field(default_factory=tuple)
    owner: str = ""
    format: str = ""
    legal_basis: str = ""
    personal_data: bool = False


def _shops(territory: Territory) -> Any:
    return and_(belongs(Actor, territory), Actor.kind.in_(SHOP_KINDS), Actor.status == "verified")


@dataclass(frozen=True)
class ShopShares:
    shops: int
    with_hours: int
    online: int
    click_and_collect: int
    delivers: int


def shop_shares(territory: Territory, now: datetime | None = None) -> ShopShares:
    """Counts of verified shops: all, with opening hours, with an online page, declaring
    click-and-collect, declaring delivery (counts of shops, not of people)."""
    now = now or utcnow()
    recent = select(Publication.actor_id).where(
        belongs(Publication, territory), Publication.status == "published",
        Publication.moderated_at.is_(None), Publication.published_at >= now - timedelta(days=ONLINE_DAYS))
    has_hours = and_(Actor.opening_hours_json != "", Actor.opening_hours_json != "{}")
    online = or_(Actor.website != "", Actor.id.in_(recent))

    def count(*criteria: Any) -> int:
        return int(db.session.scalar(select(func.count()).select_from(Actor).where(_shops(territory), *criteria)) or 0)

    return ShopShares(shops=count(), with_hours=count(has_hours), online=count(online),
                      click_and_collect=count(Actor.click_and_collect.is_(True)),
                      delivers=count(Actor.delivers.is_(True)))


def x_of_y(part: int, whole: int) -> str:
    if not whole:
        return _("no verified shop yet")
    return _("%(part)s of %(whole)s shops (%(percent)s)", part=format_number(part), whole=format_number(whole),
             percent=format_percent(part / whole))


def _as_number(text: str) -> float | None:
    try:
        return float(parse_decimal(text, locale=get_locale()))
    except (NumberFormatError, ValueError):
        return None


def footfall_figures(territory: Territory, now: datetime | None = None) -> list[Figure]:
    """Each zone's busiest hour, from the observatory's released footfall table (the same cells
    the observatory shows; a hidden cell stays hidden)."""
    section = observatory.footfall(territory, Asker.town(territory), FOOTFALL_DAYS, now)
    figures = []
    for index, zone in enumerate(section.table.columns):
        cells = [(row.label, row.cells[index]) for row in section.table.rows if row.cells[index]]
        numbered = [(hour, text, _as_number(text)) for hour, text in cells]
        numbered = [item for item in numbered if item[2] is not None]
        if not numbered:
            figures.append(Figure(_("%(zone)s: busiest hour", zone=zone), None))
            continue
        hour, text, _value = max(numbered, key=lambda item: item[2] or 0)
        figures.append(Figure(_("%(zone)s: busiest hour", zone=zone),
                              _("%(hour)s, %(people)s people present on average", hour=hour, people=text)))
    return figures


def _reach_counts(territory: Territory, now: datetime) -> dict[str, int]:
    """People of each home neighbourhood (and of the whole town) who received at least one
    message of a campaign of the town in the last REACH_DAYS days: established people only."""
    since = now - timedelta(days=REACH_DAYS)
    reached = (
        select(Delivery.user_id)
        .join(Campaign, Campaign.id == Delivery.campaign_id)
        .where(belongs(Delivery, territory), Delivery.status == "sent", Delivery.sent_at >= since,
               Campaign.schedule_kind.not_in(PERSONAL_KINDS), Delivery.user_id.is_not(None))
    )
    rows = db.session.execute(
        select(User.neighbourhood_id, func.count(distinct(User.id)))
        .where(belongs(User, territory), established(territory, now), User.id.in_(reached))
        .group_by(User.neighbourhood_id)
    ).all()
    counts = {(str(hood) if hood is not None else NO_HOOD): int(n) for hood, n in rows}
    counts[TOWN] = sum(counts.values())
    return counts


def reach_by_neighbourhood(territory: Territory, now: datetime | None = None) -> list[Figure]:
    """People reached by the town's campaigns, by home neighbourhood and for the whole town,
    released (hidden: empty, never 0)."""
    now = now or utcnow()
    hoods = list(db.session.scalars(scoped(Neighbourhood, territory).order_by(Neighbourhood.name, Neighbourhood.id)))
    keys = [*(str(hood.id) for hood in hoods), NO_HOOD, TOWN]
    labels = [*(hood.name for hood in hoods), _("No neighbourhood given"), _("Whole town")]
    questions = {key: Question("audit.campaign_reach", (key, REACH_DAYS), DAY, chosen=False) for key in keys}
    key_of = {question: key for key, question in questions.items()}
    exact: dict[str, int] = {}

    def counts(missing: list[Question]) -> dict[Question, int]:
        if not exact:
            exact.update(_reach_counts(territory, now))
        return {question: exact.get(key_of[question], 0) for question in missing}

    released = release_many(Asker.town(territory), list(questions.values()), counts, now=now)
    values = {key: released[question].value for key, question in questions.items()}
    shown = suppress(values, [Line(values[TOWN], tuple(keys[:-1]))], anonymity_floor(territory))
    return [Figure(label, None if shown[key] is None else format_number(shown[key]))
            for key, label in zip(keys, labels, strict=True)]


def platform_sources(territory: Territory, now: datetime | None = None) -> list[PlatformSource]:
    now = now or utcnow()
    today = local_date(now, territory)
    shares = shop_shares(territory, now)
    platform = _("The platform")
    computed = _("Computed by the platform")
    return [
        PlatformSource(
            "footfall", _("Footfall by zone and hour"),
            _("Average number of people present, by zone and hour of the day, over the last %(days)d days.",
              days=FOOTFALL_DAYS),
            str(FRESHNESS_LABELS["daily"]), today - timedelta(days=1), ("get_there", "find_shop"),
            _("The observatory's released figures (people who share their live location, counted with noise "
              "and never under the anonymity floor)."),
            tuple(footfall_figures(territory, now)), platform, computed, str(LEGAL_BASIS_LABELS["consent"]), True),
        PlatformSource(
            "opening_hours", _("Shops with opening hours"),
            _("Verified shops whose page gives their opening hours."),
            str(FRESHNESS_LABELS["real_time"]), today, ("plan_trip", "find_shop"),
            _("Counts of shops (not of people): shown exactly."),
            (Figure(_("With opening hours"), x_of_y(shares.with_hours, shares.shops)),),
            platform, computed, str(LEGAL_BASIS_LABELS["none"])),
        PlatformSource(
            "online_page", _("Shops with an online page"),
            _("Verified shops with a website, or a publication published in the last %(days)d days.",
              days=ONLINE_DAYS),
            str(FRESHNESS_LABELS["real_time"]), today, ("find_online",),
            _("Counts of shops (not of people): shown exactly."),
            (Figure(_("With an online page"), x_of_y(shares.online, shares.shops)),),
            platform, computed, str(LEGAL_BASIS_LABELS["none"])),
        PlatformSource(
            "click_and_collect", _("Click-and-collect offers"),
            _("Verified shops declaring click-and-collect on their page."),
            str(FRESHNESS_LABELS["real_time"]), today, ("collect",),
            _("Counts of shops (not of people): shown exactly."),
            (Figure(_("Offering click-and-collect"), x_of_y(shares.click_and_collect, shares.shops)),),
            platform, computed, str(LEGAL_BASIS_LABELS["none"])),
        PlatformSource(
            "delivery", _("Delivery offers"),
            _("Verified shops declaring delivery on their page."),
            str(FRESHNESS_LABELS["real_time"]), today, ("delivery",),
            _("Counts of shops (not of people): shown exactly."),
            (Figure(_("Offering delivery"), x_of_y(shares.delivers, shares.shops)),),
            platform, computed, str(LEGAL_BASIS_LABELS["none"])),
        PlatformSource(
            "campaign_reach", _("Campaign reach by neighbourhood"),
            _("People reached by at least one campaign message in the last %(days)d days, by home neighbourhood.",
              days=REACH_DAYS),
            str(FRESHNESS_LABELS["daily"]), today, ("find_online", "after_sale"),
            _("Released figures (noise, rounding to 10, nothing under the anonymity floor: a hidden figure is "
              "left empty)."),
            tuple(reach_by_neighbourhood(territory, now)), platform, computed,
            str(LEGAL_BASIS_LABELS["consent"]), True),
    ]


# --- coverage ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StepCoverage:
    code: str
    name: str
    town: tuple[AuditDataSource, ...]
    platform: tuple[PlatformSource, ...]

    @property
    def uncovered(self) -> bool:
        return not self.town and not self.platform


def coverage(territory: Territory, sources: Iterable[AuditDataSource],
             platform: Iterable[PlatformSource]) -> list[StepCoverage]:
    """For each step of the journey, the sources that inform it; a step with none is what the
    town lacks."""
    sources, platform = list(sources), list(platform)
    return [
        StepCoverage(code, str(name), tuple(s for s in sources if code in s.steps),
                     tuple(p for p in platform if code in p.steps))
        for code, name in DEFAULT_STEPS
    ]


# --- export ---------------------------------------------------------------------------------------------


def _yes_no(value: bool) -> str:
    return _("yes") if value else _("no")


def inventory_rows(territory: Territory, now: datetime | None = None) -> list[list[str]]:
    """The whole inventory as rows (a header first): the town's sources, then the platform's,
    for the CSV here and the audit's spreadsheet. The platform's hidden figures stay empty."""
    header = [_("Source"), _("Filled in by"), _("Owner"), _("What it measures"), _("Format"), _("Freshness"),
              _("Last update"), _("Legal basis (GDPR)"), _("Legal basis note"), _("Personal data"), _("Open data"),
              _("Open data address"), _("Journey steps"), _("Notes"), _("Figures")]
    rows = [header]
    for s in town_sources(territory):
        rows.append([
            s.name, _("the town"), s.owner, s.measures, str(FORMAT_LABELS.get(s.format, s.format)),
            str(FRESHNESS_LABELS.get(s.freshness, s.freshness)),
            format_date(s.last_updated) if s.last_updated else "",
            str(LEGAL_BASIS_LABELS.get(s.legal_basis, s.legal_basis)), s.legal_note, _yes_no(s.personal_data),
            _yes_no(s.open_data), s.open_data_url, "; ".join(step_label(c) for c in s.steps), s.notes, "",
        ])
    for p in platform_sources(territory, now):
        rows.append([
            p.name, _("the platform"), p.owner, p.measures, p.format, p.freshness, format_date(p.as_of),
            p.legal_basis, p.how, _yes_no(p.personal_data), _yes_no(False), "",
            "; ".join(step_label(c) for c in p.steps), "",
            "; ".join(f"{f.label}: {f.value or ''}" for f in p.figures),
        ])
    return rows


def _safe(text: str) -> str:
    """No cell starts like a formula (CSV injection in spreadsheets): the town's text is free."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def inventory_csv(territory: Territory, now: datetime | None = None) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(
        [_safe(cell) for cell in row] for row in inventory_rows(territory, now))
    return out.getvalue()

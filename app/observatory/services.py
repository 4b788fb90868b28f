"""The observatory of needs: who lives here and who passes through, what people care about, and
footfall, as tables, charts and CSV files, for the town's admins and (the parts the town
publishes) for everyone.

Every figure is a release (app.releases.engine): ``Asker.town`` for the admins, ``Asker.public``
for the published page. The tables are fixed, not chosen by the asker, so each figure is a
question with ``chosen=False`` and a DAY window: the same figure is answered the same way all day
and costs no budget. Profiles count only for people who gave the profile-targeting consent.
Shares are computed from released counts only, and a total never lets a reader subtract visible
cells to find a hidden one (app.observatory.tables.suppress)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache
from typing import TypeVar

from flask_babel import format_date, format_number, format_percent
from flask_babel import gettext as _
from sqlalchemy import func, select

from app.accounts.models import User, UserHashtag
from app.campaigns.criteria import consent_condition
from app.charts import BarChart, Point, Series, bar_chart
from app.extensions import db
from app.models_common import utcnow
from app.observatory.tables import EMPTY, Line, Row, Table, cells_of, suppress
from app.places.footfall import TOWN, population_zone
from app.places.models import FootfallHour
from app.polls.answers import is_closed
from app.polls.results import PollOverTime, over_time, town_polls
from app.releases.engine import DAY, PUBLIC, Asker, Question, established, release_many
from app.releases.floor import anonymity_floor
from app.territories.models import (
    POPULATION_LABELS,
    POPULATION_TYPES,
    Hashtag,
    Neighbourhood,
    Territory,
)
from app.territories.scoping import belongs, scoped
from app.timezones import local_date

MIX, HASHTAGS, FOOTFALL, CONSULTATIONS = "mix", "hashtags", "footfall", "consultations"
SECTIONS = (MIX, HASHTAGS, FOOTFALL, CONSULTATIONS)
TABLES = {"mix-neighbourhoods": MIX, "mix-months": MIX, "hashtags": HASHTAGS, "footfall": FOOTFALL}
PERIODS = (7, 30, 90)  # days of footfall a reader may choose
DEFAULT_PERIOD = 30
MONTHS = 12
NO_HOOD = "none"
ALL = "all"
K = TypeVar("K", bound=Hashable)


# --- what the town publishes ----------------------------------------------------------------------


def published_sections(territory: Territory) -> tuple[str, ...]:
    chosen = set((territory.observatory_public or "").split(","))
    return tuple(section for section in SECTIONS if section in chosen)


def set_published_sections(territory: Territory, sections: Iterable[str]) -> None:
    chosen = set(sections)
    territory.observatory_public = ",".join(section for section in SECTIONS if section in chosen)
    db.session.commit()


def period_of(raw: str | None) -> int:
    """The footfall period asked for in the address, one of ``PERIODS``; anything else: the default."""
    try:
        days = int(raw or DEFAULT_PERIOD)
    except ValueError:
        return DEFAULT_PERIOD
    return days if days in PERIODS else DEFAULT_PERIOD


# --- figures ----------------------------------------------------------------------------------------


def _figures(asker: Asker, kind: str, wanted: dict[K, tuple[Hashable, ...]],
             count: Callable[[K], int]) -> dict[K, int | None]:
    """Released figures of the observatory (None: under the floor), one per key of ``wanted``
    (its question's parts), through one ``release_many``: one read of the day's stored answers,
    and ``count(key)`` only for the figures not released yet today. A page asks hundreds."""
    questions = {key: Question(f"observatory.{kind}", tuple(parts), DAY, chosen=False) for key, parts in wanted.items()}
    key_of = {question: key for key, question in questions.items()}
    released = release_many(asker, list(questions.values()),
                            lambda missing: {question: count(key_of[question]) for question in missing})
    return {key: released[question].value for key, question in questions.items()}


def _number(value: int | None) -> str | None:
    return None if value is None else format_number(value)


def _share(part: int | None, whole: int | None) -> float | None:
    """A share of released counts (noise may put a part above its whole: at most 100 %)."""
    if part is None or not whole:
        return None
    return min(1.0, round(part / whole, 2))


def _percent(share: float | None) -> str | None:
    return None if share is None else format_percent(share)


def _point(value: int | None, shown: str | None) -> Point:
    """A chart's point: hidden and missing are drawn alike, as the tables show them alike."""
    return Point(value, shown or EMPTY, EMPTY)


def _people(territory: Territory) -> list:  # type: ignore[type-arg]
    """Who a profile figure counts: established accounts of this territory with the consent."""
    return [belongs(User, territory), established(territory), consent_condition()]


def _neighbourhoods(territory: Territory) -> list[Neighbourhood]:
    return list(db.session.scalars(scoped(Neighbourhood, territory).order_by(Neighbourhood.name, Neighbourhood.id)))


def _type_labels() -> tuple[str, ...]:
    return tuple(str(POPULATION_LABELS[kind]) for kind in POPULATION_TYPES)


def _today(territory: Territory, now: datetime | None) -> date:
    return local_date(now or utcnow(), territory)


# --- who lives here and who passes through ---------------------------------------------------------


@dataclass(frozen=True)
class MixSection:
    by_neighbourhood: Table
    by_month: Table
    types_chart: BarChart
    months_chart: BarChart


def town_by_type(territory: Territory, asker: Asker,
                 counts: Callable[[], dict[tuple[str, str], int]] | None = None) -> dict[str, int | None]:
    """People by population type in the whole town (released): the mix's column totals and the
    base of the hashtags' shares, the same figures in both."""
    counts = counts or cache(lambda: _mix_counts(territory))
    return _figures(asker, "mix", {kind: ("town", kind) for kind in POPULATION_TYPES},
                    lambda kind: sum(n for (_hood, k), n in counts().items() if k == kind))


def _mix_counts(territory: Territory) -> dict[tuple[str, str], int]:
    rows = db.session.execute(
        select(User.neighbourhood_id, User.population_type, func.count())
        .where(*_people(territory), User.population_type.in_(POPULATION_TYPES))
        .group_by(User.neighbourhood_id, User.population_type)
    ).all()
    return {(str(hood) if hood is not None else NO_HOOD, str(kind)): int(n) for hood, kind, n in rows}


def mix(territory: Territory, asker: Asker, now: datetime | None = None) -> MixSection:
    floor = anonymity_floor(territory)
    hoods = _neighbourhoods(territory)
    row_keys = [*(str(hood.id) for hood in hoods), NO_HOOD]
    row_labels = [*(hood.name for hood in hoods), _("No neighbourhood given")]
    counts = cache(lambda: _mix_counts(territory))  # counted only if a figure is not released yet
    cells = _figures(asker, "mix", {(h, kind): (h, kind) for h in row_keys for kind in POPULATION_TYPES},
                     lambda key: counts().get(key, 0))
    row_totals = _figures(asker, "mix", {h: (h, ALL) for h in row_keys},
                          lambda h: sum(counts().get((h, k), 0) for k in POPULATION_TYPES))
    column_totals = town_by_type(territory, asker, counts)
    shown = suppress(cells, [
        *(Line(row_totals[h], tuple((h, k) for k in POPULATION_TYPES)) for h in row_keys),
        *(Line(column_totals[k], tuple((h, k) for h in row_keys)) for k in POPULATION_TYPES),
    ], floor)
    rows = [
        Row(label, cells_of([*(_number(shown[(h, k)]) for k in POPULATION_TYPES), _number(row_totals[h])]))
        for h, label in zip(row_keys, row_labels, strict=True)
    ]
    rows.append(Row(_("Whole town"), cells_of([*(_number(column_totals[k]) for k in POPULATION_TYPES), None]),
                    emphasis=True))
    by_neighbourhood = Table(
        id="mix-neighbourhoods", caption=_("People by home neighbourhood and population type"),
        row_heading=_("Neighbourhood"), columns=(*_type_labels(), _("All types")), rows=tuple(rows),
    )
    types_chart = bar_chart(
        "obs-types", _("People by population type, whole town"), _type_labels(),
        [Series(_("People"), tuple(_point(column_totals[k], _number(column_totals[k])) for k in POPULATION_TYPES))],
        category_heading=_("Population type"), value_label=_("people"),
    )
    by_month, months_chart = _months(territory, asker, floor, now)
    return MixSection(by_neighbourhood, by_month, types_chart, months_chart)


def _month_starts(today: date) -> list[date]:
    """The first days of the last ``MONTHS`` months, this one included, oldest first."""
    starts = [today.replace(day=1)]
    while len(starts) < MONTHS:
        first = starts[-1]
        starts.append((first - timedelta(days=1)).replace(day=1))
    return starts[::-1]


def _months(territory: Territory, asker: Asker, floor: int, now: datetime | None) -> tuple[Table, BarChart]:
    """Average presence in the town each month, by population type and in all (the footfall's
    sums: an average of the snapshots, so a person present all month counts as one)."""
    starts = _month_starts(_today(territory, now))
    zones = [population_zone(kind) for kind in POPULATION_TYPES]
    rows = db.session.execute(
        select(FootfallHour.zone, FootfallHour.local_date, FootfallHour.samples, FootfallHour.presence_sum)
        .where(belongs(FootfallHour, territory), FootfallHour.local_date >= starts[0],
               FootfallHour.zone.in_([TOWN, *zones]))
    ).all()
    sums: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    for zone_key, day, samples, presence in rows:
        total = sums[(day.strftime("%Y-%m"), zone_key)]
        total[0] += samples
        total[1] += presence

    def averages(keys: list[tuple[str, str]]) -> dict[tuple[str, str], int | None]:
        # No snapshot: nothing to say, shown as an empty cell like a hidden one.
        released = _figures(asker, "presence_month", {key: key for key in keys if sums.get(key, (0, 0))[0]},
                            lambda key: round(sums[key][1] / sums[key][0]))
        return {key: released.get(key) for key in keys}

    # From the first month with footfall (the months before it have no figure at all).
    with_data = {month for month, _zone in sums}
    first = next((i for i, start in enumerate(starts) if start.strftime("%Y-%m") in with_data), len(starts) - 1)
    starts = starts[first:]
    months = [start.strftime("%Y-%m") for start in starts]
    values = averages([(m, z) for m in months for z in zones])
    everyone = {m: value for (m, _town), value in averages([(m, TOWN) for m in months]).items()}
    shown = suppress(values, [Line(everyone[m], tuple((m, z) for z in zones)) for m in months], floor)
    labels = [format_date(start, "MMMM y") for start in starts]
    table = Table(
        id="mix-months", caption=_("Average number of people present in the town each month, by population type"),
        row_heading=_("Month"), columns=(*_type_labels(), _("Everyone present")),
        rows=tuple(
            Row(label, cells_of([*(_number(shown[(m, z)]) for z in zones), _number(everyone[m])]))
            for m, label in zip(months, labels, strict=True)
        ),
    )
    chart = bar_chart(
        "obs-months", _("Average number of people present in the town, by month"),
        [format_date(start, "MMM") for start in starts],
        [Series(_("Everyone present"), tuple(_point(everyone[m], _number(everyone[m])) for m in months))],
        category_heading=_("Month"), value_label=_("people present"),
    )
    return table, chart


# --- what people care about -------------------------------------------------------------------------


@dataclass(frozen=True)
class HashtagSection:
    table: Table
    chart: BarChart


def hashtags(territory: Territory, asker: Asker) -> HashtagSection:
    tags = list(db.session.scalars(scoped(Hashtag, territory, Hashtag.active.is_(True)).order_by(Hashtag.tag)))
    @cache
    def counts() -> dict[tuple[int, str], int]:  # counted only if a figure is not released yet
        rows = db.session.execute(
            select(UserHashtag.hashtag_id, User.population_type, func.count())
            .join(User, User.id == UserHashtag.user_id)
            .where(*_people(territory), UserHashtag.hashtag_id.in_([tag.id for tag in tags]))
            .group_by(UserHashtag.hashtag_id, User.population_type)
        ).all()
        found: dict[tuple[int, str], int] = defaultdict(int)
        for tag_id, kind, n in rows:
            if kind in POPULATION_TYPES:
                found[(tag_id, kind)] += n
            found[(tag_id, ALL)] += n
        return found

    town = town_by_type(territory, asker)
    everyone = _figures(asker, "people", {ALL: (ALL,)}, lambda _all: int(
        db.session.scalar(select(func.count()).select_from(User).where(*_people(territory))) or 0))
    bases = {**town, ALL: everyone[ALL]}
    keys = (*POPULATION_TYPES, ALL)
    released = _figures(asker, "hashtag", {(tag.id, k): (tag.id, k) for tag in tags for k in keys},
                        lambda key: counts().get(key, 0))
    shares = {(tag.id, k): _share(released[(tag.id, k)], bases[k]) for tag in tags for k in keys}
    table_rows = [Row(tag.label, cells_of([_percent(shares[(tag.id, k)]) for k in keys])) for tag in tags]
    table_rows.append(Row(_("People counted (the base of the shares)"),
                          cells_of([_number(bases[k]) for k in keys]), emphasis=True))
    table = Table(
        id="hashtags", caption=_("Share of people who follow each hashtag, by population type"),
        row_heading=_("Hashtag"), columns=(*_type_labels(), _("Everyone")), rows=tuple(table_rows),
    )
    chart = bar_chart(
        "obs-hashtags", _("Share of people who follow each hashtag, everyone"), [tag.label for tag in tags],
        [Series(_("Everyone"), tuple(
            _point(None if shares[(tag.id, ALL)] is None else round(100 * shares[(tag.id, ALL)]),
                   _percent(shares[(tag.id, ALL)]))
            for tag in tags
        ))],
        category_heading=_("Hashtag"), value_label=_("per cent of people"),
    )
    return HashtagSection(table, chart)


# --- footfall ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FootfallSection:
    days: int
    first_day: date
    last_day: date
    table: Table
    charts: tuple[BarChart, ...]

    @property
    def period_text(self) -> tuple[str, str]:
        return format_date(self.first_day), format_date(self.last_day)


def hour_label(hour: int) -> str:
    return f"{hour:02d}:00"


def footfall(territory: Territory, asker: Asker, days: int = DEFAULT_PERIOD,
             now: datetime | None = None) -> FootfallSection:
    """Average presence by zone (the town, each neighbourhood) and hour of the day, over the
    last ``days`` whole days (today is not over: the figures stand for the day)."""
    floor = anonymity_floor(territory)
    last_day = _today(territory, now) - timedelta(days=1)
    first_day = last_day - timedelta(days=days - 1)
    hoods = _neighbourhoods(territory)
    zones = [TOWN, *(f"hood-{hood.id}" for hood in hoods)]
    names = [_("Whole town"), *(hood.name for hood in hoods)]
    rows = db.session.execute(
        select(FootfallHour.zone, FootfallHour.hour, func.sum(FootfallHour.samples),
               func.sum(FootfallHour.presence_sum))
        .where(belongs(FootfallHour, territory), FootfallHour.local_date >= first_day,
               FootfallHour.local_date <= last_day, FootfallHour.zone.in_(zones))
        .group_by(FootfallHour.zone, FootfallHour.hour)
    ).all()
    sums = {(str(zone_key), int(hour)): (int(samples or 0), int(presence or 0))
            for zone_key, hour, samples, presence in rows}

    keys = [(z, h) for z in zones for h in range(24)]
    released = _figures(asker, "footfall", {(z, h): (z, days, h) for z, h in keys if sums.get((z, h), (0, 0))[0]},
                        lambda key: round(sums[key][1] / sums[key][0]))
    values = {key: released.get(key) for key in keys}
    # The town's figure is shown: it must not give away a hidden neighbourhood's by subtraction.
    shown = suppress(values, [Line(values[(TOWN, h)], tuple((z, h) for z in zones[1:])) for h in range(24)], floor)
    table = Table(
        id="footfall", caption=_("Average number of people present by hour of the day, by zone"),
        row_heading=_("Hour"), columns=tuple(names),
        rows=tuple(Row(hour_label(h), cells_of([_number(shown[(z, h)]) for z in zones])) for h in range(24)),
    )
    charts = tuple(
        bar_chart(
            f"obs-footfall-{z}", _("Average presence by hour: %(zone)s", zone=name), [hour_label(h) for h in range(24)],
            [Series(_("People present"), tuple(_point(shown[(z, h)], _number(shown[(z, h)])) for h in range(24)))],
            category_heading=_("Hour"), value_label=_("people present"),
        )
        for z, name in zip(zones, names, strict=True)
    )
    return FootfallSection(days, first_day, last_day, table, charts)


# --- the whole observatory ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Observatory:
    sections: tuple[str, ...]
    mix: MixSection | None
    hashtags: HashtagSection | None
    footfall: FootfallSection | None
    consultations: list[PollOverTime] | None = None

    def tables(self) -> dict[str, Table]:
        found: dict[str, Table] = {}
        if self.mix:
            found.update({t.id: t for t in (self.mix.by_neighbourhood, self.mix.by_month)})
        if self.hashtags:
            found[self.hashtags.table.id] = self.hashtags.table
        if self.footfall:
            found[self.footfall.table.id] = self.footfall.table
        return found


def observatory(territory: Territory, asker: Asker, sections: Iterable[str], days: int = DEFAULT_PERIOD,
                now: datetime | None = None) -> Observatory:
    """The parts ``sections`` of the observatory, as ``asker`` may see them."""
    chosen = tuple(section for section in SECTIONS if section in set(sections))
    return Observatory(
        sections=chosen,
        mix=mix(territory, asker, now) if MIX in chosen else None,
        hashtags=hashtags(territory, asker) if HASHTAGS in chosen else None,
        footfall=footfall(territory, asker, days, now) if FOOTFALL in chosen else None,
        consultations=consultations(territory, asker, now) if CONSULTATIONS in chosen else None,
    )


def consultations(territory: Territory, asker: Asker, now: datetime | None = None) -> list[PollOverTime]:
    """The town's latest polls, how many people answered each week (app.polls.results: the same
    released figures the poll's own results show). The public sees the polls whose results are
    public (live, or closed)."""
    polls = town_polls(territory)
    if asker.kind == PUBLIC:
        polls = [p for p in polls if p.poll_results == "live" or is_closed(p, now)]
    return [over_time(p, territory, now) for p in polls if not p.survey_url]


def table(territory: Territory, asker: Asker, table_id: str, days: int = DEFAULT_PERIOD,
          now: datetime | None = None) -> Table | None:
    """One table (for its CSV), computed as the page computes it; None: no such table."""
    section = TABLES.get(table_id)
    if section is None:
        return None
    return observatory(territory, asker, (section,), days, now).tables().get(table_id)

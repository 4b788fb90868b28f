"""Audience criteria: who a campaign goes to, described by rules, never by names.

A campaign's criteria are stored as JSON in ``Campaign.criteria_json``::

    {"match": "all", "rules": [
        {"kind": "hashtags", "ids": [3, 7], "mode": "any"},   # or "all"
        {"kind": "followers"},
        {"kind": "neighbourhoods", "ids": [2]},
        {"kind": "population", "types": ["resident"]},
        {"kind": "language", "codes": ["fr"]},
        {"kind": "present_in_zone", "zone": {GeoJSON Polygon}},   # or "lat", "lon", "radius_m"
        {"kind": "lives_in_zone", "zone": {GeoJSON Polygon}}]}

Rules combine with AND; the values inside one rule with OR (hashtags: any or all of them).

Each kind is a class registered in ``RULE_KINDS`` (parse / condition / describe).

``recipients_query`` turns criteria into one ``SELECT user_account.id``: a filter on the
territory's people with EXISTS / IN subqueries on indexed columns, so that counting an audience
(app.campaigns.audience) and materialising deliveries (INSERT ... SELECT, app.delivery) use the
same SQL and never load people into Python.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import ColumnElement, Select, and_, func, literal, or_, select, text

from app import geo
from app.accounts.consents import LIVE_LOCATION, PROFILE_TARGETING
from app.accounts.models import Consent, User, UserHashtag
from app.actors.models import Follow
from app.extensions import db
from app.i18n import LANGUAGE_NAMES
from app.notifications.models import Mute
from app.places.live import present_user_ids_query
from app.places.residence import resident_user_ids_query
from app.territories.models import POPULATION_TYPES, Hashtag, Neighbourhood, Territory
from app.territories.scoping import belongs
from app.territories.services import check_area, in_territory

MAX_IDS = 200  # more values than this in one rule is not a real choice
MAX_ID = 2**63 - 1  # ids are database integers: a bigger number is no id (and cannot be bound)


class CriteriaError(ValueError):
    """Criteria that cannot be used; ``message`` is translated, ``kind`` names the rule at fault."""

    def __init__(self, message: str, kind: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.kind = kind


@dataclass(frozen=True)
class QueryContext:
    """What a rule's condition may refer to."""

    territory: Territory
    actor_id: int


class Rule:
    """One kind of criterion. Subclasses set ``kind`` and ``profile_based`` and implement
    ``parse`` (from JSON data, validated against the territory), ``condition`` (an SQL condition
    on ``user_account.id`` and its columns), ``describe`` and ``to_json``."""

    kind: ClassVar[str]
    # Rules on what a person told about themselves only match people who consented to it.
    profile_based: ClassVar[bool] = True

    @classmethod
    def parse(cls, data: Mapping[str, Any], territory: Territory) -> Rule:
        raise NotImplementedError

    def condition(self, ctx: QueryContext) -> ColumnElement[bool]:
        raise NotImplementedError

    def describe(self) -> str:
        raise NotImplementedError

    def to_json(self) -> dict[str, Any]:
        raise NotImplementedError

    # hashtags this rule is about: a person who muted one of them is left out
    def hashtag_ids(self) -> tuple[int, ...]:
        return ()


RULE_KINDS: dict[str, type[Rule]] = {}


def register_rule(cls: type[Rule]) -> type[Rule]:
    RULE_KINDS[cls.kind] = cls
    return cls


def _int_ids(data: Mapping[str, Any], key: str, kind: str) -> tuple[int, ...]:
    raw = data.get(key) or []
    if isinstance(raw, (str, int)):
        raw = [raw]
    try:
        ids = tuple(sorted({int(value) for value in raw}))
    except (TypeError, ValueError, OverflowError):
        raise CriteriaError(_("The criteria are malformed."), kind) from None
    if any(not 0 < value <= MAX_ID for value in ids):
        raise CriteriaError(_("The criteria are malformed."), kind)
    if len(ids) > MAX_IDS:
        raise CriteriaError(_("Too many values in one criterion."), kind)
    return ids


def _strings(data: Mapping[str, Any], key: str, kind: str) -> tuple[str, ...]:
    raw = data.get(key) or []
    if isinstance(raw, str):
        raw = [raw]
    if not isinstance(raw, (list, tuple)) or not all(isinstance(v, str) for v in raw):
        raise CriteriaError(_("The criteria are malformed."), kind)
    return tuple(sorted(set(raw)))


@register_rule
@dataclass(frozen=True)
class HashtagsRule(Rule):
    """People interested in any (or all) of these hashtags."""

    kind: ClassVar[str] = "hashtags"
    ids: tuple[int, ...] = ()
    mode: str = "any"
    labels: tuple[str, ...] = field(default=(), compare=False)

    @classmethod
    def parse(cls, data: Mapping[str, Any], territory: Territory) -> Rule:
        ids = _int_ids(data, "ids", cls.kind)
        mode = data.get("mode", "any")
        if mode not in ("any", "all"):
            raise CriteriaError(_("The criteria are malformed."), cls.kind)
        if not ids:
            raise CriteriaError(_("Choose at least one hashtag."), cls.kind)
        found = dict(
            db.session.execute(
                select(Hashtag.id, Hashtag.tag).where(
                    Hashtag.id.in_(ids),
                    belongs(Hashtag, territory),
                    Hashtag.active.is_(True),
                )
            ).all()
        )
        unknown = [i for i in ids if i not in found]
        if unknown:
            raise CriteriaError(
                ngettext(
                    "A chosen hashtag is not in the town's catalogue.",
                    "%(num)d chosen hashtags are not in the town's catalogue.",
                    len(unknown),
                ),
                cls.kind,
            )
        return cls(ids=ids, mode=mode, labels=tuple(f"#{found[i]}" for i in ids))

    def condition(self, ctx: QueryContext) -> ColumnElement[bool]:
        if self.mode == "any" or len(self.ids) == 1:
            return User.id.in_(
                select(UserHashtag.user_id).where(UserHashtag.hashtag_id.in_(self.ids))
            )
        # "all": the people of the first hashtag (its index), then one primary-key probe for
        # each of the others
        first, *others = self.ids
        return and_(
            User.id.in_(select(UserHashtag.user_id).where(UserHashtag.hashtag_id == first)),
            *(
                select(UserHashtag.user_id)
                .where(UserHashtag.user_id == User.id, UserHashtag.hashtag_id == tag_id)
                .exists()
                for tag_id in others
            ),
        )

    def describe(self) -> str:
        tags = ", ".join(self.labels) if self.labels else str(len(self.ids))
        if self.mode == "all" and len(self.ids) > 1:
            return _("are interested in all of %(tags)s", tags=tags)
        return _("are interested in %(tags)s", tags=tags) if len(self.ids) == 1 else _(
            "are interested in any of %(tags)s", tags=tags
        )

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "ids": list(self.ids), "mode": self.mode}

    def hashtag_ids(self) -> tuple[int, ...]:
        return self.ids


@register_rule
@dataclass(frozen=True)
class FollowersRule(Rule):
    """People who follow the campaign's actor: they asked for its news, no profile consent needed."""

    kind: ClassVar[str] = "followers"
    profile_based: ClassVar[bool] = False

    @classmethod
    def parse(cls, data: Mapping[str, Any], territory: Territory) -> Rule:
        return cls()

    def condition(self, ctx: QueryContext) -> ColumnElement[bool]:
        return User.id.in_(select(Follow.user_id).where(Follow.actor_id == ctx.actor_id))

    def describe(self) -> str:
        return _("follow this actor")

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind}


@register_rule
@dataclass(frozen=True)
class NeighbourhoodsRule(Rule):
    """People who live in one of these neighbourhoods."""

    kind: ClassVar[str] = "neighbourhoods"
    ids: tuple[int, ...] = ()
    names: tuple[str, ...] = field(default=(), compare=False)

    @classmethod
    def parse(cls, data: Mapping[str, Any], territory: Territory) -> Rule:
        ids = _int_ids(data, "ids", cls.kind)
        if not ids:
            raise CriteriaError(_("Choose at least one neighbourhood."), cls.kind)
        found = dict(
            db.session.execute(
                select(Neighbourhood.id, Neighbourhood.name).where(
                    Neighbourhood.id.in_(ids), belongs(Neighbourhood, territory)
                )
            ).all()
        )
        if any(i not in found for i in ids):
            raise CriteriaError(_("A chosen neighbourhood does not exist in this town."), cls.kind)
        return cls(ids=ids, names=tuple(found[i] for i in ids))

    def condition(self, ctx: QueryContext) -> ColumnElement[bool]:
        return User.neighbourhood_id.in_(self.ids)

    def describe(self) -> str:
        return _("live in %(places)s", places=_(" or ").join(self.names or map(str, self.ids)))

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "ids": list(self.ids)}


def population_label(value: str) -> str:
    return {
        "resident": _("permanent residents"),
        "seasonal_local": _("local seasonal workers"),
        "seasonal_elsewhere": _("seasonal workers from elsewhere"),
        "second_home": _("second-home owners"),
        "tourist": _("tourists"),
        "day_visitor": _("day visitors"),
    }.get(value, value)


@register_rule
@dataclass(frozen=True)
class PopulationRule(Rule):
    """People of one of these population types."""

    kind: ClassVar[str] = "population"
    types: tuple[str, ...] = ()

    @classmethod
    def parse(cls, data: Mapping[str, Any], territory: Territory) -> Rule:
        types = _strings(data, "types", cls.kind)
        if not types:
            raise CriteriaError(_("Choose at least one population type."), cls.kind)
        if any(t not in POPULATION_TYPES for t in types):
            raise CriteriaError(_("Unknown population type."), cls.kind)
        return cls(types=tuple(t for t in POPULATION_TYPES if t in types))

    def condition(self, ctx: QueryContext) -> ColumnElement[bool]:
        return User.population_type.in_(self.types)

    def describe(self) -> str:
        return _("are %(types)s", types=_(" or ").join(population_label(t) for t in self.types))

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "types": list(self.types)}


@register_rule
@dataclass(frozen=True)
class LanguageRule(Rule):
    """People who use the app in one of these languages (no choice: the town's default)."""

    kind: ClassVar[str] = "language"
    codes: tuple[str, ...] = ()

    @classmethod
    def parse(cls, data: Mapping[str, Any], territory: Territory) -> Rule:
        codes = _strings(data, "codes", cls.kind)
        if not codes:
            raise CriteriaError(_("Choose at least one language."), cls.kind)
        if any(c not in territory.enabled_languages for c in codes):
            raise CriteriaError(_("This language is not offered in this town."), cls.kind)
        return cls(codes=codes)

    def condition(self, ctx: QueryContext) -> ColumnElement[bool]:
        chosen = User.language.in_(self.codes)
        if ctx.territory.default_language in self.codes:
            return or_(chosen, User.language.is_(None))
        return chosen

    def describe(self) -> str:
        names = (LANGUAGE_NAMES.get(c, c) for c in self.codes)
        return _("use the app in %(languages)s", languages=_(" or ").join(names))

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "codes": list(self.codes)}


# --- zones: "present in this zone right now", "lives in this drawn zone" -----------------------

def _zone_text(raw: Any) -> str:
    if isinstance(raw, Mapping):
        return json.dumps(raw, separators=(",", ":"))
    if isinstance(raw, str):
        return raw
    return ""


def _parse_zone(data: Mapping[str, Any], territory: Territory, kind: str) -> dict[str, Any]:
    """A drawn zone (GeoJSON) checked like a publication's: valid, not self-intersecting,
    inside the town. Returns the normalised geometry."""
    text = _zone_text(data.get("zone")).strip()
    if not text:
        raise CriteriaError(_("Draw the zone on the map or paste a GeoJSON Polygon."), kind)
    checked = check_area(text, within=territory)
    if not checked.ok:
        raise CriteriaError(" ".join(str(e) for e in checked.errors), kind)
    geometry = checked.geometry
    assert geometry is not None
    if not territory.boundary_geojson:
        # No drawn boundary: every corner must be within the town's default reach.
        shape = geo.as_geometry(geometry)
        lon_min, lat_min, lon_max, lat_max = shape.bounds
        corners = ((lat_min, lon_min), (lat_min, lon_max), (lat_max, lon_min), (lat_max, lon_max))
        if not all(in_territory(territory, lat, lon) for lat, lon in corners):
            raise CriteriaError(_("The zone goes outside %(town)s.", town=territory.name), kind)
    if geo.area_m2(geometry) < math.pi * territory.min_zone_radius_m**2:
        raise CriteriaError(_too_small(territory), kind)
    return geometry


def _too_small(territory: Territory) -> str:
    """A zone smaller than a circle of the territory's minimum radius could single out a few
    houses or a few people: it is refused."""
    return _("The zone is too small: draw at least a circle of %(radius)d m around its centre, "
             "so that nobody can be singled out.", radius=territory.min_zone_radius_m)


def _parse_circle(data: Mapping[str, Any], territory: Territory, kind: str) -> tuple[float, float, int]:
    try:
        lat, lon = geo.parse_point(data.get("lat"), data.get("lon"))
    except geo.PlaceError as error:
        raise CriteriaError(_("Give the latitude and longitude of the circle's centre.")
                            if data.get("lat") in (None, "") or data.get("lon") in (None, "")
                            else str(error), kind) from None
    raw_radius = data.get("radius_m")
    try:
        if isinstance(raw_radius, bool):
            raise TypeError
        radius = int(raw_radius)  # type: ignore[arg-type]
    except (TypeError, ValueError, OverflowError):
        raise CriteriaError(_("Type the radius as a whole number of metres, e.g. 300."), kind) from None
    problem = geo.radius_problem(radius)
    if problem:
        raise CriteriaError(problem, kind)
    if not in_territory(territory, lat, lon):
        raise CriteriaError(_("This point is outside %(town)s.", town=territory.name), kind)
    if radius < territory.min_zone_radius_m:
        raise CriteriaError(_too_small(territory), kind)
    return lat, lon, radius


@register_rule
@dataclass(frozen=True)
class PresentInZoneRule(Rule):
    """People who are in a zone right now: their live cell, fresher than 60 minutes, is one of
    the zone's cells. A live cell exists only with the live-location consent; the consent is
    checked again here, so that a withdrawal recorded any other way still counts at once."""

    kind: ClassVar[str] = "present_in_zone"
    profile_based: ClassVar[bool] = False
    zone: str | None = None  # normalised GeoJSON geometry, or a circle:
    lat: float | None = None
    lon: float | None = None
    radius_m: int | None = None

    @classmethod
    def parse(cls, data: Mapping[str, Any], territory: Territory) -> Rule:
        has_zone = bool(_zone_text(data.get("zone")).strip())
        has_circle = any(data.get(k) not in (None, "") for k in ("lat", "lon", "radius_m"))
        if has_zone and has_circle:
            raise CriteriaError(_("Give a radius or a drawn zone, not both."), cls.kind)
        if has_circle:
            lat, lon, radius = _parse_circle(data, territory, cls.kind)
            return cls(lat=lat, lon=lon, radius_m=radius)
        geometry = _parse_zone(data, territory, cls.kind)
        return cls(zone=_zone_text(geometry))

    def geometry(self) -> Any:
        if self.zone:
            return geo.as_geometry(self.zone)
        assert self.lat is not None and self.lon is not None and self.radius_m is not None
        return geo.circle_zone(self.lat, self.lon, self.radius_m)

    def condition(self, ctx: QueryContext) -> ColumnElement[bool]:
        zone_cells = geo.cells_with_centre_inside(self.geometry(), geo.LIVE_RESOLUTION)
        consented = (
            select(Consent.user_id)
            .where(Consent.user_id == User.id,
                   Consent.purpose == literal(LIVE_LOCATION, literal_execute=True),
                   Consent.withdrawn_at.is_(None))
            .exists()
        )
        return and_(User.id.in_(present_user_ids_query(ctx.territory, zone_cells)), consented)

    def describe(self) -> str:
        if self.zone:
            return _("are in the drawn zone right now")
        return _("are within %(radius)d m of the chosen point right now", radius=self.radius_m or 0)

    def to_json(self) -> dict[str, Any]:
        if self.zone:
            return {"kind": self.kind, "zone": json.loads(self.zone)}
        return {"kind": self.kind, "lat": self.lat, "lon": self.lon, "radius_m": self.radius_m}


@register_rule
@dataclass(frozen=True)
class LivesInZoneRule(Rule):
    """People who live in a drawn zone: their residence cell (else their neighbourhood's
    centre) is in it. What people said about where they live: the profile consent applies."""

    kind: ClassVar[str] = "lives_in_zone"
    zone: str = ""

    @classmethod
    def parse(cls, data: Mapping[str, Any], territory: Territory) -> Rule:
        return cls(zone=_zone_text(_parse_zone(data, territory, cls.kind)))

    def condition(self, ctx: QueryContext) -> ColumnElement[bool]:
        residents = resident_user_ids_query(ctx.territory, self.zone).subquery()
        return User.id.in_(select(residents.c[0]))

    def describe(self) -> str:
        return _("live in the drawn zone")

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "zone": json.loads(self.zone)}


@dataclass(frozen=True)
class Criteria:
    """Rules that all must hold (AND). Empty: every person of the territory."""

    rules: tuple[Rule, ...] = ()
    match: str = "all"

    def to_json(self) -> dict[str, Any]:
        return {"match": self.match, "rules": [rule.to_json() for rule in self.rules]}

    def describe(self) -> list[str]:
        return [rule.describe() for rule in self.rules]

    def rule(self, kind: str) -> Rule | None:
        return next((r for r in self.rules if r.kind == kind), None)

    @property
    def profile_based(self) -> bool:
        return any(rule.profile_based for rule in self.rules)

    def hashtag_ids(self) -> tuple[int, ...]:
        return tuple(sorted({i for rule in self.rules for i in rule.hashtag_ids()}))


def parse_criteria(data: Mapping[str, Any] | None, territory: Territory) -> Criteria:
    """Validate criteria JSON against the territory; raise ``CriteriaError`` (translated)."""
    if data is None:
        data = {}
    if not isinstance(data, Mapping):
        raise CriteriaError(_("The criteria are malformed."))
    if data.get("match", "all") != "all":
        raise CriteriaError(_("The criteria are malformed."))
    raw_rules = data.get("rules") or []
    if not isinstance(raw_rules, (list, tuple)):
        raise CriteriaError(_("The criteria are malformed."))
    rules: list[Rule] = []
    seen: set[str] = set()
    for raw in raw_rules:
        if not isinstance(raw, Mapping) or not isinstance(raw.get("kind"), str) or raw["kind"] not in RULE_KINDS:
            raise CriteriaError(_("Unknown kind of criterion."))
        kind = raw["kind"]
        if kind in seen:  # values of one kind are OR-ed inside its rule
            raise CriteriaError(_("The criteria are malformed."), kind)
        seen.add(kind)
        rules.append(RULE_KINDS[kind].parse(raw, territory))
    return Criteria(rules=tuple(rules))


def consent_condition() -> ColumnElement[bool]:
    # The purpose written as a literal, so that both databases use the partial index
    # ix_consent_targeting (a bound parameter cannot prove the index's condition).
    return (
        select(Consent.user_id)
        .where(
            Consent.user_id == User.id,
            Consent.purpose == literal(PROFILE_TARGETING, literal_execute=True),
            Consent.withdrawn_at.is_(None),
        )
        .exists()
    )


def recipients_query(territory: Territory, actor_id: int, criteria: Criteria) -> Select[Any]:
    """``SELECT user_account.id`` of the people the criteria reach, in this territory only,
    without those who muted the actor or one of the criteria's hashtags."""
    ctx = QueryContext(territory=territory, actor_id=actor_id)
    conditions: list[ColumnElement[bool]] = [belongs(User, territory)]
    conditions += [rule.condition(ctx) for rule in criteria.rules]
    if criteria.profile_based:
        conditions.append(consent_condition())
    tag_ids = criteria.hashtag_ids()
    muted_what = Mute.actor_id == actor_id
    if tag_ids:
        muted_what = or_(muted_what, Mute.hashtag_id.in_(tag_ids))
    conditions.append(~select(Mute.user_id).where(Mute.user_id == User.id, muted_what).exists())
    return select(User.id).where(*conditions)


def count_recipients(territory: Territory, actor_id: int, criteria: Criteria) -> int:
    """The exact size of the audience. Internal: it leaves only as a release (app.campaigns.audience)."""
    query = recipients_query(territory, actor_id, criteria).subquery()
    session = db.session
    if session.get_bind().dialect.name == "postgresql":
        # For this transaction only: the hash joins of a large audience (a million people)
        # stay in memory instead of spilling to disk in batches, and no JIT compilation (it
        # costs more than it saves on a count that takes a fraction of a second).
        session.execute(text("SET LOCAL work_mem = '64MB'"))
        session.execute(text("SET LOCAL jit = off"))
    return int(session.scalar(select(func.count()).select_from(query)) or 0)


__all__ = [
    "RULE_KINDS",
    "Criteria",
    "CriteriaError",
    "Rule",
    "count_recipients",
    "parse_criteria",
    "recipients_query",
    "register_rule",
]

"""Campaign criteria, generated: whatever payload reaches the parser (a tampered form, an old
stored JSON), it becomes valid criteria or a CriteriaError with a message; valid criteria count
only this town's people, and the estimate an actor sees never goes under the anonymity floor."""

from __future__ import annotations

import json
import math

from flask_babel import force_locale
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from app.accounts.models import User
from app.campaigns.audience import established_audience, estimate
from app.campaigns.criteria import (
    RULE_KINDS,
    Criteria,
    CriteriaError,
    parse_criteria,
    recipients_query,
)
from app.extensions import db
from app.releases.floor import anonymity_floor
from tests.properties.conftest import BOUNDARY, CENTRE, Towns, square

SETTINGS = settings(max_examples=120, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

# Ids are drawn as positions: 0..3 are this town's (hashtags or neighbourhoods), 4..7 the
# other town's; anything else is taken as it is.
OWN, OTHER = range(0, 4), range(4, 8)
SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-(2**70), max_value=2**70),
    st.sampled_from([0, -1, 2**31, 2**63 - 1, 2**63, -(2**63) - 1, 10**30]),
    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=8),
    st.sampled_from(["", " ", "1", "-1", "1e3", "0x10", "١٢", "NaN", "inf", "\x00", "bio", "fr", "resident"]),
)
JSON = st.recursive(SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=6), inner, max_size=4)), max_leaves=12)
POSITION = st.one_of(st.integers(0, 7), st.integers(-3, 3).map(lambda i: ("raw", i)))
KIND = st.sampled_from([*sorted(RULE_KINDS) * 3, "zodiac", "", "HASHTAGS", None, 3, ["kind"]])
ZONE = st.one_of(
    st.builds(lambda half: square(*CENTRE, half), st.sampled_from([0.001, 0.01, 0.04, 0.06, 0.5, 2.0])),
    st.just({"type": "Polygon", "coordinates": [[[5.60, 43.17], [5.61, 43.18], [5.61, 43.17],
                                                  [5.60, 43.18], [5.60, 43.17]]]}),
    st.just({"type": "Point", "coordinates": [5.60, 43.17]}),
    st.just("{not json"), st.just(json.dumps(square(*CENTRE, 0.01))), JSON,
)


@st.composite
def rule(draw: st.DrawFn) -> dict:
    """A rule of a known kind with plausible values most of the time, then maybe tampered with:
    a value replaced by garbage, or a key added."""
    kind = draw(KIND)
    ids = st.one_of(st.lists(POSITION, min_size=1, max_size=5), POSITION,
                    st.lists(st.integers(1, 10**6), min_size=190, max_size=260))
    plausible = {
        "hashtags": st.fixed_dictionaries({"ids": ids}, optional={"mode": st.sampled_from(["any", "all", "ALL", ""])}),
        "neighbourhoods": st.fixed_dictionaries({"ids": ids}),
        "population": st.fixed_dictionaries({"types": st.lists(
            st.sampled_from(["resident", "tourist", "second_home", "astronaut", ""]), max_size=3)}),
        "language": st.fixed_dictionaries({"codes": st.lists(st.sampled_from(["fr", "nl", "en", "de", "FR"]),
                                                             max_size=3)}),
        "present_in_zone": st.one_of(
            st.fixed_dictionaries({"zone": ZONE}),
            st.fixed_dictionaries({"lat": st.one_of(st.just(CENTRE[0]), st.floats(43.0, 43.3), SCALARS),
                                   "lon": st.one_of(st.just(CENTRE[1]), st.floats(5.5, 5.7), SCALARS),
                                   "radius_m": st.one_of(st.sampled_from([300, 50, 0, -5, 10**9]), SCALARS)})),
        "lives_in_zone": st.fixed_dictionaries({"zone": ZONE}),
    }.get(kind if isinstance(kind, str) else "", st.just({}))
    data: dict = {"kind": kind, **draw(plausible)}
    for _ in range(draw(st.sampled_from([0, 0, 0, 0, 1, 2]))):
        key = draw(st.sampled_from(["ids", "mode", "types", "codes", "zone", "lat", "lon", "radius_m", "kind", "x"]))
        data[key] = draw(JSON)
    return data


PAYLOAD = st.one_of(
    st.fixed_dictionaries({"match": st.sampled_from(["all", "all", "any"]), "rules": st.lists(rule(), max_size=3)}),
    st.fixed_dictionaries({"rules": st.lists(rule(), min_size=1, max_size=2)}),
    st.fixed_dictionaries({"rules": st.lists(rule(), min_size=1, max_size=2)}),
    JSON,
)


def resolve(value, towns: Towns, kind: str):  # type: ignore[no-untyped-def]
    """Put real ids in place of the positions drawn by ``POSITION``."""
    if isinstance(value, tuple) and value and value[0] == "raw":
        return value[1]
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 8:
        town = towns.here if value in OWN else towns.other
        objects = town.neighbourhoods if kind == "neighbourhoods" else town.hashtags
        return objects[value % 2].id
    if isinstance(value, list):
        return [resolve(v, towns, kind) for v in value]
    return value


def resolved(payload, towns: Towns):  # type: ignore[no-untyped-def]
    if isinstance(payload, dict) and isinstance(payload.get("rules"), list):
        rules = []
        for raw in payload["rules"]:
            if isinstance(raw, dict) and "ids" in raw:
                raw = {**raw, "ids": resolve(raw["ids"], towns, str(raw.get("kind")))}
            rules.append(raw)
        return {**payload, "rules": rules}
    return payload


def own_people(towns: Towns) -> set[int]:
    return set(db.session.scalars(select(User.id).where(User.territory_id == towns.here.territory.id)))


def other_town_ids(payload) -> bool:  # type: ignore[no-untyped-def]
    rules = payload.get("rules") if isinstance(payload, dict) else None
    return isinstance(rules, list) and any(
        isinstance(r, dict) and r.get("kind") in ("hashtags", "neighbourhoods")
        and any(isinstance(i, int) and not isinstance(i, bool) and i in OTHER
                for i in (r["ids"] if isinstance(r.get("ids"), list) else [r.get("ids")]))
        for r in rules)


@SETTINGS
@given(payload=PAYLOAD)
@example(payload={"rules": [{"kind": "hashtags", "ids": [2**63]}]})
@example(payload={"rules": [{"kind": "neighbourhoods", "ids": [-(2**70)]}]})
@example(payload={"rules": [{"kind": "hashtags", "ids": [math.inf]}]})
@example(payload={"rules": [{"kind": "hashtags", "ids": [0, 4]}]})
@example(payload={"rules": [{"kind": "present_in_zone", "lat": "nan", "lon": 5.6, "radius_m": 300}]})
@example(payload={"rules": [{"kind": "present_in_zone", "lat": 43.17, "lon": 5.6, "radius_m": math.inf}]})
@example(payload={"rules": [{"kind": "lives_in_zone", "zone": {"type": "Polygon", "coordinates": [[[5.6, 43.17]] * 4]}}]})
@example(payload={"rules": [{"kind": "population", "types": {"resident": 1}}]})
@example(payload={"rules": [{"kind": []}]})
def test_any_payload_is_valid_criteria_or_a_clear_refusal(towns: Towns, payload) -> None:  # type: ignore[no-untyped-def]
    data = resolved(payload, towns)
    here = towns.here.territory
    with force_locale("en"):
        try:
            criteria = parse_criteria(data, here)
        except CriteriaError as error:
            assert isinstance(error.message, str) and error.message.strip()
            assert error.kind is None or error.kind in RULE_KINDS
            event("refused")
            return
        assert isinstance(criteria, Criteria)
        event(f"accepted, {len(criteria.rules)} rule(s)")
        assert not other_town_ids(payload), "another town's hashtag or neighbourhood was accepted"
        assert all(line.strip() for line in criteria.describe())
        # what is stored parses back to the same criteria
        assert parse_criteria(json.loads(json.dumps(criteria.to_json())), here) == criteria
        reached = set(db.session.scalars(recipients_query(here, towns.here.actor.id, criteria)))
        assert reached <= own_people(towns)
        shown = estimate(here, towns.here.actor, criteria)
        floor = anonymity_floor(here)
        # What is released counts established people, the shop's own members left out.
        if established_audience(here, towns.here.actor.id, criteria) < floor:
            assert shown.count_shown == f"fewer than {floor}" and not shown.can_send
        else:
            assert int(shown.count_shown) >= floor and shown.can_send


@SETTINGS
@given(st.lists(st.integers(0, 3), min_size=1, max_size=4), st.sampled_from(["any", "all"]))
def test_every_choice_of_this_town_counts_only_its_people(towns: Towns, positions: list[int], mode: str) -> None:
    """Valid criteria of every kind (each kind once, in any mix): an audience ≥ 0, all of it here."""
    here = towns.here
    kinds = [
        {"kind": "hashtags", "ids": [here.hashtags[p % 2].id for p in positions], "mode": mode},
        {"kind": "followers"},
        {"kind": "neighbourhoods", "ids": [here.neighbourhoods[p % 2].id for p in positions]},
        {"kind": "population", "types": ["resident", "tourist"][: 1 + positions[0] % 2]},
        {"kind": "language", "codes": ["fr", "nl", "en"][: 1 + positions[-1] % 3]},
        {"kind": "present_in_zone", "zone": square(*CENTRE, 0.004)},
        {"kind": "lives_in_zone", "zone": BOUNDARY},
    ]
    chosen = [kinds[i] for i in sorted({(p * 3 + len(positions)) % len(kinds) for p in positions})]
    with force_locale("en"):
        criteria = parse_criteria({"match": "all", "rules": chosen}, here.territory)
        reached = set(db.session.scalars(recipients_query(here.territory, here.actor.id, criteria)))
        assert reached <= own_people(towns)
        shown = estimate(here.territory, here.actor, criteria)
        counted = established_audience(here.territory, here.actor.id, criteria)
    assert counted <= len(reached)
    assert shown.can_send == (counted >= 11)
    assert shown.count_shown == ("fewer than 11" if counted < 11 else shown.count_shown)

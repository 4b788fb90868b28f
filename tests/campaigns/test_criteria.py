"""Audience criteria: each kind of rule, how they combine, consent, mutes, territory scoping."""

from __future__ import annotations

import pytest
from flask_babel import force_locale

from app.accounts.models import Consent
from app.actors.models import Follow
from app.campaigns.audience import estimate
from app.campaigns.criteria import CriteriaError, count_recipients, parse_criteria, recipients_query
from app.extensions import db
from app.models_common import utcnow
from app.notifications.models import Mute
from tests.campaigns.conftest import Town, add_citizens
from tests.factories import make_hashtag, make_neighbourhood, make_territory


def _count(town: Town, rules: list[dict], actor=None) -> int:  # type: ignore[no-untyped-def]
    criteria = parse_criteria({"match": "all", "rules": rules}, town.territory)
    return count_recipients(town.territory, (actor or town.actor).id, criteria)


def _ids(town: Town, rules: list[dict]) -> set[int]:
    criteria = parse_criteria({"match": "all", "rules": rules}, town.territory)
    return set(db.session.scalars(recipients_query(town.territory, town.actor.id, criteria)))


def test_hashtags_any_and_all(town: Town) -> None:
    both = add_citizens(town.territory, 3, hashtags=[town.bio, town.theatre])
    only_bio = add_citizens(town.territory, 4, hashtags=[town.bio])
    only_theatre = add_citizens(town.territory, 2, hashtags=[town.theatre])
    add_citizens(town.territory, 5)
    ids = [town.bio.id, town.theatre.id]
    assert _count(town, [{"kind": "hashtags", "ids": [town.bio.id]}]) == 7
    assert _ids(town, [{"kind": "hashtags", "ids": ids, "mode": "any"}]) == {
        u.id for u in both + only_bio + only_theatre
    }
    assert _ids(town, [{"kind": "hashtags", "ids": ids, "mode": "all"}]) == {u.id for u in both}


def test_followers_need_no_profile_consent(town: Town) -> None:
    add_citizens(town.territory, 3, follows=town.actor, consent=False)
    add_citizens(town.territory, 2, follows=town.other_actor)
    assert _count(town, [{"kind": "followers"}]) == 3
    assert _count(town, [{"kind": "followers"}], actor=town.other_actor) == 2


def test_neighbourhood_population_and_language(town: Town) -> None:
    port_residents = add_citizens(town.territory, 3, neighbourhood=town.port, population_type="resident")
    add_citizens(town.territory, 2, neighbourhood=town.hills, population_type="resident")
    port_tourists = add_citizens(town.territory, 4, neighbourhood=town.port, population_type="tourist", language="nl")
    unset_language = add_citizens(town.territory, 1, neighbourhood=town.port, language=None)
    assert _ids(town, [{"kind": "neighbourhoods", "ids": [town.port.id]}]) == {
        u.id for u in port_residents + port_tourists + unset_language
    }
    assert _count(town, [{"kind": "neighbourhoods", "ids": [town.port.id, town.hills.id]}]) == 10
    assert _count(town, [{"kind": "population", "types": ["resident", "tourist"]}]) == 9
    assert _ids(town, [{"kind": "language", "codes": ["nl"]}]) == {u.id for u in port_tourists}
    # no language chosen: the town's default (fr) applies
    assert _count(town, [{"kind": "language", "codes": ["fr"]}]) == 6


def test_rules_combine_with_and(town: Town) -> None:
    target = add_citizens(town.territory, 2, hashtags=[town.bio], neighbourhood=town.port, follows=town.actor)
    add_citizens(town.territory, 3, hashtags=[town.bio], neighbourhood=town.hills, follows=town.actor)
    add_citizens(town.territory, 4, hashtags=[town.bio], neighbourhood=town.port)
    rules = [
        {"kind": "hashtags", "ids": [town.bio.id]},
        {"kind": "followers"},
        {"kind": "neighbourhoods", "ids": [town.port.id]},
    ]
    assert _ids(town, rules) == {u.id for u in target}


def test_profile_rules_need_the_targeting_consent(town: Town) -> None:
    add_citizens(town.territory, 3, hashtags=[town.bio])
    refused = add_citizens(town.territory, 4, hashtags=[town.bio], consent=False)
    withdrawn = add_citizens(town.territory, 2, hashtags=[town.bio], neighbourhood=town.port)
    for consent in db.session.query(Consent).filter(Consent.user_id.in_([u.id for u in withdrawn])):
        consent.withdrawn_at = utcnow()
    db.session.commit()
    assert _count(town, [{"kind": "hashtags", "ids": [town.bio.id]}]) == 3
    assert _count(town, [{"kind": "neighbourhoods", "ids": [town.port.id]}]) == 0
    # followers are reached on their follow, whatever their profile consent
    for user in refused:
        db.session.add(Follow(user_id=user.id, actor_id=town.actor.id))
    db.session.commit()
    assert _count(town, [{"kind": "followers"}]) == 4


def test_mutes_of_actor_or_hashtag_leave_people_out(town: Town) -> None:
    people = add_citizens(town.territory, 6, hashtags=[town.bio, town.theatre], follows=town.actor)
    db.session.add(Mute(user_id=people[0].id, actor_id=town.actor.id))
    db.session.add(Mute(user_id=people[1].id, hashtag_id=town.bio.id))
    db.session.add(Mute(user_id=people[2].id, hashtag_id=town.theatre.id))
    db.session.add(Mute(user_id=people[3].id, actor_id=town.other_actor.id))
    db.session.commit()
    assert _count(town, [{"kind": "followers"}]) == 5
    assert _count(town, [{"kind": "hashtags", "ids": [town.bio.id]}]) == 4
    assert _count(town, [{"kind": "hashtags", "ids": [town.bio.id, town.theatre.id]}]) == 3


def test_other_territorys_people_never_counted(town: Town) -> None:
    other = make_territory("station", "Station", hosts=("station.localhost",))
    add_citizens(other, 12, hashtags=[make_hashtag(other, "ski")])
    add_citizens(other, 5, language="fr", population_type="resident")
    add_citizens(town.territory, 2, population_type="resident")
    assert _count(town, [{"kind": "population", "types": ["resident"]}]) == 2
    assert _count(town, [{"kind": "language", "codes": ["fr"]}]) == 2
    assert _count(town, []) == 4  # both editors and the two residents, nobody of the station


@pytest.mark.parametrize(
    "rules",
    [
        [{"kind": "hashtags", "ids": [999999]}],
        [{"kind": "hashtags", "ids": []}],
        [{"kind": "hashtags", "ids": ["abc"]}],
        [{"kind": "hashtags", "ids": [1], "mode": "some"}],
        [{"kind": "neighbourhoods", "ids": [999999]}],
        [{"kind": "population", "types": ["astronaut"]}],
        [{"kind": "language", "codes": ["de"]}],
        [{"kind": "zodiac"}],
        [{"kind": "followers"}, {"kind": "followers"}],
    ],
)
def test_unknown_values_are_refused(town: Town, rules: list[dict]) -> None:
    with pytest.raises(CriteriaError) as error:
        parse_criteria({"match": "all", "rules": rules}, town.territory)
    assert error.value.message


def test_another_territorys_hashtag_or_neighbourhood_is_unknown(town: Town) -> None:
    other = make_territory("station", "Station", hosts=("station.localhost",))
    ski = make_hashtag(other, "ski")
    slopes = make_neighbourhood(other, "Slopes")
    with force_locale("en"), pytest.raises(CriteriaError, match="catalogue"):
        parse_criteria({"rules": [{"kind": "hashtags", "ids": [ski.id]}]}, town.territory)
    with force_locale("en"), pytest.raises(CriteriaError, match="neighbourhood"):
        parse_criteria({"rules": [{"kind": "neighbourhoods", "ids": [slopes.id]}]}, town.territory)


def test_criteria_round_trip_and_describe(town: Town) -> None:
    data = {
        "match": "all",
        "rules": [
            {"kind": "hashtags", "ids": [town.theatre.id, town.bio.id], "mode": "all"},
            {"kind": "followers"},
            {"kind": "population", "types": ["tourist"]},
        ],
    }
    criteria = parse_criteria(data, town.territory)
    assert parse_criteria(criteria.to_json(), town.territory) == criteria
    with force_locale("en"):
        text = " AND ".join(criteria.describe())
    assert "#bio" in text and "#theatre" in text and "follow this actor" in text and "tourists" in text


@pytest.mark.parametrize(("people", "shown", "can_send"), [(10, "fewer than 11", False), (11, "11", True), (24, "20", True), (25, "30", True)])
def test_estimate_is_rounded_and_floored(town: Town, people: int, shown: str, can_send: bool) -> None:
    add_citizens(town.territory, people, hashtags=[town.bio])
    criteria = parse_criteria({"rules": [{"kind": "hashtags", "ids": [town.bio.id]}]}, town.territory)
    with force_locale("en"):
        result = estimate(town.territory, town.actor, criteria)
    assert result.count_shown == shown
    assert result.can_send is can_send


def test_a_territory_may_raise_the_floor(town: Town) -> None:
    town.territory.anonymity_floor = 30
    db.session.commit()
    add_citizens(town.territory, 25, hashtags=[town.bio])
    criteria = parse_criteria({"rules": [{"kind": "hashtags", "ids": [town.bio.id]}]}, town.territory)
    with force_locale("en"):
        result = estimate(town.territory, town.actor, criteria)
    assert (result.count_shown, result.can_send) == ("fewer than 30", False)

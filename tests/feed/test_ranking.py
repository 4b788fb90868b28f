"""The "For you" ranking as pure functions, without HTTP."""

from datetime import UTC, datetime, timedelta

from app.feed.ranking import Candidate, Profile, rank, score_candidate

NOW = datetime(2030, 6, 14, 12, 0, tzinfo=UTC)


def candidate(id, kind="news", actor_id=1, published_hours_ago=1.0, matches=0, hood=None, **dates):
    return Candidate(
        id=id,
        actor_id=actor_id,
        kind=kind,
        published_at=NOW - timedelta(hours=published_hours_ago),
        starts_at=dates.get("starts_at"),
        ends_at=dates.get("ends_at"),
        valid_from=dates.get("valid_from"),
        valid_until=dates.get("valid_until"),
        actor_neighbourhood_id=hood,
        matching_hashtags=matches,
    )


def test_followed_shops_matching_offer_outranks_newer_unrelated_news():
    profile = Profile(hashtag_ids=frozenset({7}), followed_actor_ids=frozenset({2}))
    offer = candidate(
        1,
        "offer",
        actor_id=2,
        published_hours_ago=48,
        matches=1,
        valid_until=NOW + timedelta(days=5),
    )
    news = candidate(2, "news", actor_id=3, published_hours_ago=0)
    assert rank([news, offer], profile, NOW) == [1, 2]


def test_expired_offer_and_past_event_are_not_ranked_at_all():
    profile = Profile(hashtag_ids=frozenset({7}), followed_actor_ids=frozenset({2}))
    expired = candidate(1, "offer", actor_id=2, matches=1, valid_until=NOW - timedelta(minutes=1))
    past = candidate(
        2,
        "event",
        actor_id=2,
        matches=1,
        starts_at=NOW - timedelta(days=1),
        ends_at=NOW - timedelta(hours=20),
    )
    assert score_candidate(expired, profile, NOW) is None
    assert score_candidate(past, profile, NOW) is None
    assert rank([expired, past], profile, NOW) == []


def test_event_under_way_is_still_shown():
    event = candidate(
        1, "event", starts_at=NOW - timedelta(hours=1), ends_at=NOW + timedelta(hours=1)
    )
    assert score_candidate(event, Profile(), NOW) is not None


def test_event_starting_soon_beats_same_event_next_month():
    soon = candidate(1, "event", starts_at=NOW + timedelta(hours=6))
    later = candidate(2, "event", starts_at=NOW + timedelta(days=30))
    assert rank([later, soon], Profile(), NOW) == [1, 2]


def test_own_neighbourhood_comes_before_an_other_one():
    profile = Profile(neighbourhood_id=5)
    mine = candidate(1, hood=5, published_hours_ago=10)
    elsewhere = candidate(2, hood=6, published_hours_ago=10)
    assert rank([elsewhere, mine], profile, NOW) == [1, 2]


def test_fresher_news_comes_first_when_nothing_else_differs():
    older = candidate(1, published_hours_ago=30)
    newer = candidate(2, published_hours_ago=2)
    assert rank([older, newer], Profile(), NOW) == [2, 1]


def test_more_matching_hashtags_rank_higher():
    profile = Profile(hashtag_ids=frozenset({1, 2}))
    one = candidate(1, matches=1)
    two = candidate(2, matches=2)
    assert rank([one, two], profile, NOW) == [2, 1]

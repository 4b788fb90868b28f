"""The per-process shared look-ups of "For you" give the same feed as the candidates' query, and
never serve data older than the last change."""

import random
from datetime import timedelta

import pytest

from app import changes
from app.extensions import db
from app.feed import lookups, ranking, services
from app.models_common import utcnow
from tests.factories import (
    login_as,
    make_actor,
    make_follow,
    make_hashtag,
    make_neighbourhood,
    make_publication,
    make_user,
)
from tests.support.changes import announce_from_another_process, seen_by_other_processes
from tests.support.statements import statements_sent


@pytest.fixture
def small_limits(monkeypatch):  # type: ignore[no-untyped-def]
    """Tiny look-up limits, so that a small town already fills every look-up."""
    for name in (
        "CANDIDATES_PER_HASHTAG",
        "CANDIDATES_FOLLOWED",
        "CANDIDATES_NEIGHBOURHOOD",
        "CANDIDATES_SOON",
        "CANDIDATES_RECENT",
    ):
        monkeypatch.setattr(lookups, name, 3)
    monkeypatch.setattr(lookups, "MAX_HASHTAGS_LOOKED_UP", 2)
    services._candidate_statement.cache_clear()
    lookups.clear()
    yield
    services._candidate_statement.cache_clear()
    lookups.clear()


def _town(territory, rng):  # type: ignore[no-untyped-def]
    now = utcnow()
    hoods = [make_neighbourhood(territory, f"Quartier {n}") for n in range(3)]
    tags = [make_hashtag(territory, f"tag{n}") for n in range(5)]
    actors = [
        make_actor(
            territory,
            f"Acteur {n}",
            status="pending" if n == 7 else "verified",
            neighbourhood_id=hoods[n % 3].id,
        )
        for n in range(8)
    ]
    for number in range(70):
        actor = rng.choice(actors)
        kind = rng.choice(("news", "news", "event", "offer"))
        fields = {}
        if kind == "event":
            starts = now + timedelta(hours=rng.uniform(-80, 240))
            fields = {"starts_at": starts, "ends_at": starts + timedelta(hours=2)}
        elif kind == "offer":
            fields = {"valid_until": now + timedelta(days=rng.uniform(-3, 10))}
        status = rng.choice(("published",) * 8 + ("draft", "archived"))
        publication = make_publication(
            actor,
            f"Publication {number}",
            kind=kind,
            status=status,
            hashtags=rng.sample(tags, rng.randint(0, 3)),
            published_at=now - timedelta(hours=rng.uniform(-5, 400)) if status != "draft" else None,
            **fields,
        )
        if number % 17 == 0:
            publication.moderated_at = now
            db.session.commit()
    people = []
    for _number in range(6):
        person = make_user(
            territory,
            hashtags=rng.sample(tags, rng.randint(0, 4)),
            neighbourhood_id=rng.choice([None, *[h.id for h in hoods]]),
        )
        for actor in rng.sample(actors, rng.randint(0, 4)):
            make_follow(person, actor)
        people.append(person)
    return people


def test_shared_look_ups_rank_exactly_as_the_query(app, territory, small_limits):
    people = _town(territory, random.Random(4))
    now = utcnow()
    for person in people:
        profile = services.profile_of(person)
        for depth in (1, 2):
            by_query = services.load_candidates(territory.id, profile, now, depth=depth)
            shared = services.shared_candidates(territory.id, profile, depth=depth)
            assert sorted(shared) == sorted(by_query)
            ranked = ranking.rank(by_query, profile, now)
            assert ranking.rank(shared, profile, now) == ranked
            ids, entries = lookups.candidate_entries(
                territory.id,
                sorted(profile.hashtag_ids)[: lookups.MAX_HASHTAGS_LOOKED_UP],
                profile.followed_actor_ids,
                profile.neighbourhood_id,
                depth,
            )
            assert services.rank_entries(ids, entries, profile, now) == ranked


def test_ranking_entries_gives_the_same_order_and_scores_as_ranking_candidates():
    """``rank_entries`` (integer microseconds) reproduces ``rank`` (datetimes) exactly,
    over many odd cases: no publication date, events without end, offers not yet valid..."""
    from datetime import UTC, datetime

    from app.feed.lookups import make_entry
    from app.feed.ranking import Candidate, Profile

    rng = random.Random(2026)
    now = datetime(2026, 3, 29, 1, 30, 15, 123457, tzinfo=UTC)

    def moment():  # type: ignore[no-untyped-def]
        if rng.random() < 0.2:
            return None
        if rng.random() < 0.05:
            return now  # exact boundaries
        return now + timedelta(microseconds=rng.randint(-400 * 3600 * 10**6, 400 * 3600 * 10**6))

    for _round in range(40):
        candidates, entries = [], {}
        for publication_id in range(1, 80):
            tags = frozenset(rng.sample(range(6), rng.randint(0, 3)))
            columns = (
                publication_id,
                rng.randint(1, 5),
                rng.choice(("news", "event", "offer")),
                moment(),
                moment(),
                moment(),
                moment(),
                moment(),
                rng.choice((None, 1, 2)),
            )
            entries[publication_id] = make_entry(*columns, tags)
            candidates.append((columns, tags))
        profile = Profile(
            hashtag_ids=frozenset(rng.sample(range(6), rng.randint(0, 4))),
            followed_actor_ids=frozenset(rng.sample(range(1, 6), rng.randint(0, 3))),
            neighbourhood_id=rng.choice((None, 1, 2)),
        )
        built = [
            Candidate(*columns, len(tags & profile.hashtag_ids)) for columns, tags in candidates
        ]
        assert services.rank_entries(list(entries), entries, profile, now) == ranking.rank(
            built, profile, now
        )


def test_for_you_page_is_the_same_through_the_shared_look_ups(app, territory, small_limits):
    people = _town(territory, random.Random(9))
    for person in people:
        for page in (1, 2):
            shared = services.for_you_ids(territory.id, person, page=page, page_size=4)
            by_query = services.for_you_ids(
                territory.id, person, page=page, page_size=4, now=utcnow()
            )
            assert (shared.ids, shared.has_more) == (by_query.ids, by_query.has_more)


def test_a_first_for_you_reads_its_look_ups_in_one_statement_each_in_its_own_order(
    app, territory, small_limits
):
    """A person's first "For you" reads all their look-ups (hashtags, followed actors, the
    neighbourhood, soon, recent) in one query, and each list is what its own query gives."""
    people = _town(territory, random.Random(11))
    person = max(people, key=lambda p: len(services.profile_of(p).followed_actor_ids))
    profile = services.profile_of(person)
    assert profile.hashtag_ids and len(profile.followed_actor_ids) >= 2
    lookups.clear()
    with statements_sent(db.engine) as sent:
        services.for_you_ids(territory.id, person, page=1, page_size=4)
    look_ups = [statement for statement in sent if "look_up_" in statement]
    wanted = min(len(profile.hashtag_ids), lookups.MAX_HASHTAGS_LOOKED_UP) + len(profile.followed_actor_ids) + (profile.neighbourhood_id is not None) + 2
    assert len(look_ups) == 1 and look_ups[0].count("look_up_") >= wanted
    kept = lookups.for_territory(territory.id)
    assert len(kept.lists) == wanted
    for (kind, key, limit), (_expires, ids) in kept.lists.items():
        assert ids == lookups._fill(kept, territory.id, kind, key, limit)
    # Read again, nothing is queried.
    with statements_sent(db.engine) as sent:
        lookups.shared_lists(kept, territory.id, list(kept.lists))
    assert sent == []


def test_a_new_publication_shows_at_once_after_the_look_ups_were_cached(client, territory):
    bio = make_hashtag(territory, "bio")
    shop = make_actor(territory, "Epicerie Verte")
    person = make_user(territory, hashtags=[bio])
    make_publication(shop, "Ancienne annonce", hashtags=[bio])
    login_as(client, person)
    assert "Ancienne annonce" in client.get("/").get_data(as_text=True)

    make_publication(shop, "Nouvelle annonce", hashtags=[bio])
    assert "Nouvelle annonce" in client.get("/").get_data(as_text=True)

    with db.engine.begin() as connection:  # a write that no ORM object tells about
        connection.exec_driver_sql("UPDATE actor SET name = 'Epicerie Rouge'")
    html = client.get("/").get_data(as_text=True)
    assert "Epicerie Rouge" in html and "Epicerie Verte" not in html


def test_a_change_in_another_process_is_seen_through_the_stamp_file(app, territory):
    engine = db.engine
    before = changes.version("feed", engine)
    announce_from_another_process("feed", engine)
    assert changes.version("feed", engine) != before


def test_a_write_counts_at_once_here_and_for_other_processes_once_committed(app, territory):
    engine = db.engine
    before = changes.version("feed", engine)
    shared_before = seen_by_other_processes("feed", engine)
    with engine.connect() as connection:
        connection.exec_driver_sql("UPDATE actor SET name = 'x'")
        assert changes.version("feed", engine) != before  # this process: at once
        assert seen_by_other_processes("feed", engine) == shared_before  # the others: not yet
        connection.rollback()
    assert seen_by_other_processes("feed", engine) == shared_before  # rolled back: nothing to tell
    with engine.begin() as connection:
        connection.exec_driver_sql("UPDATE actor SET name = 'x'")
    assert seen_by_other_processes("feed", engine) != shared_before


def test_each_group_has_its_own_stamp_so_inboxes_written_leave_the_feed_caches(app, territory):
    engine = db.engine
    feed_before, inbox_before = changes.version("feed", engine), changes.version("inbox", engine)
    with engine.begin() as connection:  # what a campaign's inbox channel does, many times a second
        connection.exec_driver_sql("UPDATE inbox_item SET read_at = NULL WHERE id < 0")
    assert changes.version("inbox", engine) != inbox_before
    assert changes.version("feed", engine) == feed_before


def test_territory_settings_show_at_once_despite_the_host_cache(client, territory):
    assert "La Ciotat" in client.get("/").get_data(as_text=True)
    territory.name = "Ceyreste"
    db.session.commit()
    assert "Ceyreste" in client.get("/").get_data(as_text=True)
    with db.engine.begin() as connection:
        connection.exec_driver_sql("UPDATE territory SET name = 'Cassis'")
    db.session.expire_all()
    assert "Cassis" in client.get("/").get_data(as_text=True)


def test_a_cached_territory_is_an_attached_instance_of_the_request(app, client, territory):
    from flask import g
    from sqlalchemy import event

    from app.territories.context import resolve_territory

    territory_id = territory.id
    client.get("/")  # the host's territory is now cached
    db.session.expunge_all()  # as in production: a new session for each request
    statements: list[str] = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    with app.test_request_context("/", base_url="http://localhost"):
        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            resolve_territory()
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
        cached = g.territory
        assert statements == []  # no query
        assert cached.id == territory_id and cached in db.session
        assert [host.hostname for host in cached.hosts] == ["localhost"]  # lazy loads work
        cached.name = "Ceyreste"
        db.session.commit()
    assert "Ceyreste" in client.get("/").get_data(as_text=True)

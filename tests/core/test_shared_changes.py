"""Many machines on one PostgreSQL database share which data changed through Redis (app.changes'
SharedCounters): a write on one machine counts on every other at its next request, a request
reads all the counters with one MGET before its reads, a flushed Redis cannot give an old
version back, and while Redis is down nothing is kept."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator

import pytest
import redis
from sqlalchemy import create_engine
from sqlalchemy.engine import Engine

from app import changes


@pytest.fixture
def shared(redis_url: str) -> Iterator[tuple[Engine, changes.SharedCounters]]:
    """An engine whose changes are shared through this test worker's Redis database, and the
    counters of another machine on the same database."""
    if not redis_url:
        pytest.skip("needs Redis (TEST_REDIS_URL, make test-pg)")
    url = f"sqlite:///shared-{uuid.uuid4().hex}.db"  # never connected: only its URL is used
    engine = create_engine(url)
    changes.register_shared(url, redis_url)
    here = changes._shared[url]
    try:
        yield engine, changes.SharedCounters(redis_url, here.namespace)
    finally:
        changes.end_request()
        changes.register_shared(url, "")
        redis.Redis.from_url(redis_url).delete(*here.keys.values())


def _spy_on_mget(counters: changes.SharedCounters) -> list[int]:
    calls: list[int] = []
    real = counters.client.mget

    def mget(keys, *args):  # type: ignore[no-untyped-def]
        calls.append(len(keys))
        return real(keys, *args)

    counters.client.mget = mget  # type: ignore[method-assign]
    return calls


def test_a_write_on_another_machine_counts_at_the_next_request(shared):
    engine, other_machine = shared
    calls = _spy_on_mget(changes._shared[str(engine.url)])

    changes.begin_request()
    accounts, feed = changes.version("accounts", engine), changes.version("feed", engine)
    other_machine.bump(("accounts",))
    # Within a request the counters are those read at its first version(): before its reads.
    assert changes.version("accounts", engine) == accounts
    changes.end_request()
    assert calls == [len(changes.ALL_GROUPS)]  # every group, one round trip

    changes.begin_request()
    assert changes.version("accounts", engine) != accounts
    assert changes.version("feed", engine) == feed  # a group of its own
    changes.end_request()

    # Outside a request (a task, a command), each version() asks.
    before = changes.version("feed", engine)
    other_machine.bump(("feed",))
    assert changes.version("feed", engine) != before


def test_this_machines_commit_reaches_the_others(shared):
    engine, other_machine = shared
    seen = other_machine.read(("interests",))
    changes.mark_changed("interests", engine=engine)
    assert other_machine.read(("interests",)) != seen


def test_a_flushed_redis_gives_no_old_version_back(shared, redis_url):
    engine, other_machine = shared
    store = redis.Redis.from_url(redis_url)
    versions = []
    for _ in range(3):
        store.flushdb()
        other_machine.bump(("accounts",))  # the first write after a restart
        versions.append(changes.version("accounts", engine))
    assert len(set(versions)) == 3


def test_while_redis_cannot_be_reached_nothing_is_kept(caplog):
    url = f"sqlite:///shared-{uuid.uuid4().hex}.db"
    engine = create_engine(url)
    changes.register_shared(url, "redis://127.0.0.1:1/0")  # nobody listens there
    try:
        with caplog.at_level(logging.WARNING, logger="app.changes"):
            changes.mark_changed("accounts", engine=engine)  # the write itself goes on
            changes.begin_request()
            first, second = changes.version("accounts", engine), changes.version("accounts", engine)
            changes.end_request()
        assert first != second  # no cache finds an entry: every read goes to the database
        assert changes.version("accounts", engine) not in (first, second)
        assert "Redis unreachable" in caplog.text
    finally:
        changes.end_request()
        changes.register_shared(url, "")
    assert not changes._shared_of(engine)

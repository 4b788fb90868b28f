"""Which data changed since a cache was filled.

The per-process caches (the territory of a host name, the feed's shared look-ups, the facts of a
publication card) stay valid while the tables they were read from are unchanged. Every write
statement sent to the database is noticed here, whoever sends it (a service, a test factory, a
CLI command, raw SQL): the *generation* of the tables' group goes up in this process at once,
and when the transaction commits, the group's stamp file in the instance folder is touched so
that the other processes of the same instance (the other gunicorn workers, the task worker) see
it at their next request (one ``stat`` per group a request asks about). Each group has its own
file: a campaign writing inboxes leaves the feed's caches alone.

A cache keys its entries with ``version(group)``, read BEFORE it reads the database, so an entry
filled while another process commits is refilled at the next request, never kept stale.

Across machines (PostgreSQL and ``REDIS_URL``: many web and worker machines on one database),
the stamp files are replaced by a counter per group in Redis (``register_shared``): a commit
increments its groups' counters, and a request reads all the counters once, with one ``MGET``, at
its first ``version()`` (``begin_request``), before any of its reads. Every process of every
machine then sees a write at its next request, as the processes of one machine do with the
stamps. Each counter starts from a random number (``SET NX``) so that a Redis restarted or
flushed cannot give back a version an old entry was kept under; while Redis cannot be reached,
``version()`` never gives the same value twice, so that caches read the database every time.

Some groups hold rows that are each one person's (``PERSONAL``: the inbox). What is kept per
person from them (app.accounts.sessions: a person's unread count, in every page's header) need
not be read again when somebody else's rows change: a campaign writes thousands of inboxes a
second, and each batch would otherwise send every person's next page back to the database. A
write that names the people it concerns (the execution option ``concerning(group, ids)``) leaves
a mark per person in Redis, set with the group's counter in one step (the counter's value); any
other write to the group also moves the group's *everybody* counter (``everybody(group)``).
``unchanged_for(person, …)`` then tells, with one ``GET``, whether the person's rows changed since
a value was read. Only through Redis: with the stamp files, every write marks everybody.
"""

from __future__ import annotations

import itertools
import logging
import os
import re
import secrets
import threading
import time
import weakref
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.pool import Pool

# Table -> the groups whose caches its changes invalidate.
GROUPS: dict[str, tuple[str, ...]] = {
    "territory": ("territories",),
    "territory_host": ("territories",),
    "publication": ("feed",),
    "publication_hashtag": ("feed",),
    "actor": ("feed",),
    "actor_hashtag": ("feed",),
    "actor_hours_exception": ("feed",),
    "hashtag": ("feed",),
    "neighbourhood": ("feed",),
    "follow": ("interests",),
    "user_hashtag": ("interests",),
    "mute": ("interests",),
    "count_release": ("releases",),
    "inbox_item": ("inbox",),
    # What a person's kept session says (app.accounts.sessions): revoked, their account, whether
    # they act for an actor, their live-location consent.
    "auth_session": ("accounts",),
    "user_account": ("accounts",),
    "membership": ("accounts",),
    "consent": ("accounts",),
}
# Tables whose caches keep only rows found, and whose rows never change once written: a new row
# changes nothing kept (a cache that does not find one reads the database), an update or a delete
# still does. A released count (app.releases) is stored once per window, and a town's pages store
# new ones all day: each used to empty every kept answer.
ADDED_ROWS_CHANGE_NOTHING = frozenset({"count_release"})
# Execution option of a write that no cache reads, so that it invalidates none: a session's
# last-seen time, touched every few minutes per person (the kept session allows for it).
UNNOTICED = "changes_unnoticed"
# Execution option of a write to a personal group's rows that names their people (``concerning``).
CONCERNING = "changes_concerning"
# How long a person's mark is kept in Redis: longer than anything is kept per person
# (app.accounts.sessions.KEEP_SECONDS); a value read before an expired mark is no longer kept.
PERSON_MARK_SECONDS = 600


def concerning(group: str, people: Iterable[int]) -> dict[str, Any]:
    """The execution options of a write to ``group`` (one of ``PERSONAL``) whose rows are only
    those of ``people``: ``statement.execution_options(**concerning("inbox", ids))``."""
    return {CONCERNING: (group, frozenset(int(person) for person in people))}


# Groups whose rows are each one person's (see the module's text).
PERSONAL = frozenset({"inbox"})


def everybody(group: str) -> str:
    """The counter of the writes to the personal ``group`` that named nobody: everybody's."""
    return f"{group}@everybody"


ALL_GROUPS = frozenset(group for groups in GROUPS.values() for group in groups) | frozenset(
    everybody(group) for group in PERSONAL
)

_WRITE = re.compile(
    r"\s*(?:INSERT\s+(?:OR\s+\w+\s+)?INTO|UPDATE|DELETE\s+FROM|REPLACE\s+INTO)\s+[\"`]?(\w+)",
    re.IGNORECASE,
)
_SCHEMA = re.compile(r"\s*(?:TRUNCATE|DROP|ALTER|CREATE)\b", re.IGNORECASE)
_FIRST_WORDS = ("INSERT", "UPDATE", "DELETE", "REPLACE", "TRUNCATE", "DROP", "ALTER", "CREATE")

_generations: dict[str, int] = dict.fromkeys(ALL_GROUPS, 0)
_lock = threading.Lock()
_stamps: dict[
    str, dict[str, str]
] = {}  # engine URL -> group -> stamp file shared by the instance's processes
_engine_stamps: weakref.WeakKeyDictionary[Engine, dict[str, str] | None] = (
    weakref.WeakKeyDictionary()
)
_DIRTY = "changes_dirty_groups"
_COMMITTED = "changes_committed_groups"
# The people named by the writes of _DIRTY and _COMMITTED: group -> their ids.
_PEOPLE = {_DIRTY: "changes_dirty_people", _COMMITTED: "changes_committed_people"}
_ENGINE = "changes_engine"


def register_stamp(engine_url: str, instance_dir: str | os.PathLike[str]) -> None:
    """Share the changes to ``engine_url``'s data with the other processes using ``instance_dir``:
    a stamp file per group (``data-changes-<group>.stamp``), so that the inbox written by a
    campaign does not empty the feed's caches."""
    paths = {group: Path(instance_dir) / f"data-changes-{group}.stamp" for group in ALL_GROUPS}
    try:
        for path in paths.values():
            if not path.exists():
                path.touch()
    except OSError as error:
        # Without it, other processes see a change only when their caches expire.
        logging.getLogger(__name__).warning(
            "cannot write %s: caches expire by time only", error.filename
        )
        return
    _stamps[engine_url] = {group: str(path) for group, path in paths.items()}
    _engine_stamps.clear()


class SharedCounters:
    """The groups' versions in Redis, shared by every process of every machine on a database."""

    RETRY_SECONDS = 1.0  # after a failure, Redis is not asked again for this long

    def __init__(self, redis_url: str, namespace: str) -> None:
        import redis  # the Huey queue's client: imported only where Redis is configured

        self.redis_url = redis_url
        self.namespace = namespace
        self._errors: tuple[type[BaseException], ...] = (redis.RedisError, OSError)
        self.client = redis.Redis.from_url(
            redis_url, socket_timeout=0.5, socket_connect_timeout=0.5
        )
        self.groups = tuple(sorted(ALL_GROUPS))
        self.keys = {group: f"territory:changes:{namespace}:{group}" for group in self.groups}
        self._down_until = 0.0
        self._bump_marking = self.client.register_script(_BUMP_MARKING)

    def person_key(self, group: str, person: int) -> str:
        return f"{self.keys[group]}:person:{person}"

    def _failed(self, error: BaseException) -> None:
        if time.monotonic() >= self._down_until:
            logging.getLogger(__name__).warning(
                "Redis unreachable for the caches' versions (%s): caches read the database", error
            )
        self._down_until = time.monotonic() + self.RETRY_SECONDS

    def read(self, groups: tuple[str, ...]) -> dict[str, Any] | None:
        """The counters of ``groups`` (None for one never written since Redis started), or None
        when Redis cannot be reached."""
        if time.monotonic() < self._down_until:
            return None
        try:
            values = self.client.mget([self.keys[group] for group in groups])
        except self._errors as error:
            self._failed(error)
            return None
        return dict(zip(groups, values, strict=True))

    def bump(
        self, groups: frozenset[str] | tuple[str, ...], people: dict[str, set[int]] | None = None
    ) -> None:
        """Increment the counters of ``groups``; for a personal group in ``people``, mark each
        of its people with the counter's new value, in the same step (a Lua script: no reader
        sees the counter moved and the mark not yet set)."""
        try:
            pipeline = self.client.pipeline(transaction=False)
            for group in groups:
                key = self.keys[group]
                named = (people or {}).get(group)
                if named:
                    self._bump_marking(
                        keys=[key, *(self.person_key(group, person) for person in sorted(named))],
                        args=[secrets.randbits(62), PERSON_MARK_SECONDS],
                        client=pipeline,
                    )
                    continue
                pipeline.set(key, secrets.randbits(62), nx=True)
                pipeline.incr(key)
            pipeline.execute()
        except self._errors as error:
            # The other machines see this write when their caches expire (a minute at most).
            self._failed(error)

    def person_mark(self, group: str, person: int) -> int | None | bool:
        """The counter's value at the last write that named ``person`` in ``group`` (None: none
        for PERSON_MARK_SECONDS), or False when Redis cannot be reached."""
        if time.monotonic() < self._down_until:
            return False
        try:
            mark = self.client.get(self.person_key(group, person))
        except self._errors as error:
            self._failed(error)
            return False
        return None if mark is None else int(mark)


# KEYS[1]: a group's counter, KEYS[2…]: its people's marks; ARGV: a random start, the marks' life.
# The counter is read back as text: Lua's numbers (doubles) would round its 62 bits.
_BUMP_MARKING = """
redis.call('SET', KEYS[1], ARGV[1], 'NX')
redis.call('INCR', KEYS[1])
local version = redis.call('GET', KEYS[1])
for i = 2, #KEYS do redis.call('SET', KEYS[i], version, 'EX', ARGV[2]) end
return version
"""


_shared: dict[str, SharedCounters] = {}  # engine URL -> its counters in Redis
_engine_shared: weakref.WeakKeyDictionary[Engine, SharedCounters | None] = (
    weakref.WeakKeyDictionary()
)
_unknown = itertools.count()
_request = threading.local()  # .values: the counters the current request read, by SharedCounters


def register_shared(engine_url: str, redis_url: str) -> None:
    """Share the changes to ``engine_url``'s data through Redis at ``redis_url``, with every
    process of every machine (see the module's text); the stamp files are no longer read. An
    empty ``redis_url``: the stamp files again."""
    _engine_shared.clear()
    if not redis_url:
        _shared.pop(engine_url, None)
        return
    present = _shared.get(engine_url)
    if present is None or present.redis_url != redis_url:
        namespace = engine_url.rsplit("/", 1)[-1].split("?", 1)[0] or "default"
        _shared[engine_url] = SharedCounters(redis_url, namespace)


def _shared_of(engine: Engine) -> SharedCounters | None:
    try:
        return _engine_shared[engine]
    except KeyError:
        counters = _engine_shared[engine] = _shared.get(str(engine.url))
        return counters


def shared_across_machines(engine: Engine) -> bool:
    """Whether every process on every machine sees the writes to ``engine``'s data at its next
    request: on SQLite (one machine, the stamp files) or through Redis (``register_shared``)."""
    return engine.dialect.name == "sqlite" or _shared_of(engine) is not None


def begin_request() -> None:
    """A request starts (before_request): its first ``version()`` reads every shared counter at
    once, and its other ``version()`` calls reuse them (still read before its reads)."""
    _request.values = {}


def end_request(_error: BaseException | None = None) -> None:
    _request.values = None


def _shared_version(counters: SharedCounters, group: str) -> Any:
    read: dict[SharedCounters, dict[str, Any]] | None = getattr(_request, "values", None)
    if read is None:  # outside a request (a task, a command): asked each time
        values = counters.read((group,))
    else:
        values = read.get(counters)
        if values is None:
            values = counters.read(counters.groups)
            if values is not None:
                read[counters] = values
    if values is None:
        return ("unknown", next(_unknown))  # equal to no other version: nothing is kept meanwhile
    return values[group]


def _stamp_of(engine: Engine) -> dict[str, str] | None:
    try:
        return _engine_stamps[engine]
    except KeyError:
        stamp = _engine_stamps[engine] = _stamps.get(str(engine.url))
        return stamp


def version(group: str, engine: Engine | None = None) -> tuple[Any, ...]:
    """Changes whenever data of ``group`` changed (in this process or, through the group's stamp
    file, in another process of the same instance)."""
    if engine is None:
        return (_generations[group], 0)
    counters = _shared_of(engine)
    if counters is not None:
        return (_generations[group], _shared_version(counters, group))
    stamps = _stamp_of(engine)
    try:
        shared = os.stat(stamps[group]).st_mtime_ns if stamps is not None else 0
    except OSError:
        shared = -1
    return (_generations[group], shared)


def mark_changed(
    *groups: str, engine: Engine | None = None, people: dict[str, set[int]] | None = None
) -> None:
    """Invalidate the caches of ``groups`` (all of them when none is given), here and in the
    instance's other processes; ``people``: the people named by the writes to a personal group
    (see the module's text)."""
    chosen = groups or tuple(ALL_GROUPS)
    with _lock:
        for group in chosen:
            _generations[group] = _generations.get(group, 0) + 1
    if engine is None:
        return
    counters = _shared_of(engine)
    if counters is not None:
        counters.bump(chosen, people)
        return
    stamps = _stamp_of(engine)
    if stamps is not None:
        now = time.time_ns()
        for group in chosen:
            try:
                os.utime(stamps[group], ns=(now, now))
            except (OSError, KeyError):
                pass


def _groups_written(statement: str) -> frozenset[str]:
    if not statement.lstrip()[:8].upper().startswith(_FIRST_WORDS):
        return frozenset()
    match = _WRITE.match(statement)
    if match:
        table = match.group(1).lower()
        if table in ADDED_ROWS_CHANGE_NOTHING and statement.lstrip()[:6].upper() == "INSERT":
            return frozenset()
        return frozenset(GROUPS.get(table, ()))
    if _SCHEMA.match(statement):
        return ALL_GROUPS
    return frozenset()


@event.listens_for(Engine, "before_cursor_execute")
def _note_write(
    conn: Connection, _cursor: Any, statement: str, _parameters: Any, context: Any, _many: bool
) -> None:
    if context is not None and context.execution_options.get(UNNOTICED):
        return
    groups = _groups_written(statement)
    if groups:
        personal = groups & PERSONAL
        if personal:
            named = context.execution_options.get(CONCERNING) if context is not None else None
            for group in personal:
                if named is not None and named[0] == group:
                    conn.info.setdefault(_PEOPLE[_DIRTY], {}).setdefault(group, set()).update(named[1])
                else:  # rows of people it does not name: everybody's
                    groups = groups | {everybody(group)}
        # This process at once (the same transaction may read its own write back), the other
        # processes when it commits.
        mark_changed(*groups)
        conn.info.setdefault(_DIRTY, set()).update(groups)
        conn.info[_ENGINE] = conn.engine
        if conn.get_execution_options().get("isolation_level") == "AUTOCOMMIT":
            _announce(conn.info, _DIRTY)


def _announce(info: dict[str, Any], key: str) -> None:
    groups = info.pop(key, None)
    people = info.pop(_PEOPLE[key], None)
    if groups:
        mark_changed(*groups, engine=info.get(_ENGINE), people=people)


@event.listens_for(Engine, "commit")
def _on_commit(conn: Connection) -> None:
    # This runs just before the database commits: announce now (this process) and once more
    # after the commit (when the connection is used again or goes back to the pool), so that
    # no process can fill a cache from the data of before the commit under the new version.
    # The people named are marked both times: a value read between the two is read again.
    groups = conn.info.pop(_DIRTY, None)
    people = conn.info.pop(_PEOPLE[_DIRTY], None)
    if groups:
        mark_changed(*groups, engine=conn.engine, people=people)
        conn.info.setdefault(_COMMITTED, set()).update(groups)
        committed = conn.info.setdefault(_PEOPLE[_COMMITTED], {})
        for group, named in (people or {}).items():
            committed.setdefault(group, set()).update(named)


@event.listens_for(Engine, "rollback")
def _on_rollback(conn: Connection) -> None:
    # A rolled-back write changed nothing.
    conn.info.pop(_DIRTY, None)
    conn.info.pop(_PEOPLE[_DIRTY], None)


def unchanged_for(person: int, group: str, engine: Engine, read_at: Mapping[str, Any]) -> bool:
    """Whether no write to the personal ``group`` concerned ``person`` since a value of theirs
    was read at the versions ``read_at`` (``version(group)`` and ``version(everybody(group))``,
    read before it): no write named nobody since, and the person's mark, if any, is not newer.
    False wherever that cannot be told (no Redis, Redis unreachable, a version unknown): the
    value is then read again."""
    counters = _shared_of(engine)
    if counters is None or group not in PERSONAL:
        return False
    everyone = everybody(group)
    if read_at.get(everyone) is None or read_at.get(everyone) != version(everyone, engine):
        return False
    try:
        then = int(read_at[group][1])
    except (KeyError, TypeError, ValueError, IndexError):
        return False  # unknown ("unknown", n) or never written since Redis started (None)
    mark = counters.person_mark(group, person)
    if mark is False:
        return False
    return mark is None or mark <= then


@event.listens_for(Engine, "begin")
def _on_begin(conn: Connection) -> None:
    if _COMMITTED in conn.info:
        _announce(conn.info, _COMMITTED)


@event.listens_for(Pool, "checkin")
def _on_checkin(_dbapi_connection: Any, record: Any) -> None:
    if record is not None and _COMMITTED in record.info:
        _announce(record.info, _COMMITTED)

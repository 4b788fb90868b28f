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
"""

from __future__ import annotations

import logging
import os
import re
import threading
import time
import weakref
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
# Execution option of a write that no cache reads, so that it invalidates none: a session's
# last-seen time, touched every few minutes per person (the kept session allows for it).
UNNOTICED = "changes_unnoticed"
ALL_GROUPS = frozenset(group for groups in GROUPS.values() for group in groups)

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


def _stamp_of(engine: Engine) -> dict[str, str] | None:
    try:
        return _engine_stamps[engine]
    except KeyError:
        stamp = _engine_stamps[engine] = _stamps.get(str(engine.url))
        return stamp


def version(group: str, engine: Engine | None = None) -> tuple[Any, ...]:
    """Changes whenever data of ``group`` changed (in this process or, through the group's stamp
    file, in another process of the same instance)."""
    stamps = _stamp_of(engine) if engine is not None else None
    try:
        shared = os.stat(stamps[group]).st_mtime_ns if stamps is not None else 0
    except OSError:
        shared = -1
    return (_generations[group], shared)


def mark_changed(*groups: str, engine: Engine | None = None) -> None:
    """Invalidate the caches of ``groups`` (all of them when none is given), here and in the
    instance's other processes."""
    chosen = groups or tuple(ALL_GROUPS)
    with _lock:
        for group in chosen:
            _generations[group] = _generations.get(group, 0) + 1
    stamps = _stamp_of(engine) if engine is not None else None
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
        return frozenset(GROUPS.get(match.group(1).lower(), ()))
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
        # This process at once (the same transaction may read its own write back), the other
        # processes when it commits.
        mark_changed(*groups)
        conn.info.setdefault(_DIRTY, set()).update(groups)
        conn.info[_ENGINE] = conn.engine
        if conn.get_execution_options().get("isolation_level") == "AUTOCOMMIT":
            _announce(conn.info, _DIRTY)


def _announce(info: dict[str, Any], key: str) -> None:
    groups = info.pop(key, None)
    if groups:
        mark_changed(*groups, engine=info.get(_ENGINE))


@event.listens_for(Engine, "commit")
def _on_commit(conn: Connection) -> None:
    # This runs just before the database commits: announce now (this process) and once more
    # after the commit (when the connection is used again or goes back to the pool), so that
    # no process can fill a cache from the data of before the commit under the new version.
    groups = conn.info.pop(_DIRTY, None)
    if groups:
        mark_changed(*groups, engine=conn.engine)
        conn.info.setdefault(_COMMITTED, set()).update(groups)


@event.listens_for(Engine, "rollback")
def _on_rollback(conn: Connection) -> None:
    # A rolled-back write changed nothing.
    conn.info.pop(_DIRTY, None)


@event.listens_for(Engine, "begin")
def _on_begin(conn: Connection) -> None:
    if _COMMITTED in conn.info:
        _announce(conn.info, _COMMITTED)


@event.listens_for(Pool, "checkin")
def _on_checkin(_dbapi_connection: Any, record: Any) -> None:
    if record is not None and _COMMITTED in record.info:
        _announce(record.info, _COMMITTED)

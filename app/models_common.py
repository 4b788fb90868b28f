"""Column helpers shared by every domain's models."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy import DateTime, TypeDecorator, inspect
from sqlalchemy.orm import Session, make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value

T = TypeVar("T")


def utcnow() -> datetime:
    return datetime.now(UTC)


def detached_copy(obj: T) -> T:
    """A copy of a loaded row's columns, attached to no session: a per-process cache keeps it,
    and ``attach`` turns it into a request's own instance without a query."""
    mapper = inspect(obj).mapper
    copy = mapper.class_manager.new_instance()
    for attr in mapper.column_attrs:
        set_committed_value(copy, attr.key, getattr(obj, attr.key))
    make_transient_to_detached(copy)
    return copy  # type: ignore[no-any-return]


def attach(session: Session, copy: T) -> T:
    """The session's instance of a ``detached_copy``: the one already in its identity map, or the
    copy's columns merged in without a query (the copy itself stays detached, for the next one;
    whatever the request changes is its own)."""
    present = session.identity_map.get(inspect(copy).key)
    if present is not None and not inspect(present).expired_attributes:
        return present  # type: ignore[no-any-return]
    return session.merge(copy, load=False)  # an expired one takes the copy's columns


class KeptRows:
    """Rows kept per process as detached copies (an LRU of ``size``): ``get`` gives the request's
    own instances of what ``put`` kept under ``key`` while ``version`` is still the one given
    (a caller's data versions, app.changes, and whatever else bounds its freshness)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._rows: OrderedDict[Hashable, tuple[Hashable, tuple[Any, ...]]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, session: Session, key: Hashable, version: Hashable) -> tuple[Any, ...] | None:
        with self._lock:
            entry = self._rows.get(key)
            if entry is None or entry[0] != version:
                return None
            self._rows.move_to_end(key)
        return tuple(attach(session, copy) for copy in entry[1])

    def put(self, key: Hashable, version: Hashable, *rows: Any) -> None:
        copies = tuple(detached_copy(row) for row in rows)
        with self._lock:
            self._rows[key] = (version, copies)
            self._rows.move_to_end(key)
            while len(self._rows) > self.size:
                self._rows.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._rows.clear()


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in and out, on SQLite (which drops the zone) as on PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)

"""Column helpers shared by every domain's models."""

from __future__ import annotations

import json
import threading
import time
from collections import OrderedDict
from collections.abc import Hashable, Iterable
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy import ARRAY, BigInteger, Boolean, DateTime, Text, TypeDecorator, bindparam, inspect
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session, make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.sql import coercions, roles
from sqlalchemy.sql.elements import BindParameter, ColumnElement
from sqlalchemy.sql.visitors import InternalTraversal

T = TypeVar("T")


def utcnow() -> datetime:
    return datetime.now(UTC)


def staggered_minute(key: Hashable) -> int:
    """The minute that bounds how long a value is kept under ``key`` when nothing else tells of
    its staleness (app.changes does, for every write): the clock's minute shifted by the key's
    own offset, so that the values a process keeps do not all expire at the same second (a burst
    of reads, every minute, that queued every page behind it under load)."""
    return int((time.time() + hash(key) % 60) // 60)


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


class LruCache:
    """A small LRU shared by the threads of a process: the page shell's pieces (app.fragments),
    the publication cards (app.feed.cards), the rankings, the kept values below."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._pieces: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> Any:
        with self._lock:
            piece = self._pieces.get(key)
            if piece is not None:
                self._pieces.move_to_end(key)
            return piece

    def put(self, key: Hashable, piece: Any) -> None:
        with self._lock:
            self._pieces[key] = piece
            self._pieces.move_to_end(key)
            while len(self._pieces) > self.size:
                self._pieces.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._pieces.clear()

    def __len__(self) -> int:
        return len(self._pieces)


class Kept:
    """Values kept per process (an ``LruCache`` of ``size``): ``get`` gives what ``put`` kept
    under ``key`` while ``version`` is still the one given (a caller's data versions,
    app.changes, and whatever else bounds its freshness), else None."""

    def __init__(self, size: int) -> None:
        self.values = LruCache(size)

    def get(self, key: Hashable, version: Hashable) -> Any:
        entry = self.values.get(key)
        return entry[1] if entry is not None and entry[0] == version else None

    def put(self, key: Hashable, version: Hashable, value: Any) -> None:
        self.values.put(key, (version, value))

    def clear(self) -> None:
        self.values.clear()

    def __len__(self) -> int:
        return len(self.values)


class KeptRows:
    """Rows kept per process as detached copies (``Kept``): ``get`` gives the request's own
    instances of what ``put`` kept under ``key`` while ``version`` holds."""

    def __init__(self, size: int) -> None:
        self.kept = Kept(size)

    def get(self, session: Session, key: Hashable, version: Hashable) -> tuple[Any, ...] | None:
        copies = self.kept.get(key, version)
        return None if copies is None else tuple(attach(session, copy) for copy in copies)

    def put(self, key: Hashable, version: Hashable, *rows: Any) -> None:
        self.kept.put(key, version, tuple(detached_copy(row) for row in rows))

    def clear(self) -> None:
        self.kept.clear()


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


class IdList(TypeDecorator[list[int]]):
    """A list of integer ids bound as ONE parameter: a JSON array on SQLite (read back with
    ``json_each``), an array on PostgreSQL. See ``in_ids``."""

    impl = Text
    cache_ok = True

    def load_dialect_impl(self, dialect: Any) -> Any:
        if dialect.name == "postgresql":
            return dialect.type_descriptor(ARRAY(BigInteger))
        return dialect.type_descriptor(Text())

    def process_bind_param(self, value: Iterable[int] | None, dialect: Any) -> Any:
        if value is None:
            return None
        values = value if isinstance(value, list) else list(value)
        return values if dialect.name == "postgresql" else json.dumps(values)


class in_ids(ColumnElement[bool]):  # noqa: N801 - used like SQLAlchemy's own constructs
    """``column IN ids`` with the ids bound as one parameter (``IdList``): ``column IN (SELECT
    value FROM json_each(:ids))`` on SQLite, ``column = ANY(:ids)`` on PostgreSQL.

    ``column.in_(ids)`` binds one parameter per id, which SQLAlchemy expands into the statement
    on every execution (hundreds of them for a delivery batch, several times a batch); one
    array keeps the statement's text and its compiled form the same whatever the count.
    ``ids``: the values, or a ``bindparam`` to fill at execution."""

    type = Boolean()
    _is_implicitly_boolean = True  # a condition: no "= 1" after it on SQLite
    inherit_cache = True
    _traverse_internals = [
        ("column", InternalTraversal.dp_clauseelement),
        ("ids", InternalTraversal.dp_clauseelement),
    ]

    def __init__(self, column: Any, ids: Iterable[int] | BindParameter[Any]) -> None:
        self.column = coercions.expect(roles.ExpressionElementRole, column)
        if isinstance(ids, BindParameter):
            self.ids = ids
        else:
            self.ids = bindparam(None, list(ids), type_=IdList())


@compiles(in_ids)
def _in_ids_sqlite(element: in_ids, compiler: Any, **kw: Any) -> str:
    return f"{compiler.process(element.column, **kw)} IN (SELECT value FROM json_each({compiler.process(element.ids, **kw)}))"


@compiles(in_ids, "postgresql")
def _in_ids_postgresql(element: in_ids, compiler: Any, **kw: Any) -> str:
    return f"{compiler.process(element.column, **kw)} = ANY({compiler.process(element.ids, **kw)})"

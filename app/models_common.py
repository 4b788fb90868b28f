"""Column helpers shared by every domain's models."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ARRAY, BigInteger, Boolean, DateTime, Text, TypeDecorator, bindparam
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql import coercions, roles
from sqlalchemy.sql.elements import BindParameter, ColumnElement
from sqlalchemy.sql.visitors import InternalTraversal


def utcnow() -> datetime:
    return datetime.now(UTC)


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

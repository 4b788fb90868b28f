"""Territory-owned rows, read through one place: every query of them names its territory here, so
that a row of another territory is simply not found (a 404 for a page, never a 403).

- ``scoped(Model, territory, *criteria)``: ``select(Model)`` of that territory's rows;
- ``belongs(Model, territory)``: the condition alone, for joins, counts and ``IN`` subqueries;
- ``get_in(Model, id, territory)``: one row by id, None when it is another territory's;
- ``same_territory(a, b)``: whether two objects (or an object and a territory) are of one town.

``territory`` is a Territory, anything with a ``territory_id`` (a user, an actor...), or an id.
``app.territories.context`` applies them to the request's territory (``scoped``,
``get_scoped_or_404``)."""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Select, select
from sqlalchemy.sql import ClauseElement

from app.extensions import db
from app.territories.models import Territory

T = TypeVar("T")


def territory_id_of(territory: Any) -> Any:
    """The id of a territory given as a Territory, an object with ``territory_id``, an id, or
    an SQL expression of one (a bound parameter of a statement built once)."""
    if isinstance(territory, int | ClauseElement):
        return territory
    if isinstance(territory, Territory):
        return territory.id
    return territory.territory_id  # type: ignore[no-any-return]


def belongs(model: Any, territory: Any) -> ColumnElement[bool]:
    """``model.territory_id == <the territory's id>``."""
    return model.territory_id == territory_id_of(territory)  # type: ignore[no-any-return]


def scoped(model: type[T], territory: Any, *criteria: Any) -> Select[tuple[T]]:
    """``select(model)`` of the territory's rows that also meet ``criteria``."""
    return select(model).where(belongs(model, territory), *criteria)


def get_in(model: type[T], object_id: Any, territory: Any) -> T | None:
    """The row ``object_id`` of ``model`` if it is the territory's, else None."""
    obj = db.session.get(model, object_id)
    if obj is None or getattr(obj, "territory_id", None) != territory_id_of(territory):
        return None
    return obj


def same_territory(obj: Any, territory: Any) -> bool:
    """Whether ``obj`` (with a ``territory_id``) belongs to ``territory``."""
    return obj is not None and getattr(obj, "territory_id", None) == territory_id_of(territory)

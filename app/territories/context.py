"""Which territory a request is for, from its host name; and queries scoped to it.

Routes read territory-owned rows through ``scoped()`` or ``get_scoped_or_404()``, which apply
app.territories.scoping to the request's territory: an object of another territory is then
simply not found (404), never forbidden (403)."""

from __future__ import annotations

import threading
import time
from datetime import tzinfo
from typing import Any, TypeVar

from flask import abort, current_app, g, request
from sqlalchemy import Select, select

from app import changes
from app.extensions import db
from app.models_common import attach, detached_copy
from app.territories import scoping
from app.territories.models import Territory, TerritoryHost
from app.timezones import zone

T = TypeVar("T")

# Host names that reach the default territory when no territory claims them.
LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1", "[::1]"}


def request_hostname() -> str:
    host = request.host.lower()
    if host.startswith("["):
        return host.split("]")[0] + "]"
    return host.rsplit(":", 1)[0] if ":" in host else host


# Host name -> territory, kept per process: resolving it is a query that every request would
# otherwise pay. An entry holds while the territories' tables are unchanged (see app.changes:
# any write to them, in any process of the instance, empties it) and at most CACHE_SECONDS.
CACHE_SECONDS = 30.0
_cache: dict[tuple[Any, ...], tuple[float, tuple[Any, ...], Territory]] = {}
_cache_lock = threading.Lock()


def clear_territory_cache() -> None:
    """Forget the cached territories (this process); writes to the tables do it by themselves."""
    with _cache_lock:
        _cache.clear()


def cached_territory_for_host(hostname: str) -> Territory | None:
    """``territory_for_host``, from the per-process cache when it is still valid."""
    engine = db.engine
    key = (hostname, id(current_app._get_current_object()), str(engine.url) if engine else "")  # type: ignore[attr-defined]
    stamp = changes.version("territories", engine)
    now = time.monotonic()
    entry = _cache.get(key)
    if entry is not None and entry[0] > now and entry[1] == stamp:
        return attach(db.session(), entry[2])
    territory = territory_for_host(hostname)
    if territory is not None:
        with _cache_lock:
            _cache[key] = (now + CACHE_SECONDS, stamp, detached_copy(territory))
    return territory


def territory_for_host(hostname: str) -> Territory | None:
    session = db.session
    territory = session.scalar(
        select(Territory).join(TerritoryHost).where(TerritoryHost.hostname == hostname)
    )
    if territory is None and hostname in LOCAL_HOSTS:
        slug = current_app.config.get("DEFAULT_TERRITORY")
        query = select(Territory)
        query = query.where(Territory.slug == slug) if slug else query.order_by(Territory.id)
        territory = session.scalars(query.limit(1)).first()
    return territory


def resolve_territory() -> None:
    """before_request: set ``g.territory``; an unknown host is a 404."""
    if request.endpoint in {"static", None} and request.path.startswith("/static/"):
        return
    territory = cached_territory_for_host(request_hostname())
    if territory is None:
        abort(404)
    g.territory = territory


def current_territory() -> Territory:
    return g.territory  # type: ignore[no-any-return]


def current_zone() -> tzinfo:
    """The current territory's time zone: dates in forms are typed on the town's clock."""
    return zone(current_territory())


def scoped(model: type[T], *criteria: Any) -> Select[tuple[T]]:
    """``select(model)`` restricted to the request's territory (app.territories.scoping)."""
    return scoping.scoped(model, current_territory(), *criteria)


def get_scoped_or_404(model: type[T], object_id: Any) -> T:
    """The request's territory's row ``object_id``; another territory's is a 404."""
    obj = scoping.get_in(model, object_id, current_territory())
    if obj is None:
        abort(404)
    return obj

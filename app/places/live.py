"""Live location: with its own consent, where a person is now, as one coarse H3 cell (about
0.1 km²) and its time, overwritten at each check-in and forgotten after ``LIVE_CELL_LIFETIME``:
there is never a history, and the coordinates a phone sends are used only while the request
runs. Also who is present in a zone right now (campaign criteria, counts)."""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from blinker import Namespace
from flask_babel import gettext as _
from sqlalchemy import Select, bindparam, delete, event, exists, func, select
from sqlalchemy.orm import object_session
from sqlalchemy.orm.util import identity_key

from app import geo
from app.accounts.consents import LIVE_LOCATION, grant_consent
from app.accounts.models import AuthSession, Consent, User
from app.accounts.sessions import session_flag
from app.extensions import db
from app.geo import PlaceError, parse_point
from app.models_common import utcnow
from app.places.models import LiveCell
from app.territories.models import Territory
from app.territories.scoping import belongs
from app.territories.services import in_territory

_signals = Namespace()
# Sent once the cell is stored, with the person as sender and ``territory``, ``lat``, ``lon``
# (the exact point: use it now, never store it), ``cell`` and ``at``.
checked_in = _signals.signal("checked-in")

LIVE_CELL_LIFETIME = timedelta(minutes=60)
CHECKIN_INTERVAL = timedelta(minutes=5)  # how often an open app reports (static/js/location.js)


# --- live location: consent ---------------------------------------------------------------------


@lru_cache(maxsize=1)
def _consent_exists_query() -> Any:
    """Built once: every check-in asks it (a covering index look-up on the consent table)."""
    return select(Consent.id).where(
        Consent.user_id == bindparam("user_id"), Consent.purpose == LIVE_LOCATION,
        Consent.withdrawn_at.is_(None),
    ).limit(1)


def has_live_location_consent(user: User) -> bool:
    # Core on the session's connection: half the cost of the ORM path, at every check-in.
    connection = db.session.connection()
    return connection.execute(_consent_exists_query(), {"user_id": user.id}).first() is not None


@session_flag("_live_location_on")
def _live_location_consented() -> Any:
    """Read with the session (app.accounts.sessions): every page's <body> says whether live
    location is on, for location.js, without a query of its own."""
    return exists().where(
        Consent.user_id == AuthSession.user_id, Consent.purpose == LIVE_LOCATION,
        Consent.withdrawn_at.is_(None),
    )


def live_location_on(user: User) -> bool:
    """Whether the person has live location on: the flag read with their session, else asked."""
    flag = user.__dict__.get("_live_location_on")
    return has_live_location_consent(user) if flag is None else bool(flag)


@event.listens_for(Consent, "after_insert")
@event.listens_for(Consent, "after_update")
def _live_location_changed(_mapper: Any, _connection: Any, consent: Consent) -> None:
    """Given or withdrawn, the consent counts at once: the flag read with the session goes."""
    session = object_session(consent)
    user = session.identity_map.get(identity_key(User, consent.user_id)) if session else None
    if consent.purpose == LIVE_LOCATION and user is not None:
        user.__dict__.pop("_live_location_on", None)


def turn_on_live_location(user: User) -> Consent:
    return grant_consent(user, LIVE_LOCATION, detail="near")


def turn_off_live_location(user: User) -> None:
    """Withdraw the consent (the record stays, dated) and forget the live cell at once."""
    now = utcnow()
    for consent in db.session.scalars(
        select(Consent).where(Consent.user_id == user.id, Consent.purpose == LIVE_LOCATION,
                              Consent.withdrawn_at.is_(None))
    ):
        consent.withdrawn_at = now
    db.session.execute(delete(LiveCell).where(LiveCell.user_id == user.id))
    db.session.commit()


@event.listens_for(Consent, "after_update")
def _live_location_withdrawn(_mapper: Any, connection: Any, consent: Consent) -> None:
    """However the consent is withdrawn (here or in the privacy centre), the live cell goes in
    the same transaction."""
    if consent.purpose == LIVE_LOCATION and consent.withdrawn_at is not None:
        connection.execute(delete(LiveCell).where(LiveCell.user_id == consent.user_id))


# --- live location: check-in --------------------------------------------------------------------


def check_in(user: User, territory: Territory, lat: Any, lon: Any,
             now: datetime | None = None) -> int:
    """Store where ``user`` is now as a coarse cell, replacing the previous one; returns the
    cell. The caller has checked the consent. Raises PlaceError (nothing stored) for bad
    numbers or a point outside the territory.

    This is the only moment the exact point is known: ``checked_in`` hands it to its listeners
    (the welcome offers match it against their zones) before it is dropped."""
    lat_f, lon_f = parse_point(lat, lon)
    if not in_territory(territory, lat_f, lon_f):
        raise PlaceError(_("This position is outside %(town)s.", town=territory.name))
    cell = geo.cell_of(lat_f, lon_f, geo.LIVE_RESOLUTION)
    # Only these four values leave this function: the coordinates end here.
    values = {"user_id": user.id, "territory_id": territory.id, "cell": cell,
              "seen_at": now or utcnow()}
    connection = db.session.connection()
    connection.execute(_upsert_statement(connection.dialect.name), values)
    db.session.commit()
    checked_in.send(user, territory=territory, lat=lat_f, lon=lon_f, cell=cell, at=values["seen_at"])
    return cell


@lru_cache(maxsize=4)
def _upsert_statement(dialect: str) -> Any:
    """INSERT ... ON CONFLICT (user_id) DO UPDATE: one statement, built once per dialect."""
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    statement = insert(LiveCell).values(
        user_id=bindparam("user_id"), territory_id=bindparam("territory_id"),
        cell=bindparam("cell"), seen_at=bindparam("seen_at", type_=LiveCell.__table__.c.seen_at.type),
    )
    return statement.on_conflict_do_update(
        index_elements=[LiveCell.user_id],
        set_={"territory_id": statement.excluded.territory_id, "cell": statement.excluded.cell,
              "seen_at": statement.excluded.seen_at},
    )


def fresh_after(now: datetime | None = None) -> datetime:
    return (now or utcnow()) - LIVE_CELL_LIFETIME


def live_cell_of(user: User, now: datetime | None = None) -> LiveCell | None:
    """The person's own live cell, if it is still fresh."""
    return db.session.scalar(
        select(LiveCell).where(LiveCell.user_id == user.id, LiveCell.seen_at > fresh_after(now))
    )


def purge_expired_live_cells(now: datetime | None = None) -> int:
    """Delete every live cell older than the lifetime; returns how many."""
    result = db.session.execute(delete(LiveCell).where(LiveCell.seen_at <= fresh_after(now)))
    db.session.commit()
    return int(result.rowcount or 0)  # type: ignore[attr-defined]



def present_user_ids_query(territory: Territory, zone_cells: Any, now: datetime | None = None) -> Select[Any]:
    """SELECT of the ids of people whose fresh live cell is one of ``zone_cells`` (from
    ``geo.cells_with_centre_inside``: no exact point is kept, so a border cell counts by its
    centre). An indexed look-up on (territory, cell, seen_at)."""
    return select(LiveCell.user_id).where(
        belongs(LiveCell, territory),
        LiveCell.cell.in_(sorted(int(c) for c in zone_cells)),
        LiveCell.seen_at > fresh_after(now),
    )


def count_ids(query: Any) -> int:
    return int(db.session.scalar(select(func.count()).select_from(query.subquery())) or 0)


def count_present(territory: Territory, geometry: Any, now: datetime | None = None) -> int:
    zone_cells = geo.cells_with_centre_inside(geometry, geo.LIVE_RESOLUTION)
    return count_ids(present_user_ids_query(territory, zone_cells, now))



"""Erasing a person's account: everything that is theirs goes, in one transaction.

What goes is found from the schema rather than listed by hand, so that a table added later
cannot be forgotten: every column with a foreign key to ``user_account.id`` is either emptied
(``ON DELETE SET NULL``: rows that are not the person's, only linked to them — the deliveries
counted by campaign statistics, the actors, campaigns and publications they created, the
invitations they sent) or has its rows deleted (every other key: sessions, tokens, consents,
profile hashtags, follows, mutes, push subscriptions, notification settings with the phone and
any SMS code, live cell, welcome offers sent, inbox, memberships, data exports, recovery codes…).
Rows are deleted or updated by bulk statements, never loaded.

Two things are not reached by a key: the invitations sent *to* the person's e-mail in their
territory (deleted), and the archive files of their data exports (deleted once the rows are).
An actor whose only owner is erased stays: it is the actor's public space and holds nothing of
the person once the membership and ``created_by_id`` are gone."""

from __future__ import annotations

import logging
from datetime import datetime
from pathlib import Path

from sqlalchemy import Table, delete, func, inspect, select, update

from app.accounts.models import AuthSession, User
from app.actors.models import Actor, Invitation
from app.extensions import Base, db
from app.models_common import utcnow
from app.privacy.exports import exports_dir
from app.privacy.models import DataExport
from app.territories.scoping import belongs

log = logging.getLogger(__name__)

USER_TABLE = "user_account"


def user_references() -> list[tuple[Table, str, bool]]:
    """(table, column, set to NULL rather than delete) of every column that references a person,
    dependent tables first."""
    # The app factory loads every domain's models: the metadata holds every table.
    found = []
    for table in reversed(Base.metadata.sorted_tables):
        for key in table.foreign_keys:
            if key.column.table.name == USER_TABLE and table.name != USER_TABLE:
                found.append((table, key.parent.name, (key.ondelete or "").upper() == "SET NULL"))
    return found


def erase_account(user: User, now: datetime | None = None) -> None:
    """Erase ``user`` and everything that is theirs (see the module's docstring), then commit."""
    now = now or utcnow()
    session = db.session
    user_id, territory_id, email = user.id, user.territory_id, user.email
    # The person's row is locked first (PostgreSQL; SQLite locks the whole database on the first
    # write): a request of theirs cannot add a follow or a session in the middle of the erasure.
    session.execute(select(User.id).where(User.id == user_id).with_for_update())
    # Every session is refused from now on, before anything else is touched.
    session.execute(
        update(AuthSession.__table__)
        .where(AuthSession.user_id == user_id, AuthSession.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    export_files = _export_files(user_id)

    for table, column, set_null in user_references():
        if set_null:
            session.execute(update(table).where(table.c[column] == user_id).values({column: None}))
        else:
            session.execute(delete(table).where(table.c[column] == user_id))
    session.execute(
        delete(Invitation.__table__).where(
            func.lower(Invitation.email) == email.lower(),
            Invitation.actor_id.in_(select(Actor.id).where(belongs(Actor, territory_id))),
        )
    )
    session.execute(delete(User.__table__).where(User.id == user_id))
    session.commit()

    # The bulk statements bypass the session: forget its copies of the erased rows (read from
    # the loaded state, never loading), so that a later flush does not try to update them.
    for instance in list(session.identity_map.values()):
        if instance is user or inspect(instance).dict.get("user_id") == user_id:
            session.expunge(instance)
    for path in export_files:
        path.unlink(missing_ok=True)
        path.with_suffix(".part").unlink(missing_ok=True)
    # SQLite: the deleted rows are zeroed (secure_delete); their old copies leave the log.
    db.scrub_write_ahead_log()
    log.info("account erased", extra={"user_id": user_id})


def _export_files(user_id: int) -> list[Path]:
    """The archive files of the person's data exports (deleted after the commit)."""
    names = db.session.scalars(select(DataExport.file_name).where(DataExport.user_id == user_id))
    directory = exports_dir()
    return [directory / Path(name).name for name in names]

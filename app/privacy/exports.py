"""Download my data: the archive is asked for after the password, built by a task (a ZIP with
data.json, one CSV per part and a README in the person's language), served to its owner only,
and forgotten after ``EXPORT_LIFETIME``."""

from __future__ import annotations

import json
import logging
import secrets
import zipfile
from contextlib import nullcontext
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from babel.dates import format_datetime
from flask import current_app
from flask_babel import force_locale
from sqlalchemy import delete, or_, select, update

from app.accounts.models import User
from app.campaigns.models import RECIPIENT_LINK_LIFETIME
from app.extensions import db
from app.models_common import utcnow
from app.privacy import services
from app.privacy.models import DataExport
from app.releases.floor import anonymity_floor
from app.territories.models import Territory
from app.territories.scoping import belongs, same_territory
from app.timezones import zone

log = logging.getLogger(__name__)

EXPORT_LIFETIME = timedelta(days=7)
# A queued or running export older than this is taken as stuck (worker gone) and replaced.
EXPORT_STALE_AFTER = timedelta(minutes=30)
FAILED_EXPORT_KEPT = timedelta(days=1)


def exports_dir() -> Path:
    directory = Path(current_app.config["INSTANCE_DIR"]) / "exports"
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    return directory


def export_path(export: DataExport) -> Path:
    return exports_dir() / export.file_name


def _unlink(path: Path) -> None:
    path.unlink(missing_ok=True)


def latest_export(user: User) -> DataExport | None:
    return db.session.scalar(
        select(DataExport)
        .where(DataExport.user_id == user.id, belongs(DataExport, user))
        .order_by(DataExport.created_at.desc(), DataExport.id.desc())
        .limit(1)
    )


def export_of(user: User, export_id: int) -> DataExport | None:
    """One of the person's own exports (in their territory); anybody else's is not found."""
    export = db.session.get(DataExport, export_id)
    if export is None or export.user_id != user.id or not same_territory(export, user):
        return None
    return export


def delete_exports_of(user: User, keep: DataExport | None = None) -> int:
    """Delete the person's exports (files and rows), but ``keep``; returns how many."""
    query = select(DataExport).where(DataExport.user_id == user.id)
    if keep is not None:
        query = query.where(DataExport.id != keep.id)
    exports = list(db.session.scalars(query))
    for export in exports:
        _unlink(export_path(export))
        _unlink(export_path(export).with_suffix(".part"))
        db.session.delete(export)
    db.session.commit()
    return len(exports)


def request_export(user: User, now: datetime | None = None) -> tuple[DataExport, bool]:
    """The export to show and whether it is new (the caller then enqueues its building).

    One export at a time: one still being built is kept (unless stuck); otherwise the older
    ones are deleted and a new one is queued."""
    now = now or utcnow()
    current = latest_export(user)
    if current is not None and current.in_progress and now - current.created_at < EXPORT_STALE_AFTER:
        return current, False
    delete_exports_of(user)
    export = DataExport(
        user_id=user.id,
        territory_id=user.territory_id,
        status="queued",
        progress=0,
        file_name=secrets.token_hex(16) + ".zip",
        created_at=now,
    )
    db.session.add(export)
    db.session.commit()
    return export, True


class _Cancelled(Exception):
    """The export was replaced or deleted while it was being built."""


def _advance(export_id: int, values: dict[str, Any], status: str = "running") -> None:
    """Update the export if it is still there in ``status``; else it was replaced: stop."""
    result = db.session.execute(
        update(DataExport)
        .where(DataExport.id == export_id, DataExport.status == status)
        .values(**values)
    )
    db.session.commit()
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise _Cancelled


def _readme(user: User, territory: Territory | None, now: datetime) -> str:
    language = user.language or (territory.default_language if territory else None)
    with force_locale(language) if language else nullcontext():
        # Without the pages' context processors: a worker has no request, nor a logged-in person.
        template = current_app.jinja_env.get_template("privacy/export_readme.txt")
        return template.render(
            user=user,
            territory_name=territory.name if territory else "",
            sections=[name for name, *_rest in services.SECTIONS],
            # In the territory's time zone: a worker has no request to take it from.
            generated_at=format_datetime(
                now, "long", tzinfo=zone(territory.timezone if territory else "Europe/Paris"),
                locale=language or "fr",
            ),
            lifetime_days=EXPORT_LIFETIME.days,
            delivery_days=RECIPIENT_LINK_LIFETIME.days,
            floor=anonymity_floor(territory),
        )


def build_export(export_id: int, now: datetime | None = None) -> bool:
    """Build the archive of a queued export: one CSV per section as it goes (the progress is
    saved after each), then ``data.json`` with every section and a README in the person's
    language. Returns whether the archive is ready."""
    export = db.session.get(DataExport, export_id)
    if export is None or export.status != "queued":
        return False
    user = db.session.get(User, export.user_id)
    if user is None:
        return False
    territory = db.session.get(Territory, export.territory_id)
    target = export_path(export)
    partial = target.with_suffix(".part")
    try:
        _advance(export_id, {"status": "running", "progress": 0}, status="queued")
        language = user.language or (territory.default_language if territory else None)
        data: dict[str, Any] = {}
        with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for index, (name, columns, collect, single) in enumerate(services.SECTIONS, start=1):
                # Labels (purposes, population types) in the person's language.
                with force_locale(language) if language else nullcontext():
                    rows = collect(user, now or utcnow())
                data[name] = (rows[0] if rows else None) if single else rows
                archive.writestr(f"{name}.csv", "\ufeff" + services.to_csv(columns, rows))
                _advance(export_id, {"progress": 95 * index // len(services.SECTIONS)})
            generated = now or utcnow()
            document = {"generated_at": generated.isoformat(), **data}
            archive.writestr("data.json", json.dumps(document, ensure_ascii=False, indent=2))
            archive.writestr("README.txt", _readme(user, territory, generated))
        partial.replace(target)
        ready = now or utcnow()
        _advance(export_id, {
            "status": "ready", "progress": 100, "ready_at": ready,
            "expires_at": ready + EXPORT_LIFETIME, "size": target.stat().st_size,
        })
    except _Cancelled:
        _unlink(partial)
        _unlink(target)
        log.info("data export cancelled", extra={"export_id": export_id})
        return False
    except Exception:
        db.session.rollback()
        _unlink(partial)
        _unlink(target)
        log.exception("data export failed", extra={"export_id": export_id})
        failed = now or utcnow()
        db.session.execute(
            update(DataExport)
            .where(DataExport.id == export_id)
            .values(status="failed", expires_at=failed + FAILED_EXPORT_KEPT)
            .execution_options(synchronize_session=False)
        )
        db.session.commit()
        return False
    log.info("data export ready", extra={"export_id": export_id})
    return True


def purge_expired_exports(now: datetime | None = None) -> int:
    """Delete the exports past ``expires_at`` (files and rows), and those stuck unfinished for a
    day; returns how many rows went."""
    now = now or utcnow()
    expired = list(
        db.session.scalars(
            select(DataExport).where(
                or_(
                    DataExport.expires_at <= now,
                    DataExport.expires_at.is_(None)
                    & (DataExport.created_at <= now - FAILED_EXPORT_KEPT),
                )
            )
        )
    )
    for export in expired:
        _unlink(export_path(export))
        _unlink(export_path(export).with_suffix(".part"))
    if expired:
        db.session.execute(
            delete(DataExport)
            .where(DataExport.id.in_([e.id for e in expired]))
            .execution_options(synchronize_session=False)
        )
    db.session.commit()
    return len(expired)



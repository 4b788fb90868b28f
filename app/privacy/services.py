"""The citizen's privacy centre: their consents, what the platform holds about them, and the
archive of all of it they can download.

Everything takes the person (who belongs to one territory) and reads only their own rows. The
archive is built by ``build_export`` in the background (app.privacy.tasks), section by section,
into ``INSTANCE_DIR/exports/`` under a random name; it can be downloaded for seven days."""

from __future__ import annotations

import csv
import io
import json
import logging
import secrets
import zipfile
from collections.abc import Callable, Iterable
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from babel.dates import format_datetime
from flask import current_app
from flask_babel import force_locale
from sqlalchemy import delete, func, or_, select, update

from app.accounts import services as accounts
from app.accounts.forms import CONSENT_LABELS, POPULATION_LABELS
from app.accounts.models import Consent, User
from app.actors.models import Actor, Follow, Membership
from app.delivery.models import Delivery
from app.extensions import db
from app.models_common import utcnow
from app.notifications.models import InboxItem, Mute, NotificationSettings, PushSubscription
from app.places import services as places
from app.privacy.floor import anonymity_floor
from app.privacy.models import DataExport
from app.territories.models import Hashtag, Neighbourhood, Territory
from app.timezones import zone

log = logging.getLogger(__name__)

EXPORT_LIFETIME = timedelta(days=7)
# A queued or running export older than this is taken as stuck (worker gone) and replaced.
EXPORT_STALE_AFTER = timedelta(minutes=30)
FAILED_EXPORT_KEPT = timedelta(days=1)


# --- consents --------------------------------------------------------------------------------


def withdrawable(consent: Consent) -> bool:
    """The terms end with the account itself; every other standing consent can be withdrawn."""
    return consent.withdrawn_at is None and consent.purpose != accounts.TERMS


# --- what the platform holds -----------------------------------------------------------------


@dataclass
class Holdings:
    """Counts of what is kept about one person, for the "what we hold" section."""

    hashtags: int
    follows: int
    push_devices: int
    live_cell: bool
    inbox_items: int
    memberships: int
    mutes: int
    active_consents: int
    deliveries: int
    has_neighbourhood: bool
    has_population_type: bool
    has_residence_cell: bool
    has_phone: bool


def _count(query: Any) -> int:
    return int(db.session.scalar(query) or 0)


def holdings(user: User, now: datetime | None = None) -> Holdings:
    uid = user.id
    settings = db.session.get(NotificationSettings, uid)
    return Holdings(
        hashtags=len(user.hashtags),
        follows=_count(
            select(func.count())
            .select_from(Follow)
            .join(Actor, Actor.id == Follow.actor_id)
            .where(Follow.user_id == uid, Actor.territory_id == user.territory_id)
        ),
        push_devices=_count(
            select(func.count()).select_from(PushSubscription).where(PushSubscription.user_id == uid)
        ),
        live_cell=places.live_cell_of(user, now) is not None,
        inbox_items=_count(
            select(func.count()).select_from(InboxItem).where(InboxItem.user_id == uid)
        ),
        memberships=_count(
            select(func.count()).select_from(Membership).where(Membership.user_id == uid)
        ),
        mutes=_count(select(func.count()).select_from(Mute).where(Mute.user_id == uid)),
        active_consents=_count(
            select(func.count())
            .select_from(Consent)
            .where(Consent.user_id == uid, Consent.withdrawn_at.is_(None))
        ),
        deliveries=_count(
            select(func.count()).select_from(Delivery).where(Delivery.user_id == uid)
        ),
        has_neighbourhood=user.neighbourhood_id is not None,
        has_population_type=user.population_type is not None,
        has_residence_cell=user.residence_cell is not None,
        has_phone=bool(settings and settings.phone),
    )


# --- the archive: what goes in it --------------------------------------------------------------


def _when(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _cell(value: int | None) -> str | None:
    """An H3 cell as its usual hexadecimal name."""
    return format(value, "x") if value is not None else None


def _account(user: User, now: datetime) -> list[dict[str, Any]]:
    territory = db.session.get(Territory, user.territory_id)
    return [{
        "email": user.email,
        "display_name": user.display_name,
        "language": user.language,
        "territory": territory.name if territory else None,
        "email_verified_at": _when(user.email_verified_at),
        "created_at": _when(user.created_at),
        "onboarded_at": _when(user.onboarded_at),
        "last_seen_at": _when(user.last_seen_at),
    }]


def _profile(user: User, now: datetime) -> list[dict[str, Any]]:
    hood = db.session.get(Neighbourhood, user.neighbourhood_id) if user.neighbourhood_id else None
    population = POPULATION_LABELS.get(user.population_type or "")
    return [{
        "neighbourhood": hood.name if hood else None,
        "population_type": user.population_type,
        "population_type_label": str(population) if population else None,
        "residence_cell": _cell(user.residence_cell),
        "personalisation_consent": accounts.has_profile_targeting_consent(user),
    }]


def _hashtags(user: User, now: datetime) -> list[dict[str, Any]]:
    return [{"hashtag": h.label} for h in sorted(user.hashtags, key=lambda h: h.tag)]


def _follows(user: User, now: datetime) -> list[dict[str, Any]]:
    rows = db.session.execute(
        select(Actor.name, Follow.created_at)
        .join(Follow, Follow.actor_id == Actor.id)
        .where(Follow.user_id == user.id, Actor.territory_id == user.territory_id)
        .order_by(Actor.name)
    )
    return [{"actor": name, "followed_since": _when(since)} for name, since in rows]


def _consents(user: User, now: datetime) -> list[dict[str, Any]]:
    return [
        {
            "purpose": c.purpose,
            "purpose_label": str(CONSENT_LABELS.get(c.purpose, c.purpose)),
            "channel": c.channel,
            "detail": c.detail,
            "granted_at": _when(c.granted_at),
            "withdrawn_at": _when(c.withdrawn_at),
        }
        for c in accounts.consents_of(user)
    ]


def _inbox(user: User, now: datetime) -> list[dict[str, Any]]:
    rows = db.session.execute(
        select(InboxItem, Actor.name)
        .outerjoin(Actor, Actor.id == InboxItem.actor_id)
        .where(InboxItem.user_id == user.id)
        .order_by(InboxItem.created_at, InboxItem.id)
    )
    return [
        {
            "kind": item.kind,
            "from_actor": actor_name,
            "title": item.title,
            "body": item.body,
            "url": item.url,
            "is_alert": item.is_alert,
            "received_at": _when(item.created_at),
            "read_at": _when(item.read_at),
        }
        for item, actor_name in rows
    ]


def _memberships(user: User, now: datetime) -> list[dict[str, Any]]:
    rows = db.session.execute(
        select(Actor.name, Membership.role, Membership.created_at)
        .join(Membership, Membership.actor_id == Actor.id)
        .where(Membership.user_id == user.id)
        .order_by(Actor.name)
    )
    return [{"actor": name, "role": role, "since": _when(since)} for name, role, since in rows]


def _push_subscriptions(user: User, now: datetime) -> list[dict[str, Any]]:
    subscriptions = db.session.scalars(
        select(PushSubscription)
        .where(PushSubscription.user_id == user.id)
        .order_by(PushSubscription.created_at, PushSubscription.id)
    )
    result = []
    for sub in subscriptions:
        parts = urlsplit(sub.endpoint)
        result.append({
            "push_service": f"{parts.scheme}://{parts.netloc}",
            "endpoint": sub.endpoint,
            "created_at": _when(sub.created_at),
            "last_success_at": _when(sub.last_success_at),
        })
    return result


def _notification_settings(user: User, now: datetime) -> list[dict[str, Any]]:
    settings = db.session.get(NotificationSettings, user.id)
    if settings is None:
        return []
    return [{
        "push_enabled": settings.push_enabled,
        "email_enabled": settings.email_enabled,
        "sms_enabled": settings.sms_enabled,
        "phone": settings.phone,
        "daily_cap": settings.daily_cap,
        "quiet_start": settings.quiet_start,
        "quiet_end": settings.quiet_end,
        "updated_at": _when(settings.updated_at),
    }]


def _mutes(user: User, now: datetime) -> list[dict[str, Any]]:
    rows = db.session.execute(
        select(Mute.created_at, Actor.name, Hashtag.tag)
        .outerjoin(Actor, Actor.id == Mute.actor_id)
        .outerjoin(Hashtag, Hashtag.id == Mute.hashtag_id)
        .where(Mute.user_id == user.id)
        .order_by(Mute.created_at, Mute.id)
    )
    return [
        {"actor": actor, "hashtag": f"#{tag}" if tag else None, "since": _when(since)}
        for since, actor, tag in rows
    ]


def _live_location(user: User, now: datetime) -> list[dict[str, Any]]:
    live = places.live_cell_of(user, now)
    if live is None:
        return []
    return [{"cell": _cell(live.cell), "seen_at": _when(live.seen_at)}]


Collector = Callable[[User, datetime], list[dict[str, Any]]]
# (name, columns, collector, one record rather than a list): data.json holds every section under
# its name, and each section is also one CSV file whose header is ``columns``.
SECTIONS: tuple[tuple[str, tuple[str, ...], Collector, bool], ...] = (
    ("account", ("email", "display_name", "language", "territory", "email_verified_at",
                 "created_at", "onboarded_at", "last_seen_at"), _account, True),
    ("profile", ("neighbourhood", "population_type", "population_type_label", "residence_cell",
                 "personalisation_consent"), _profile, True),
    ("hashtags", ("hashtag",), _hashtags, False),
    ("follows", ("actor", "followed_since"), _follows, False),
    ("consents", ("purpose", "purpose_label", "channel", "detail", "granted_at", "withdrawn_at"),
     _consents, False),
    ("inbox", ("kind", "from_actor", "title", "body", "url", "is_alert", "received_at",
               "read_at"), _inbox, False),
    ("memberships", ("actor", "role", "since"), _memberships, False),
    ("push_subscriptions", ("push_service", "endpoint", "created_at", "last_success_at"),
     _push_subscriptions, False),
    ("notification_settings", ("push_enabled", "email_enabled", "sms_enabled", "phone",
                               "daily_cap", "quiet_start", "quiet_end", "updated_at"),
     _notification_settings, True),
    ("mutes", ("actor", "hashtag", "since"), _mutes, False),
    ("live_location", ("cell", "seen_at"), _live_location, True),
)

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _csv_value(value: Any) -> Any:
    """Text an actor wrote (an inbox title...) must not run as a spreadsheet formula."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def to_csv(columns: Iterable[str], rows: list[dict[str, Any]]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(columns), lineterminator="\r\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({key: _csv_value(value) for key, value in row.items()})
    return buffer.getvalue()


# --- the archive: asking for it, building it, serving it, forgetting it ----------------------


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
        .where(DataExport.user_id == user.id, DataExport.territory_id == user.territory_id)
        .order_by(DataExport.created_at.desc(), DataExport.id.desc())
        .limit(1)
    )


def export_of(user: User, export_id: int) -> DataExport | None:
    """One of the person's own exports (in their territory); anybody else's is not found."""
    export = db.session.get(DataExport, export_id)
    if export is None or export.user_id != user.id or export.territory_id != user.territory_id:
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
            sections=[name for name, *_rest in SECTIONS],
            # In the territory's time zone: a worker has no request to take it from.
            generated_at=format_datetime(
                now, "long", tzinfo=zone(territory.timezone if territory else "Europe/Paris"),
                locale=language or "fr",
            ),
            lifetime_days=EXPORT_LIFETIME.days,
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
            for index, (name, columns, collect, single) in enumerate(SECTIONS, start=1):
                # Labels (purposes, population types) in the person's language.
                with force_locale(language) if language else nullcontext():
                    rows = collect(user, now or utcnow())
                data[name] = (rows[0] if rows else None) if single else rows
                archive.writestr(f"{name}.csv", "\ufeff" + to_csv(columns, rows))
                _advance(export_id, {"progress": 95 * index // len(SECTIONS)})
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


def live_cell_lifetime_minutes() -> int:
    return int(places.LIVE_CELL_LIFETIME.total_seconds() // 60)


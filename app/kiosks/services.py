"""The tourism office's screens: revocable links (only a hash of each is kept) to a page for a
screen in the office or a shop window, showing current offers and today's events nearby."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

from sqlalchemy import select

from app.actors.models import Actor
from app.extensions import db
from app.kiosks.models import KioskToken
from app.models_common import utcnow
from app.places.near import NearItem, Origin, near_items
from app.territories.models import Territory
from app.territories.scoping import same_territory

KIOSK_LIMIT = 12
KIOSK_REACH_M = 5000


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_kiosk_token(actor: Actor, label: str) -> tuple[KioskToken, str]:
    """A new screen link for a tourism office; the raw token is returned once, only its hash
    is kept."""
    raw = secrets.token_urlsafe(24)
    token = KioskToken(territory_id=actor.territory_id, actor_id=actor.id,
                       token_hash=_token_hash(raw), label=(label or "").strip()[:80])
    db.session.add(token)
    db.session.commit()
    return token, raw


def kiosk_tokens(actor: Actor) -> list[KioskToken]:
    return list(db.session.scalars(
        select(KioskToken).where(KioskToken.actor_id == actor.id)
        .order_by(KioskToken.revoked_at.is_not(None), KioskToken.created_at.desc())
    ))


def revoke_kiosk_token(token: KioskToken) -> None:
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        db.session.commit()


def find_kiosk(territory: Territory, raw: str) -> KioskToken | None:
    """The active screen of this territory named by ``raw``; unknown, revoked or another
    territory's: None."""
    if not raw or len(raw) > 100:
        return None
    token = db.session.scalar(select(KioskToken).where(KioskToken.token_hash == _token_hash(raw)))
    if token is None or token.revoked_at is not None or not same_territory(token, territory):
        return None
    actor = db.session.get(Actor, token.actor_id)
    if actor is None or actor.status != "verified" or actor.kind != "tourism_office":
        return None
    return token


def kiosk_items(territory: Territory, actor: Actor, now: datetime | None = None) -> list[NearItem]:
    """Current offers and today's events near the office (its address, else the town's centre)."""
    lat = actor.lat if actor.lat is not None else territory.center_lat
    lon = actor.lon if actor.lon is not None else territory.center_lon
    origin = Origin(lat, lon, "point")
    items = [i for i in near_items(territory, origin, now, limit=200)
             if i.publication is not None and i.kind != "poll" and i.distance_m <= KIOSK_REACH_M]
    return items[:KIOSK_LIMIT]



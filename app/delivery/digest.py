"""The daily digest: what the daily cap held back, gathered once a day (from DIGEST_HOUR,
territory time) into one inbox item per person, and one e-mail for those who accepted e-mail."""

from __future__ import annotations

import json
import logging
from collections import defaultdict
from datetime import datetime
from typing import Any

from flask import render_template
from flask_babel import gettext as _
from sqlalchemy import select, update

from app.accounts.models import User
from app.actors.models import Actor
from app.campaigns.models import Campaign, Delivery
from app.delivery import policy
from app.delivery.channels import SENT
from app.delivery.channels.email import Mailer, build_message, message_id
from app.delivery.links import (
    absolute_url,
    language,
    language_of,
    setting,
    territory_base_url,
    token_url,
    unsubscribe_url,
)
from app.delivery.models import InboxItem
from app.delivery.tokens import delivery_token
from app.extensions import db
from app.models_common import utcnow
from app.notifications.models import NotificationSettings
from app.territories.models import Territory
from app.territories.scoping import belongs
from app.timezones import local_date, start_of_local_day

log = logging.getLogger(__name__)

D = Delivery.__table__


def send_digests(now: datetime | None = None) -> int:
    """For each territory where it is past DIGEST_HOUR: the digests of the day. Returns how many
    digests were made."""
    now = now or utcnow()
    hour = int(setting("DIGEST_HOUR", 18))
    made = 0
    territories = db.session.execute(select(Territory.id, Territory.timezone)).all()
    for territory_id, timezone in territories:
        if policy.digest_due(now, timezone, hour):
            made += digest_territory(territory_id, now)
    return made


def digest_territory(territory_id: int, now: datetime) -> int:
    """One digest per person per day: an InboxItem(kind="digest") with what the cap held back,
    and an e-mail if they accepted e-mail; those deliveries become "skipped" ("digest")."""
    session = db.session
    territory = session.get(Territory, territory_id)
    if territory is None:
        return 0
    since = start_of_local_day(now, territory.timezone)
    held = session.execute(
        select(D.c.id, D.c.user_id, D.c.campaign_id, Campaign.title, Campaign.publication_id, Actor.id.label("actor_id"),
               Actor.name, Actor.slug)
        .join(Campaign, Campaign.id == D.c.campaign_id)
        .join(Actor, Actor.id == Campaign.actor_id)
        .where(
            belongs(D.c, territory_id),
            D.c.status == "deferred",
            D.c.reason == "cap",
            D.c.user_id.is_not(None),
            D.c.created_at <= now,
        )
        .order_by(D.c.user_id, D.c.id)
    ).all()
    session.commit()
    if not held:
        return 0
    by_user: dict[int, list[Any]] = defaultdict(list)
    for row in held:
        by_user[row.user_id].append(row)
    already = set(
        session.scalars(
            select(InboxItem.user_id).where(
                InboxItem.user_id.in_(by_user),
                InboxItem.kind == "digest",
                InboxItem.created_at >= since,
            )
        )
    )
    base_url = territory_base_url(territory_id)
    made = 0
    for user_id, entries_rows in by_user.items():
        if user_id in already:
            continue  # today's digest went out; these wait for tomorrow's
        user = session.get(User, user_id)
        if user is None:
            continue
        settings = session.get(NotificationSettings, user_id)
        lang = language_of(user.language, territory.default_language)
        entries: list[dict[str, str]] = []
        seen: set[int] = set()
        for row in entries_rows:
            if row.campaign_id in seen:
                continue
            seen.add(row.campaign_id)
            url = (
                absolute_url(base_url, "publications.show", publication_id=row.publication_id)
                if row.publication_id
                else absolute_url(base_url, "actors.page", slug=row.slug)
            )
            entries.append({"actor_id": row.actor_id, "actor_name": row.name, "title": row.title, "url": url,
                            "actor_url": absolute_url(base_url, "actors.page", slug=row.slug),
                            # Mute this actor from the e-mail: the link of one held message.
                            "mute_url": token_url(base_url, "delivery.mute_from_message", delivery_token(row.id))})
        with language(lang):
            title = _("Your daily digest")
        body = "\n".join(f"{e['actor_name']}: {e['title']}" for e in entries)
        ids = [row.id for row in entries_rows]
        session.add(
            InboxItem(
                user_id=user_id,
                territory_id=territory_id,
                kind="digest",
                title=title[:120],
                body=body,
                entries_json=json.dumps([{k: e[k] for k in ("actor_id", "actor_name", "title")} for e in entries]),
                url="",
                created_at=now,
            )
        )
        session.execute(
            update(D)
            .where(D.c.id.in_(ids), D.c.status == "deferred", D.c.reason == "cap")
            .values(status="skipped", reason="digest", next_attempt_at=None)
        )
        session.commit()
        made += 1
        if settings is not None and settings.email_enabled and user.email_verified:
            _digest_email(user, lang, territory, entries, unsubscribe_url(base_url, user_id, "email"), base_url, now)
    return made


def _digest_email(
    user: User,
    lang: str,
    territory: Territory,
    entries: list[dict[str, str]],
    unsubscribe: str,
    base_url: str,
    now: datetime,
) -> None:
    with language(lang):
        context = {"entries": entries, "territory_name": territory.name, "unsubscribe_url": unsubscribe, "lang": lang}
        text = render_template("delivery/mail/digest.txt", **context)
        html = render_template("delivery/mail/digest.html", **context)
        subject = _("Your daily digest") + f" — {territory.name}"
    local_day = local_date(now, territory).isoformat()
    message = build_message(
        user.email, subject, text, html, unsubscribe, message_id(f"digest-{user.id}-{local_day}", base_url)
    )
    mailer = Mailer()
    try:
        outcome = mailer.send(message)
    finally:
        mailer.close()
    if outcome.kind != SENT:
        log.warning("digest e-mail not sent", extra={"error": outcome.error})

"""Entries of a feed into publications, as many times as the feed is read, without duplicates.

Each entry is known by its UID (and, for a changed occurrence of a series, its RECURRENCE-ID)
through ``FeedItem``: a known entry updates its publication when its SEQUENCE went up, or stayed
and its content changed (the hash); a lower SEQUENCE is an older copy and changes nothing. An
event that leaves the feed is withdrawn (archived) while still to come, kept once past; news
that leaves an RSS feed has only scrolled out of it and stays. Publications are made with the
publications' own service, so hashtags, statuses and the feeds' rules apply as to typed ones."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from typing import Any

from dateutil.rrule import rrulestr
from sqlalchemy import select

from app.extensions import db
from app.imports.models import FeedItem, FeedSubscription
from app.imports.parsers import Entry
from app.models_common import utcnow
from app.publications import services as publications
from app.publications.models import EVENT_DEFAULT_DURATION, Publication
from app.territories.models import Hashtag, Territory
from app.timezones import zone

log = logging.getLogger(__name__)


@dataclass
class ImportCounts:
    created: int = 0
    updated: int = 0
    withdrawn: int = 0


def _key(uid: str, recurrence_id: datetime | None) -> tuple[str, str]:
    return uid, recurrence_id.astimezone(UTC).isoformat() if recurrence_id is not None else ""


def import_entries(subscription: FeedSubscription, entries: list[Entry], now: datetime | None = None) -> ImportCounts:
    """Bring the subscription's publications in line with ``entries`` (the whole feed). Commits."""
    now = now or utcnow()
    # One import of a feed at a time (the poller and a "fetch now" may meet): the second waits
    # for the first's commit, then finds its entries and adds nothing twice (PostgreSQL; SQLite
    # writes one transaction at a time anyway).
    db.session.execute(select(FeedSubscription.id).where(FeedSubscription.id == subscription.id).with_for_update())
    territory = db.session.get(Territory, subscription.territory_id)
    assert territory is not None
    tz = zone(territory.timezone)
    counts = ImportCounts()
    items = {
        _key(item.source_uid, item.recurrence_id): item
        for item in db.session.scalars(select(FeedItem).where(FeedItem.subscription_id == subscription.id))
    }
    shown = _publications_of(items.values())
    wanted: dict[tuple[str, str], Entry] = {}
    for entry in entries:  # the same entry twice in a feed: the highest SEQUENCE, then the last, wins
        key = _key(entry.uid, entry.recurrence_id)
        if key not in wanted or entry.sequence >= wanted[key].sequence:
            wanted[key] = entry
    hashtags = _HashtagsOf(territory, subscription.hashtags)
    made: dict[tuple[str, str], Publication] = {}  # this run's new publications, flushed together
    series_flushed = False
    # Series before their changed occurrences: an occurrence points at its series' publication.
    for key, entry in sorted(wanted.items(), key=lambda pair: pair[1].recurrence_id is not None):
        parent = None
        if entry.recurrence_id is not None:
            if not series_flushed:
                db.session.flush()  # the series' ids, for their occurrences
                series_flushed = True
            series_key = _key(entry.uid, None)
            parent_item = items.get(series_key)
            parent = made.get(series_key) or (
                shown.get(parent_item.publication_id) if parent_item is not None else None)
        item = items.get(key)
        publication = shown.get(item.publication_id) if item is not None and item.publication_id else None
        digest = entry.content_hash()
        if item is None or publication is None:
            publication = _create(subscription, entry, hashtags, parent, now)
            made[key] = publication
            if item is None:
                item = FeedItem(subscription_id=subscription.id, source_uid=entry.uid,
                                recurrence_id=entry.recurrence_id)
                db.session.add(item)
                items[key] = item
            item.publication = publication
            counts.created += 1
            changed = True
        else:
            newer = entry.sequence > item.source_sequence
            changed = newer or (entry.sequence == item.source_sequence and digest != item.content_hash)
            if changed:
                _update(publication, entry, hashtags, parent, now)
                counts.updated += 1
            if item.withdrawn:  # back in the feed: published again
                if publication.status == "archived":
                    publications.set_status(publication, "published", commit=False)
                counts.updated += 0 if changed else 1
        if changed:
            item.source_sequence = entry.sequence
            item.content_hash = digest
        item.withdrawn = False
        item.seen_at = now
    for key, item in items.items():
        if key in wanted or item.withdrawn:
            continue
        publication = shown.get(item.publication_id)
        if publication is not None and publication.kind == "event" and _still_to_come(publication, now, tz):
            publications.set_status(publication, "archived", commit=False)
            item.withdrawn = True
            counts.withdrawn += 1
    db.session.commit()
    log.info("feed %s imported: %s created, %s updated, %s withdrawn", subscription.id, counts.created,
             counts.updated, counts.withdrawn)
    return counts


def _publications_of(items: Any) -> dict[int, Publication]:
    ids = [item.publication_id for item in items]
    found: dict[int, Publication] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        found.update({p.id: p for p in db.session.scalars(select(Publication).where(Publication.id.in_(chunk)))})
    return found


class _HashtagsOf:
    """The subscription's hashtags, plus the entry's categories that are hashtags of the town
    (active ones only: an import never adds to the town's catalogue)."""

    def __init__(self, territory: Territory, default: str) -> None:
        self.territory = territory
        self.default = default or ""
        self.cache: dict[tuple[str, ...], list[Hashtag]] = {}

    def __call__(self, entry: Entry) -> list[Hashtag]:
        key = tuple(entry.categories)
        if key not in self.cache:
            text = " ".join([self.default, *(c.replace(" ", "") for c in entry.categories)])
            self.cache[key] = publications.resolve_hashtags(self.territory, text)[0]
        return self.cache[key]


def _fields(entry: Entry) -> dict[str, Any]:
    fields: dict[str, Any] = {"title": entry.title, "body_md": entry.body_md}
    if entry.kind == "event":
        fields.update(starts_at=entry.starts_at, ends_at=entry.ends_at, place_name=entry.place_name,
                      lat=entry.lat, lon=entry.lon)
    return fields


def _set_calendar_fields(publication: Publication, entry: Entry, parent: Publication | None,
                         now: datetime) -> None:
    """The fields the publication form does not set: recurrence, UID, cancellation, date of news."""
    if entry.kind == "event":
        publication.rrule = entry.rrule
        publication.exdates_json = json.dumps([d.astimezone(UTC).isoformat() for d in sorted(entry.exdates)])
        publication.ical_uid = entry.ical_uid[:255]
        publication.recurrence_parent_id = parent.id if parent is not None else None
        publication.recurrence_id = entry.recurrence_id if parent is not None else None
        if entry.cancelled and publication.cancelled_at is None:
            publication.cancelled_at = now
        elif not entry.cancelled:
            publication.cancelled_at = None
    elif entry.published_at is not None:
        publication.published_at = min(entry.published_at, now)


def _create(subscription: FeedSubscription, entry: Entry, hashtags: _HashtagsOf, parent: Publication | None,
            now: datetime) -> Publication:
    publication = publications.create_publication(
        subscription.actor, entry.kind, created_by_id=subscription.created_by_id, hashtags=hashtags(entry),
        status="published", commit=False, **_fields(entry),
    )
    publication.sequence = entry.sequence
    _set_calendar_fields(publication, entry, parent, now)
    return publication


def _update(publication: Publication, entry: Entry, hashtags: _HashtagsOf, parent: Publication | None,
            now: datetime) -> None:
    previous = publication.sequence or 0
    _set_calendar_fields(publication, entry, parent, now)
    publications.update_publication(publication, hashtags=hashtags(entry), commit=False, **_fields(entry))
    # Calendars downstream see a change only if the SEQUENCE goes up: one more (whatever the
    # editor's own rule raised), or the source's when higher.
    publication.sequence = max(entry.sequence, previous + 1)


def _still_to_come(publication: Publication, now: datetime, tz: tzinfo) -> bool:
    """Whether an event (or a series) has anything left to happen."""
    if publication.starts_at is None:
        return False
    if publication.rrule:
        try:
            rule = rrulestr(publication.rrule, dtstart=publication.starts_at.astimezone(tz))
            return rule.after(now) is not None  # type: ignore[union-attr]
        except (ValueError, TypeError):
            return True  # a rule we cannot read: withdraw rather than leave a ghost series
    end = publication.ends_at or publication.starts_at + EVENT_DEFAULT_DURATION
    return end >= now

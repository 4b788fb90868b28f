"""The JSON shapes of the read API (the OpenAPI document, app.api.openapi, describes each one):
public fields only, times in UTC (RFC 3339), places as latitude and longitude."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from flask import url_for

from app.actors.hours import OpenState
from app.actors.models import Actor
from app.api.occurrences import Occurrence
from app.publications.models import Publication
from app.reports.public import PublicReport
from app.territories.models import Hashtag, Territory


def iso(moment: datetime | None) -> str | None:
    return moment.isoformat().replace("+00:00", "Z") if moment is not None else None


def territory_shape(territory: Territory) -> dict[str, Any]:
    return {
        "slug": territory.slug, "name": territory.name, "tagline": territory.tagline,
        "timezone": territory.timezone, "default_language": territory.default_language,
        "languages": [code for code in territory.enabled_languages_csv.split(",") if code],
        "center": {"lat": territory.center_lat, "lon": territory.center_lon},
        "url": url_for("feed.everything", _external=True),
    }


def hashtag_shape(hashtag: Hashtag) -> dict[str, Any]:
    return {"id": hashtag.id, "tag": hashtag.tag, "label": hashtag.label}


def actor_shape(actor: Actor, state: OpenState) -> dict[str, Any]:
    change = state.change
    return {
        "id": actor.id, "slug": actor.slug, "name": actor.name, "kind": actor.kind,
        "summary": actor.summary, "description_md": actor.description_md,
        "address": actor.address,
        "location": {"lat": actor.lat, "lon": actor.lon} if actor.lat is not None and actor.lon is not None else None,
        "neighbourhood": actor.neighbourhood.name if actor.neighbourhood is not None else None,
        "phone": actor.phone or None, "email": actor.email or None, "website": actor.website or None,
        "hashtags": sorted(h.tag for h in actor.hashtags),
        "opening_hours": {day: ranges for day, ranges in sorted(actor.opening_hours.items()) if ranges},
        "open_now": state.open,
        "next_change": {"at": iso(change.at), "opens": change.opens} if change is not None else None,
        "url": url_for("actors.page", slug=actor.slug, _external=True),
    }


def publication_shape(publication: Publication) -> dict[str, Any]:
    return {
        "id": publication.id, "kind": publication.kind, "title": publication.title,
        "summary": publication.summary, "body_md": publication.body_md,
        "actor": {"id": publication.actor.id, "name": publication.actor.name},
        "hashtags": sorted(h.tag for h in publication.hashtags),
        "starts_at": iso(publication.starts_at), "ends_at": iso(publication.ends_at),
        "valid_from": iso(publication.valid_from), "valid_until": iso(publication.valid_until),
        "place_name": publication.place_name or None,
        "location": {"lat": publication.lat, "lon": publication.lon}
        if publication.lat is not None and publication.lon is not None else None,
        "rrule": publication.rrule or None,
        "exdates": json.loads(publication.exdates_json or "[]") if publication.rrule else [],
        "recurrence_parent_id": publication.recurrence_parent_id,
        "recurrence_id": iso(publication.recurrence_id),
        "cancelled": publication.cancelled_at is not None,
        "published_at": iso(publication.published_at), "updated_at": iso(publication.updated_at),
        "url": url_for("publications.show", publication_id=publication.id, _external=True),
    }


def occurrence_shape(occurrence: Occurrence) -> dict[str, Any]:
    event = occurrence.publication
    return {
        "publication_id": event.recurrence_parent_id or event.id, "occurrence_of": event.id,
        "title": event.title, "actor": {"id": event.actor.id, "name": event.actor.name},
        "starts_at": iso(occurrence.starts_at), "ends_at": iso(occurrence.ends_at),
        "recurrence_id": iso(occurrence.recurrence_id), "cancelled": occurrence.cancelled,
        "place_name": event.place_name or None,
        "url": url_for("publications.show", publication_id=event.id, _external=True),
    }


def report_shape(report: PublicReport) -> dict[str, Any]:
    """As app.reports.public shows a report: nothing about who made it."""
    return {
        "id": report.id, "category": report.category, "status": report.status,
        "status_label": report.status_label, "location": {"lat": report.lat, "lon": report.lon},
        "address": report.address, "created_at": iso(report.created_at), "updated_at": iso(report.updated_at),
        "overdue": report.overdue,
        "url": url_for("reports.show", report_id=report.id, _external=True),
    }

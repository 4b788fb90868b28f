"""schema.org descriptions (JSON-LD) of event, offer and actor pages, for search engines and
agenda aggregators. They go in the page as ``<script type="application/ld+json">`` data blocks:
never executed, so the strict CSP allows them; ``<`` is written ``\\u003c`` so that no text can
close the element early (``</script>``)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any
from urllib.parse import urljoin

from flask import request, url_for
from markupsafe import Markup

from app.media.services import media_url
from app.publications import recurrence
from app.timezones import zone

CONTEXT = "https://schema.org"
SHOP_KINDS = ("merchant",)
_DAYS = {"mon": "Monday", "tue": "Tuesday", "wed": "Wednesday", "thu": "Thursday", "fri": "Friday",
         "sat": "Saturday", "sun": "Sunday"}
_BYDAY = {"MO": "Monday", "TU": "Tuesday", "WE": "Wednesday", "TH": "Thursday", "FR": "Friday",
          "SA": "Saturday", "SU": "Sunday"}
_FREQUENCY = {"daily": "P1D", "weekly": "P1W", "monthly": "P1M"}


def script_tag(data: dict[str, Any]) -> Markup:
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return Markup(f'<script type="application/ld+json">{text}</script>')


def _local_iso(moment: datetime | None, tz: Any) -> str | None:
    return moment.astimezone(zone(tz)).isoformat(timespec="seconds") if moment is not None else None


def _image(media_id: int | None) -> str | None:
    path = media_url(media_id) if media_id else ""
    return urljoin(request.host_url, path) if path else None


def _geo(lat: float | None, lon: float | None) -> dict[str, Any] | None:
    if lat is None or lon is None:
        return None
    return {"@type": "GeoCoordinates", "latitude": lat, "longitude": lon}


def _organisation(actor: Any) -> dict[str, Any]:
    return {"@type": "Organization", "name": actor.name,
            "url": url_for("actors.page", slug=actor.slug, _external=True)}


def _without_empty(data: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in data.items() if value not in (None, "", [], {})}


def event(publication: Any, territory: Any) -> dict[str, Any]:
    """An Event: its dates with their offset, its status, its place, its organiser, and its
    Schedule when it repeats."""
    tz = territory
    place = _without_empty({
        "@type": "Place",
        "name": publication.place_name or territory.name,
        "address": _without_empty({"@type": "PostalAddress", "streetAddress": publication.place_name,
                                    "addressLocality": territory.name}),
        "geo": _geo(publication.lat, publication.lon),
    })
    data = _without_empty({
        "@context": CONTEXT,
        "@type": "Event",
        "name": publication.title,
        "description": publication.summary or None,
        "startDate": _local_iso(publication.starts_at, tz),
        "endDate": _local_iso(publication.ends_at, tz),
        "eventStatus": "https://schema.org/EventCancelled" if publication.cancelled_at
        else "https://schema.org/EventScheduled",
        "eventAttendanceMode": "https://schema.org/OfflineEventAttendanceMode",
        "location": place,
        "organizer": _organisation(publication.actor),
        "url": url_for("publications.show", publication_id=publication.id, _external=True),
        "image": _image(publication.image_media_id),
        "eventSchedule": _schedule(publication, tz),
    })
    return data


def _schedule(publication: Any, tz: Any) -> dict[str, Any] | None:
    if not publication.rrule or publication.starts_at is None:
        return None
    repeat = recurrence.parse_repeat(publication.rrule, tz)
    if repeat.frequency not in _FREQUENCY:
        return None
    local_start = publication.starts_at.astimezone(zone(tz))
    frequency = _FREQUENCY[repeat.frequency]
    if repeat.interval > 1:
        frequency = frequency.replace("P1", f"P{repeat.interval}")
    return _without_empty({
        "@type": "Schedule",
        "repeatFrequency": frequency,
        "byDay": [f"https://schema.org/{_BYDAY[day]}" for day in repeat.weekdays] or None,
        "startDate": local_start.date().isoformat(),
        "endDate": repeat.until.isoformat() if repeat.until else None,
        "repeatCount": repeat.count,
        "startTime": local_start.strftime("%H:%M:%S"),
        "endTime": publication.ends_at.astimezone(zone(tz)).strftime("%H:%M:%S") if publication.ends_at else None,
        "scheduleTimezone": getattr(tz, "timezone", None) or None,
    })


def offer(publication: Any, territory: Any) -> dict[str, Any]:
    """An Offer: what, by whom, valid when."""
    return _without_empty({
        "@context": CONTEXT,
        "@type": "Offer",
        "name": publication.title,
        "description": publication.summary or None,
        "url": url_for("publications.show", publication_id=publication.id, _external=True),
        "validFrom": _local_iso(publication.valid_from, territory),
        "validThrough": _local_iso(publication.valid_until, territory),
        "offeredBy": _organisation(publication.actor),
        "image": _image(publication.image_media_id),
        "areaServed": _without_empty({"@type": "Place", "name": publication.place_name,
                                      "geo": _geo(publication.lat, publication.lon)}) if publication.place_name else None,
    })


def actor(actor_: Any, territory: Any) -> dict[str, Any]:
    """A LocalBusiness for a shop, else an Organization; its address, place and opening hours."""
    kind = "LocalBusiness" if actor_.kind in SHOP_KINDS else "Organization"
    hours = [
        {"@type": "OpeningHoursSpecification", "dayOfWeek": f"https://schema.org/{_DAYS[day]}",
         "opens": f"{opens}:00", "closes": f"{closes}:00"}
        for day in _DAYS
        for opens, closes in (actor_.opening_hours.get(day) or [])
    ]
    return _without_empty({
        "@context": CONTEXT,
        "@type": kind,
        "name": actor_.name,
        "description": actor_.summary or None,
        "url": url_for("actors.page", slug=actor_.slug, _external=True),
        "sameAs": actor_.website or None,
        "address": _without_empty({"@type": "PostalAddress", "streetAddress": actor_.address,
                                   "addressLocality": territory.name}) if actor_.address else None,
        "geo": _geo(actor_.lat, actor_.lon),
        "logo": _image(actor_.logo_media_id),
        "image": _image(actor_.photo_media_id),
        # Opening hours are a place's: schema.org gives them to a LocalBusiness (itself a Place);
        # an Organization (the pool's town service) has them on its location.
        "openingHoursSpecification": hours if kind == "LocalBusiness" else None,
        "location": _without_empty({
            "@type": "Place", "name": actor_.name, "address": actor_.address or None,
            "geo": _geo(actor_.lat, actor_.lon), "openingHoursSpecification": hours,
        }) if kind == "Organization" and (hours or actor_.address) else None,
    })

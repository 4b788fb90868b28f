"""Reading a fetched feed into plain entries: iCalendar (``icalendar``), RSS and Atom
(``feedparser``), OpenAgenda's JSON export. Nothing here touches the database: the import
(app.imports.imports) compares the entries with what an earlier import made.

Text from a feed is treated as typed text: HTML is reduced to Markdown (paragraphs, line breaks,
list items, http(s)/mailto links; scripts, styles and every other tag gone) and the characters
that would make Markdown links or raw HTML are escaped; the page then renders it through the
same sanitiser as any publication (app.text.render_markdown)."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, tzinfo
from html import unescape
from html.parser import HTMLParser
from typing import Any

import feedparser
import icalendar
from dateutil.parser import isoparse
from shapely.geometry import Point

from app.timezones import local_midnight

TITLE_MAX = 160
PLACE_MAX = 160
BODY_MAX = 20_000


class FeedFormatError(Exception):
    """The document is not a feed of the expected kind; ``code`` says which (for the actor)."""

    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(code)
        self.code = code
        self.detail = detail


@dataclass
class Entry:
    """One thing to publish: an event (a series, a changed occurrence, a single date) or news."""

    uid: str
    kind: str  # "event" or "news"
    title: str
    body_md: str = ""
    recurrence_id: datetime | None = None  # a changed occurrence of the series ``uid``
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    place_name: str = ""
    lat: float | None = None
    lon: float | None = None
    rrule: str = ""
    exdates: list[datetime] = field(default_factory=list)
    cancelled: bool = False
    sequence: int = 0
    published_at: datetime | None = None  # news
    categories: list[str] = field(default_factory=list)
    ical_uid: str = ""
    source_updated: str = ""

    def content_hash(self) -> str:
        """What the publication shows, hashed: an equal SEQUENCE with another hash is a change."""
        data = {
            "title": self.title, "body": self.body_md, "starts": _iso(self.starts_at), "ends": _iso(self.ends_at),
            "place": self.place_name, "lat": self.lat, "lon": self.lon, "rrule": self.rrule,
            "exdates": sorted(_iso(d) for d in self.exdates), "cancelled": self.cancelled,
            "published": _iso(self.published_at), "categories": self.categories, "updated": self.source_updated,
        }
        return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()


def _iso(moment: datetime | None) -> str:
    return moment.astimezone(UTC).isoformat() if moment is not None else ""


# --- which kind of document ----------------------------------------------------------------------

def detect_kind(body: bytes) -> str:
    """"ical", "openagenda", "rss" or "atom" from the document itself; FeedFormatError else."""
    head = body[:2048].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head[:15].upper() == b"BEGIN:VCALENDAR":
        return "ical"
    if head[:1] in (b"{", b"["):
        try:
            data = json.loads(body)
        except ValueError as error:
            raise FeedFormatError("not_a_feed") from error
        if isinstance(data, dict) and isinstance(data.get("events"), list):
            return "openagenda"
        raise FeedFormatError("not_a_feed")
    parsed = feedparser.parse(body)
    version = parsed.get("version") or ""
    if version.startswith("atom"):
        return "atom"
    if version.startswith("rss"):
        return "rss"
    raise FeedFormatError("not_a_feed")


def parse(kind: str, body: bytes, tz: tzinfo, language: str, area: Any = None) -> list[Entry]:
    """The entries of a document of ``kind``; ``tz`` places floating and all-day times, ``language``
    picks OpenAgenda's texts, ``area`` (a geometry, or None) keeps only the points inside it."""
    if kind == "ical":
        return parse_ical(body, tz, area)
    if kind == "openagenda":
        return parse_openagenda(body, language, area)
    return parse_news(body)


# --- text --------------------------------------------------------------------------------------

_MARKDOWN_ACTIVE = re.compile(r"([\\`\[\]<>])")
_SAFE_LINK = re.compile(r"^(https?://|mailto:)[^\s()<>]+$", re.IGNORECASE)


def escape_markdown(text: str) -> str:
    """Plain text that Markdown shows as it is: no link, autolink, code or raw HTML can start."""
    return _MARKDOWN_ACTIVE.sub(r"\\\1", text)


class _HtmlToMarkdown(HTMLParser):
    BLOCKS = {"p", "div", "section", "article", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "ul", "ol",
              "table", "tr"}
    DROPPED = {"script", "style", "template", "noscript", "iframe", "object", "svg", "math", "head", "title"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.link: list[str | None] = []
        self.dropping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.DROPPED:
            self.dropping += 1
        elif tag in self.BLOCKS:
            self.parts.append("\n\n")
        elif tag == "br":
            self.parts.append("  \n")
        elif tag == "li":
            self.parts.append("\n- ")
        elif tag == "a":
            href = (dict(attrs).get("href") or "").strip()
            safe = href if _SAFE_LINK.match(href) else None
            self.link.append(safe)
            if safe:
                self.parts.append("[")

    def handle_endtag(self, tag: str) -> None:
        if tag in self.DROPPED:
            self.dropping = max(0, self.dropping - 1)
        elif tag in self.BLOCKS:
            self.parts.append("\n\n")
        elif tag == "a" and self.link:
            href = self.link.pop()
            if href:
                self.parts.append(f"]({href})")

    def handle_data(self, data: str) -> None:
        if not self.dropping:
            self.parts.append(escape_markdown(re.sub(r"\s+", " ", data)))


def looks_like_html(text: str) -> bool:
    return bool(re.search(r"<\s*(/?[a-zA-Z][a-zA-Z0-9]*)(\s[^>]*)?/?>", text))


def markdown_from(text: str | None) -> str:
    """A feed's text (plain or HTML) as safe Markdown, paragraphs kept."""
    if not text:
        return ""
    if looks_like_html(text):
        converter = _HtmlToMarkdown()
        converter.feed(text)
        converter.close()
        result = "".join(converter.parts)
        result = re.sub(r"[ \t]+\n", lambda m: "  \n" if m.group(0).startswith("  ") else "\n", result)
        result = re.sub(r"\n{3,}", "\n\n", result)
    else:
        result = escape_markdown(unescape(text).replace("\r\n", "\n"))
    return result.strip()[:BODY_MAX]


def plain_line(text: str | None, limit: int) -> str:
    """One line of plain text (a title, a place): tags dropped, spaces folded, trimmed."""
    if not text:
        return ""
    if looks_like_html(text):
        converter = _HtmlToMarkdown()
        converter.feed(text)
        converter.close()
        text = re.sub(r"\\(.)", r"\1", "".join(converter.parts))
    text = unescape(re.sub(r"\s+", " ", text)).strip()
    if len(text) > limit:
        text = text[: limit - 1].rstrip() + "…"
    return text


def with_link(body: str, url: str | None) -> str:
    """The body and, below it, the address of the source (http(s) only) as a link back."""
    url = (url or "").strip()
    if not _SAFE_LINK.match(url) or url.lower().startswith("mailto:"):
        return body
    link = f"<{url}>"
    return f"{body}\n\n{link}" if body else link


# --- iCalendar ---------------------------------------------------------------------------------

def _as_utc(value: Any, tz: tzinfo) -> tuple[datetime | None, bool]:
    """An iCalendar date or date-time as aware UTC (floating ones in ``tz``; a date at its local
    midnight), and whether it was a whole day."""
    if value is None:
        return None, False
    moment = value.dt if hasattr(value, "dt") else value
    if isinstance(moment, datetime):
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=tz)
        return moment.astimezone(UTC), False
    if isinstance(moment, date):
        return local_midnight(moment, tz), True
    return None, False


def _dates_of(prop: Any, tz: tzinfo) -> list[datetime]:
    """The moments of an EXDATE (one property, or a list of them, each with several values)."""
    if prop is None:
        return []
    props = prop if isinstance(prop, list) else [prop]
    moments = []
    for item in props:
        for value in getattr(item, "dts", [item]):
            moment, _whole_day = _as_utc(value, tz)
            if moment is not None:
                moments.append(moment)
    return moments


def _text(component: Any, name: str) -> str:
    value = component.get(name)
    if value is None:
        return ""
    if isinstance(value, list):
        value = value[0]
    return str(value)


def _point(lat: float, lon: float, area: Any) -> tuple[float | None, float | None]:
    """A point kept only if it is a real coordinate inside the territory (when it has an area)."""
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return None, None
    if area is not None:
        if not area.contains(Point(lon, lat)):
            return None, None
    return lat, lon


def parse_ical(body: bytes, tz: tzinfo, area: Any = None) -> list[Entry]:
    try:
        calendar = icalendar.Calendar.from_ical(body)
    except (ValueError, IndexError, KeyError) as error:
        raise FeedFormatError("invalid", str(error)[:200]) from error
    entries: list[Entry] = []
    for event in calendar.walk("VEVENT"):
        uid = _text(event, "UID").strip()[:255]
        if not uid:
            continue  # without a UID nothing could tell it again on the next import
        starts_at, whole_day = _as_utc(event.get("DTSTART"), tz)
        if starts_at is None:
            continue
        ends_at, _whole = _as_utc(event.get("DTEND"), tz)
        if ends_at is None and event.get("DURATION") is not None:
            ends_at = starts_at + event.decoded("DURATION")
        if ends_at is None and whole_day:
            ends_at = starts_at + timedelta(days=1)
        recurrence_id, _whole = _as_utc(event.get("RECURRENCE-ID"), tz)
        rrule = ""
        if recurrence_id is None and event.get("RRULE") is not None:
            rule = event.get("RRULE")
            rrule = (rule[0] if isinstance(rule, list) else rule).to_ical().decode()[:500]
        lat = lon = None
        geo = event.get("GEO")
        if geo is not None:
            lat, lon = _point(float(geo.latitude), float(geo.longitude), area)
        try:
            sequence = int(str(event.get("SEQUENCE", 0)))
        except ValueError:
            sequence = 0
        found = event.get("CATEGORIES")
        props = found if isinstance(found, list) else [found] if found is not None else []
        categories = [str(c) for prop in props for c in getattr(prop, "cats", [])]
        entries.append(Entry(
            uid=uid,
            kind="event",
            title=plain_line(_text(event, "SUMMARY"), TITLE_MAX) or uid[:TITLE_MAX],
            body_md=with_link(markdown_from(_text(event, "DESCRIPTION")), _text(event, "URL")),
            recurrence_id=recurrence_id,
            starts_at=starts_at,
            ends_at=ends_at,
            place_name=plain_line(_text(event, "LOCATION"), PLACE_MAX),
            lat=lat,
            lon=lon,
            rrule=rrule,
            exdates=_dates_of(event.get("EXDATE"), tz),
            cancelled=_text(event, "STATUS").upper() == "CANCELLED",
            sequence=max(0, sequence),
            categories=categories,
            ical_uid=uid,
        ))
    return fold_cancelled_occurrences(entries)


def fold_cancelled_occurrences(entries: list[Entry]) -> list[Entry]:
    """A cancelled occurrence (STATUS:CANCELLED on a RECURRENCE-ID) becomes an EXDATE of its
    series, as if the series had taken it out: the occurrence disappears from the agenda and an
    exception published for it earlier leaves with the entry (the import withdraws it)."""
    series = {e.uid: e for e in entries if e.recurrence_id is None}
    kept = []
    for entry in entries:
        master = series.get(entry.uid)
        if entry.recurrence_id is not None and entry.cancelled and master is not None:
            if entry.recurrence_id not in master.exdates:
                master.exdates.append(entry.recurrence_id)
            continue
        kept.append(entry)
    for master in series.values():
        master.exdates.sort()
    return kept


# --- RSS and Atom ------------------------------------------------------------------------------

def _entry_time(entry: Any, *names: str) -> datetime | None:
    for name in names:
        # dict.get: feedparser's own would answer "updated" with "published" (and warn).
        parsed = dict.get(entry, f"{name}_parsed")
        if parsed:
            return datetime(*parsed[:6], tzinfo=UTC)
    return None


def parse_news(body: bytes) -> list[Entry]:
    parsed = feedparser.parse(body)
    if not (parsed.get("version") or "").startswith(("rss", "atom")):
        raise FeedFormatError("not_a_feed")
    entries = []
    for item in parsed.entries:
        link = item.get("link") or ""
        uid = (item.get("id") or link or item.get("title") or "").strip()[:255]
        if not uid:
            continue
        content = item.get("content") or []
        html = content[0].get("value") if content else item.get("summary", "")
        published = _entry_time(item, "published", "updated")
        entries.append(Entry(
            uid=uid,
            kind="news",
            title=plain_line(item.get("title"), TITLE_MAX) or plain_line(html, TITLE_MAX) or uid[:TITLE_MAX],
            body_md=with_link(markdown_from(html), link),
            published_at=published,
            categories=[str(t.get("term")) for t in item.get("tags", []) if t.get("term")],
            # An entry edited at its source says so in "updated": in the hash, so it updates.
            source_updated=_iso(_entry_time(item, "updated")),
        ))
    return entries


# --- OpenAgenda --------------------------------------------------------------------------------

def _in_language(value: Any, language: str) -> str:
    """OpenAgenda's multilingual field ({"fr": ..., "en": ...}) in the territory's language,
    else French, else English, else the first there is."""
    if isinstance(value, str):
        return value
    if not isinstance(value, dict):
        return ""
    for code in (language, "fr", "en"):
        if value.get(code):
            return str(value[code])
    return next((str(v) for v in value.values() if v), "")


OPENAGENDA_CANCELLED = {6, "6", "cancelled", "canceled"}


def parse_openagenda(body: bytes, language: str, area: Any = None) -> list[Entry]:
    """One event per timing. An event with one timing is one publication; with several, each
    timing is a publication of its own (its mapping keyed by the timing's start), since
    OpenAgenda's timings follow no rule an RRULE could state."""
    try:
        data = json.loads(body)
    except ValueError as error:
        raise FeedFormatError("invalid", str(error)[:200]) from error
    if not isinstance(data, dict) or not isinstance(data.get("events"), list):
        raise FeedFormatError("not_a_feed")
    entries = []
    for event in data["events"]:
        if not isinstance(event, dict) or event.get("uid") in (None, ""):
            continue
        uid = str(event["uid"])[:200]
        title = plain_line(_in_language(event.get("title"), language), TITLE_MAX) or uid
        body_parts = [markdown_from(_in_language(event.get("description"), language)),
                      markdown_from(_in_language(event.get("longDescription"), language))]
        body_md = "\n\n".join(part for part in body_parts if part)
        location = event.get("location") if isinstance(event.get("location"), dict) else {}
        place = plain_line(location.get("name") or location.get("address") or "", PLACE_MAX)
        lat = lon = None
        try:
            if location.get("latitude") is not None and location.get("longitude") is not None:
                lat, lon = _point(float(location["latitude"]), float(location["longitude"]), area)
        except (TypeError, ValueError):
            lat = lon = None
        status = event.get("status")
        cancelled = status in OPENAGENDA_CANCELLED or (
            isinstance(status, dict) and status.get("id") in OPENAGENDA_CANCELLED)
        timings = []
        for timing in event.get("timings") or []:
            try:
                begin = isoparse(str(timing["begin"])).astimezone(UTC)
                end = isoparse(str(timing["end"])).astimezone(UTC) if timing.get("end") else None
            except (KeyError, TypeError, ValueError):
                continue
            timings.append((begin, end))
        timings.sort()
        link = event.get("canonicalUrl") or event.get("url") or ""
        for begin, end in timings:
            several = len(timings) > 1
            stamp = begin.strftime("%Y%m%dT%H%M%SZ")
            entries.append(Entry(
                uid=uid, kind="event", title=title, body_md=with_link(body_md, link),
                recurrence_id=begin if several else None,
                starts_at=begin, ends_at=end, place_name=place, lat=lat, lon=lon, cancelled=cancelled,
                ical_uid=f"openagenda-{uid}-{stamp}" if several else f"openagenda-{uid}",
            ))
    return entries


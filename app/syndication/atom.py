"""News as Atom feeds (RFC 4287), in the style of the street reports' feed (app.reports.public):
ElementTree, a tag: URI per feed and entry (RFC 4151), the author an actor (an organisation,
never a person), the content sanitised HTML (the same rendering as the page)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any
from xml.etree import ElementTree

from app.text import render_markdown

ATOM = "http://www.w3.org/2005/Atom"


def tag_uri(host: str, since: datetime, specific: str) -> str:
    """A tag: URI (RFC 4151): a host name, a day it was held (the territory's creation) and what it
    names; stable across moves of the page."""
    return f"tag:{host},{since.date().isoformat()}:{specific}"


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def build_feed(
    *,
    title: str,
    feed_id: str,
    self_url: str,
    page_url: str,
    author: str,
    fallback_updated: datetime,
    publications: Iterable[Any],
    entry_id: Callable[[Any], str],
    url_of: Callable[[Any], str],
) -> bytes:
    ElementTree.register_namespace("", ATOM)

    def sub(parent: ElementTree.Element, tag: str, text: str | None = None, **attrs: str) -> ElementTree.Element:
        element = ElementTree.SubElement(parent, f"{{{ATOM}}}{tag}", attrs)
        if text is not None:
            element.text = text
        return element

    rows = list(publications)
    feed = ElementTree.Element(f"{{{ATOM}}}feed")
    sub(feed, "id", feed_id)
    sub(feed, "title", title)
    updated = max((_revised(p) for p in rows), default=fallback_updated)
    sub(feed, "updated", _iso(updated))
    sub(feed, "link", rel="self", type="application/atom+xml", href=self_url)
    sub(feed, "link", rel="alternate", type="text/html", href=page_url)
    sub(sub(feed, "author"), "name", author)
    sub(feed, "generator", "Territory")
    for publication in rows:
        entry = sub(feed, "entry")
        sub(entry, "id", entry_id(publication))
        sub(entry, "title", publication.title)
        sub(entry, "updated", _iso(_revised(publication)))
        sub(entry, "published", _iso(publication.published_at or publication.created_at))
        sub(entry, "link", rel="alternate", type="text/html", href=url_of(publication))
        sub(sub(entry, "author"), "name", publication.actor.name)
        for hashtag in publication.hashtags:
            sub(entry, "category", term=hashtag.tag, label=hashtag.label)
        if publication.summary:
            sub(entry, "summary", publication.summary, type="text")
        sub(entry, "content", str(render_markdown(publication.body_md or publication.summary or "")), type="html")
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + ElementTree.tostring(feed, encoding="utf-8", xml_declaration=False)


def _revised(publication: Any) -> datetime:
    return publication.updated_at or publication.published_at or publication.created_at

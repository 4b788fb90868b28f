"""RSS 2.0 and Atom news, and OpenAgenda's JSON export, into publications."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from sqlalchemy import select

from app.extensions import db
from app.imports import services
from app.publications.models import Publication
from tests.factories import make_actor, make_territory

RSS = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>Town news</title><link>https://news.example/</link>
<description>News</description>
<item><guid>https://news.example/1</guid><title>Roadworks on the quay</title>
<link>https://news.example/1</link><pubDate>Mon, 01 Dec 2025 09:00:00 +0100</pubDate>
<description>&lt;p&gt;From Monday.&lt;script&gt;alert(1)&lt;/script&gt; &lt;a href="javascript:alert(2)"&gt;x&lt;/a&gt;&lt;/p&gt;</description>
</item>
{more}
</channel></rss>"""

ATOM = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Library</title><id>urn:library</id>
<updated>{updated}</updated>
<entry><id>urn:library:post-1</id><title>New opening hours</title>
<link href="https://library.example/hours"/>
<published>2025-11-20T10:00:00Z</published><updated>{updated}</updated>
<content type="html">&lt;p&gt;Open on {day}.&lt;/p&gt;</content></entry>
</feed>"""


def _actor():
    territory = make_territory()
    return make_actor(territory, "Town hall", kind="town_service")


def _publications(actor):
    return list(db.session.scalars(select(Publication).where(Publication.actor_id == actor.id).order_by(Publication.id)))


def test_rss_items_become_news_once(app, feeds):
    actor = _actor()
    subscription = services.subscribe(actor, feeds.put("/news.rss", RSS.format(more=""), "application/rss+xml"), "rss")
    services.fetch(subscription)
    assert subscription.kind == "rss"
    [news] = _publications(actor)
    assert news.kind == "news" and news.title == "Roadworks on the quay" and news.status == "published"
    assert news.published_at == datetime(2025, 12, 1, 8, 0, tzinfo=UTC)
    assert "From Monday." in news.body_md and "<https://news.example/1>" in news.body_md
    assert "script" not in news.body_md and "javascript" not in news.body_md

    more = ("<item><guid>https://news.example/2</guid><title>Christmas market</title>"
            "<pubDate>Tue, 02 Dec 2025 09:00:00 +0100</pubDate><description>Soon.</description></item>")
    feeds.put("/news.rss", RSS.format(more=more), "application/rss+xml")
    subscription.etag = ""
    counts = services.fetch(subscription)
    assert (counts.created, counts.updated) == (1, 0)
    # An item that scrolled out of the feed is news that stays.
    feeds.put("/news.rss", RSS.format(more="").replace("Roadworks on the quay", "Roadworks").replace(
        "<guid>https://news.example/1</guid>", "<guid>https://news.example/3</guid>"), "application/rss+xml")
    subscription.etag = ""
    services.fetch(subscription)
    assert {p.title: p.status for p in _publications(actor)} == {
        "Roadworks on the quay": "published", "Christmas market": "published", "Roadworks": "published"}


def test_atom_entries_update_when_their_updated_changes(app, feeds):
    actor = _actor()
    url = feeds.put("/feed.atom", ATOM.format(updated="2025-11-20T10:00:00Z", day="Sundays"), "application/atom+xml")
    subscription = services.subscribe(actor, url, "auto")
    services.fetch(subscription)
    assert subscription.kind == "atom"
    [news] = _publications(actor)
    assert news.title == "New opening hours" and "Open on Sundays." in news.body_md
    assert news.published_at == datetime(2025, 11, 20, 10, 0, tzinfo=UTC)

    feeds.put("/feed.atom", ATOM.format(updated="2025-11-21T10:00:00Z", day="Mondays"), "application/atom+xml")
    counts = services.fetch(subscription)
    assert (counts.created, counts.updated) == (0, 1)
    [news] = _publications(actor)
    assert "Open on Mondays." in news.body_md


def test_an_openagenda_export_in_the_towns_language(app, feeds):
    actor = _actor()
    export = {"events": [
        {"uid": 1001, "title": {"fr": "Visite du port", "en": "Harbour tour"},
         "description": {"fr": "Avec un guide.", "en": "With a guide."},
         "longDescription": {"fr": "<p>Rendez-vous <b>devant</b> l’office.</p><script>x()</script>"},
         "timings": [{"begin": "2031-05-02T10:00:00+0200", "end": "2031-05-02T12:00:00+0200"},
                     {"begin": "2031-05-09T10:00:00+02:00", "end": "2031-05-09T12:00:00+02:00"}],
         "location": {"name": "Office de tourisme", "address": "Quai", "latitude": 43.17, "longitude": 5.6},
         "status": 1},
        {"uid": 1002, "title": {"fr": "Concert annulé"}, "timings": [{"begin": "2031-06-01T20:00:00+02:00"}],
         "status": 6},
    ]}
    url = feeds.put("/events.v2.json", json.dumps(export), "application/json")
    subscription = services.subscribe(actor, url, "openagenda")
    counts = services.fetch(subscription)
    assert subscription.kind == "openagenda" and counts.created == 3
    tours = [p for p in _publications(actor) if p.title == "Visite du port"]
    assert [p.starts_at for p in tours] == [datetime(2031, 5, 2, 8, 0, tzinfo=UTC), datetime(2031, 5, 9, 8, 0, tzinfo=UTC)]
    assert all(p.place_name == "Office de tourisme" and p.lat == 43.17 for p in tours)
    assert "Avec un guide." in tours[0].body_md and "devant" in tours[0].body_md and "x()" not in tours[0].body_md
    assert len({p.ical_uid for p in tours}) == 2
    [cancelled] = [p for p in _publications(actor) if p.title == "Concert annulé"]
    assert cancelled.cancelled_at is not None
    assert services.fetch(subscription) is None  # unchanged: the server's ETag answers 304
    subscription.etag = ""
    assert services.fetch(subscription).__dict__ == {"created": 0, "updated": 0, "withdrawn": 0}

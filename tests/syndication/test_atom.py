"""News as Atom feeds: parsed by feedparser without complaint (bozo 0) and valid against RFC
4287's RELAX NG schema (vendored, tests/syndication/data)."""

from __future__ import annotations

from pathlib import Path

import feedparser
from lxml import etree

from app.models_common import utcnow
from tests.factories import make_actor, make_publication

DATA = Path(__file__).parent / "data"
ATOM_NS = {"atom": "http://www.w3.org/2005/Atom"}
_schema = etree.RelaxNG(etree.parse(str(DATA / "atom.rng")))


def _valid_atom(body: bytes) -> etree._Element:
    document = etree.fromstring(body)
    assert _schema.validate(document), _schema.error_log
    # RFC 4287's two Schematron rules (annotations a RELAX NG validator does not run).
    for entry in document.findall("atom:entry", ATOM_NS):
        assert entry.find("atom:link[@rel='alternate']", ATOM_NS) is not None or entry.find("atom:content", ATOM_NS) is not None
        assert entry.find("atom:author", ATOM_NS) is not None or document.find("atom:author", ATOM_NS) is not None
    return document


def _feed(client, path: str):  # type: ignore[no-untyped-def]
    response = client.get(path)
    assert response.status_code == 200
    assert response.mimetype == "application/atom+xml"
    _valid_atom(response.data)
    parsed = feedparser.parse(response.data)
    assert parsed.bozo == 0, parsed.get("bozo_exception")
    return parsed, response


def test_territory_news_feed_is_valid_atom_with_each_field(client, town):
    news = make_publication(town.market, "Nouveaux horaires", summary="Open on Sunday",
                            body_md="From **May**. <script>alert(1)</script>", hashtags=[town.bio])
    make_publication(town.club, "Regatta", kind="event")
    parsed, _response = _feed(client, "/news.atom")
    assert parsed.feed.title == "News of La Ciotat"
    assert parsed.feed.id.startswith("tag:localhost,")
    links = {link.rel: link.href for link in parsed.feed.links}
    assert links["self"] == "http://localhost/news.atom" and links["alternate"] == "http://localhost/all"
    entry = next(e for e in parsed.entries if e.title == "Nouveaux horaires")
    assert entry.id.endswith(f"/publication/{news.id}") and entry.link == f"http://localhost/p/{news.id}"
    assert entry.author == "Marché du Port"
    assert entry.summary == "Open on Sunday"
    assert "<strong>May</strong>" in entry.content[0].value and "<script" not in entry.content[0].value
    assert entry.published_parsed and entry.updated_parsed
    assert [t.term for t in entry.tags] == ["bio"]
    assert {e.title for e in parsed.entries} == {"Nouveaux horaires", "Regatta"}


def test_actor_and_hashtag_news_feeds(client, town):
    make_publication(town.market, "Market news", hashtags=[town.bio])
    make_publication(town.club, "Club news", hashtags=[town.sport])
    parsed, _ = _feed(client, f"/actors/{town.club.slug}/news.atom")
    assert [e.title for e in parsed.entries] == ["Club news"] and parsed.feed.author == "Club de Voile"
    parsed, _ = _feed(client, "/hashtags/bio/news.atom")
    assert [e.title for e in parsed.entries] == ["Market news"]


def test_news_feed_holds_only_public_publications_of_this_town(client, town):
    make_publication(town.market, "Public")
    make_publication(town.market, "Draft", status="draft")
    make_publication(town.market, "Hidden", moderated_at=utcnow())
    make_publication(make_actor(town.territory, "Pending", status="pending"), "Unverified")
    make_publication(town.other_actor, "Elsewhere")
    parsed, _ = _feed(client, "/news.atom")
    assert [e.title for e in parsed.entries] == ["Public"]


def test_empty_feed_is_valid_and_answers_304_when_unchanged(client, town):
    parsed, response = _feed(client, "/news.atom")
    assert parsed.entries == []
    again = client.get("/news.atom", headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304


def test_pages_advertise_their_feeds(client, town):
    page = client.get("/").get_data(as_text=True)
    assert '<link rel="alternate" type="application/atom+xml" title="News" href="/news.atom">' in page
    assert '<link rel="alternate" type="text/calendar" title="Agenda" href="/agenda.ics">' in page
    page = client.get(f"/actors/{town.club.slug}").get_data(as_text=True)
    assert f'href="/actors/{town.club.slug}/news.atom"' in page and f'href="/actors/{town.club.slug}/agenda.ics"' in page

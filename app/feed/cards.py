"""Rendered publication cards, cached per process.

A card shows only what the publication, its actor's name and its hashtags say, in a language
and a time zone: nothing about who looks at it. Rendering twenty of them (dates formatted by
Babel) was the largest part of a feed page, so each card's HTML is kept under a key made of
everything it shows; editing a publication changes ``updated_at`` and so the key.

Every list renders the same template (publications/_card.html, the one card component), so a
publication looks the same in "For you", "Everything" and on its actor's page. The first card of
a page loads its thumbnail at once (it is in view), the others lazily: that is in the key too."""

from __future__ import annotations

from typing import Any

from flask import current_app, g
from flask_babel import get_locale
from markupsafe import Markup

from app.feed import lookups
from app.feed.services import load_publications
from app.models_common import LruCache

CARD_TEMPLATE = "publications/_card.html"
MAX_CARDS = 10_000


cache = LruCache(MAX_CARDS)  # the same small LRU as the page shell's pieces (app.models_common)


def _key(
    facts: tuple[Any, ...], locale: str, zone: str, heading: str, app_id: int, eager: bool = False
) -> tuple[Any, ...]:
    return (*facts, locale, zone, heading, app_id, eager)


def card_facts(publication: Any) -> tuple[Any, ...]:
    """What of the publication itself a card's key holds."""
    return (
        publication.id,
        publication.updated_at,
        publication.actor.name if publication.actor else "",
        tuple((h.id, h.tag) for h in publication.hashtags),
        publication.image_media_id,
    )


def _context_key() -> tuple[str, str, int]:
    territory = getattr(g, "territory", None)
    return (
        str(get_locale()),
        territory.timezone if territory else "",
        id(current_app._get_current_object()),  # type: ignore[attr-defined]
    )


def card_key(publication: Any, heading: str, eager: bool = False) -> tuple[Any, ...]:
    locale, zone, app_id = _context_key()
    return _key(card_facts(publication), locale, zone, heading, app_id, eager)


def _render(publication: Any, heading: str, eager: bool, context: dict[str, Any]) -> Markup:
    template = current_app.jinja_env.get_template(CARD_TEMPLATE)
    return Markup(
        template.render(publication=publication, card_heading=heading, card_eager=eager, **context)
    )


def render_card(publication: Any, heading: str = "h2", eager: bool = False, **context: Any) -> Markup:
    """The publication's card."""
    eager = eager and publication.image_media_id is not None  # the same card without a thumbnail
    key = card_key(publication, heading, eager)
    card = cache.get(key)
    if card is None:
        card = _render(publication, heading, eager, context)
        cache.put(key, card)
    return card


def render_cards(publications: list[Any], heading: str = "h2", eager_first: bool = False,
                 **context: Any) -> list[Markup]:
    """The cards of ``publications``, the first one's thumbnail not lazy when ``eager_first``."""
    return [
        render_card(publication, heading, eager_first and index == 0, **context)
        for index, publication in enumerate(publications)
    ]


def cards_for(
    territory_id: int, ids: list[int], heading: str = "h2", eager_first: bool = False,
    **context: Any,
) -> list[Markup]:
    """The cards of publications ``ids``, in that order, without loading the publications
    whose card is cached: what a card's key needs of a publication is itself kept (per
    territory, until its feed data changes: see app.feed.lookups). The others are loaded in
    one go (``load_publications``) and rendered."""
    known = lookups.for_territory(territory_id).card_facts
    locale, zone, app_id = _context_key()
    cards: dict[int, Markup] = {}
    missing = []
    eager_id = ids[0] if eager_first and ids else None
    for publication_id in ids:
        facts = known.get(publication_id)
        # Eager or lazy is about the thumbnail: a card without one is the same either way.
        eager = publication_id == eager_id and facts is not None and facts[4] is not None
        card = cache.get(_key(facts, locale, zone, heading, app_id, eager)) if facts else None
        if card is None:
            missing.append(publication_id)
        else:
            cards[publication_id] = card
    if missing:
        for publication in load_publications(missing):
            facts = card_facts(publication)
            known[publication.id] = facts
            eager = publication.id == eager_id and facts[4] is not None
            card = cache.get(_key(facts, locale, zone, heading, app_id, eager))
            if card is None:
                card = _render(publication, heading, eager, context)
                cache.put(_key(facts, locale, zone, heading, app_id, eager), card)
            cards[publication.id] = card
    return [cards[i] for i in ids if i in cards]

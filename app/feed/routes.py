"""The feeds: "For you" (the home page), "Everything", the agenda; and a trivial health page."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from flask import current_app, request, url_for
from flask_login import current_user
from werkzeug.routing import BuildError

from app.feed import bp, services
from app.feed.cards import cards_for, render_card, render_cards
from app.htmx import render
from app.models_common import utcnow
from app.territories.context import current_territory
from app.territories.services import active_hashtags, find_hashtag
from app.timezones import local_date, zone

# The one card, from the card cache, for lists rendered by lower domains (an actor's page).
bp.add_app_template_global(render_card, "publication_card")


def _page_arg() -> int:
    page = request.args.get("page", 1, type=int) or 1
    return min(max(page, 1), 50)


def publication_url(publication: Any) -> str | None:
    """The publication's public page, when the publications domain provides one."""
    try:
        if publication.kind == "poll":  # straight to where people answer it (app.polls)
            return url_for("polls.show", poll_id=publication.id)
        return url_for("publications.show", publication_id=publication.id)
    except BuildError:
        return None


@bp.get("/healthz")
def ping() -> tuple[str, int, dict[str, str]]:
    """A trivial page (load balancers, and the benchmark's baseline)."""
    return "ok", 200, {"Content-Type": "text/plain; charset=utf-8"}


@bp.get("/")
def for_you() -> Any:
    territory = current_territory()
    page = _page_arg()
    size = current_app.config["FEED_PAGE_SIZE"]
    has_hashtags = False
    if current_user.is_authenticated:
        ranked = services.for_you_ids(territory.id, current_user, page=page, page_size=size)
        has_more = ranked.has_more
        # Most cards come from the per-process card cache, without loading their publication.
        cards = cards_for(territory.id, ranked.ids, "h2", eager_first=page == 1)
        has_hashtags = bool(ranked.profile.hashtag_ids)
    else:
        feed = services.public_feed(territory.id, page=page, page_size=size)
        has_more = feed.has_more
        cards = _cards(feed, page)
    next_url = url_for("feed.for_you", page=page + 1) if has_more else None
    return render(
        "feed/for_you.html",
        "feed/_items.html",
        cards=cards,
        next_url=next_url,
        has_hashtags=has_hashtags,
    )


def _cards(feed: services.FeedPage, page: int) -> list[Any]:
    """The same cards as "For you"'s (the one card component): the first page's first thumbnail
    loads at once, it is in view."""
    return render_cards(feed.publications, "h2", eager_first=page == 1)


@bp.get("/all")
def everything() -> Any:
    territory = current_territory()
    page = _page_arg()
    kind = request.args.get("kind") or None
    if kind not in services.FEED_KINDS:
        kind = None
    ids, has_more = services.everything_ids(
        territory.id, kind=kind, page=page, page_size=current_app.config["FEED_PAGE_SIZE"]
    )
    next_url = url_for("feed.everything", kind=kind, page=page + 1) if has_more else None
    return render(
        "feed/everything.html",
        "feed/_items.html",
        # Most cards come from the per-process card cache, without loading their publication.
        cards=cards_for(territory.id, ids, "h2", eager_first=page == 1),
        kind=kind,
        kinds=services.FEED_KINDS,
        next_url=next_url,
    )


@bp.get("/agenda")
def agenda() -> Any:
    territory = current_territory()
    today = local_date(utcnow(), territory)
    from_day = _date_arg("from") or today
    tag = request.args.get("tag", "")
    hashtag = find_hashtag(territory, tag) if tag else None
    page = services.agenda(
        territory.id,
        territory.timezone,
        from_day,
        hashtag=hashtag,
        include_ongoing=from_day <= today,
    )
    tag_arg = hashtag.tag if hashtag else None
    next_url = (
        url_for("feed.agenda", **{"from": page.next_from.isoformat()}, tag=tag_arg)
        if page.next_from
        else None
    )
    return render(
        "feed/agenda.html",
        "feed/_agenda_days.html",
        agenda=page,
        from_day=from_day,
        today=today,
        hashtag=hashtag,
        hashtags=active_hashtags(territory),
        unknown_tag=bool(tag) and hashtag is None,
        next_url=next_url,
        publication_url=publication_url,
        zone=zone(territory),
    )


def _date_arg(name: str) -> date | None:
    value = request.args.get(name, "")
    try:
        return datetime.strptime(value, "%Y-%m-%d").date() if value else None
    except ValueError:
        return None

"""The open agenda (iCalendar) and news (Atom) feeds of the territory, an actor and a hashtag;
the personal calendar behind a secret link, and the page where a person makes or turns it off.

A feed answers a conditional GET (ETag, Last-Modified) with a 304. The secret link's path never
reaches a log: the access log writes the route's rule (``/calendar/<token>.ics``), not the path
(app.access_log)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC
from typing import Any

from flask import abort, flash, make_response, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from markupsafe import Markup
from werkzeug.wrappers import Response

from app.actors.models import Actor
from app.actors.services import find_actor
from app.htmx import render, see_other
from app.syndication import atom, bp, ical, jsonld, services
from app.syndication.services import Scope
from app.territories.context import current_territory, request_hostname
from app.territories.services import find_hashtag

_LINK_ONCE = "calendar_link_once"  # the new link, shown once on the settings page


def _public_actor_or_404(slug: str) -> Actor:
    actor = find_actor(current_territory(), slug)
    if actor is None or actor.status != "verified":
        abort(404)
    return actor


def _hashtag_or_404(tag: str) -> Any:
    hashtag = find_hashtag(current_territory(), tag)
    if hashtag is None:
        abort(404)
    return hashtag


def _url_of() -> Callable[[Any], str]:
    """Absolute URLs of publication pages (one url_for, then the id: thousands per feed)."""
    marker = 987654321
    template = url_for("publications.show", publication_id=marker, _external=True)
    head, tail = template.split(str(marker), 1)
    return lambda publication: f"{head}{publication.id}{tail}"


def _conditional(built: services.Built, mimetype: str, cache_control: str) -> Response:
    """The feed, or a 304 when the client's copy (ETag, else Last-Modified) is current."""
    last_modified = built.last_modified.astimezone(UTC).replace(microsecond=0)
    not_modified = False
    if request.if_none_match:
        not_modified = request.if_none_match.contains_weak(built.etag.strip('"'))
    elif request.if_modified_since is not None:
        not_modified = last_modified <= request.if_modified_since
    response = make_response(b"" if not_modified else built.body, 304 if not_modified else 200)
    response.mimetype = mimetype
    if mimetype.startswith("text/"):
        response.charset = "utf-8"
    response.set_etag(built.etag.strip('"'))
    response.last_modified = last_modified
    response.headers["Cache-Control"] = cache_control
    return response


# --- iCalendar --------------------------------------------------------------------------------


def _calendar(scope: Scope, name: str, self_url: str, *, cached: bool = True,
              cache_control: str = "public, max-age=300") -> Response:
    territory = scope.territory
    url_of = _url_of()

    def build() -> tuple[bytes, Any]:
        events, changed = services.calendar_events(scope)
        body = ical.build_calendar(
            name=name, tzid=territory.timezone or "UTC", events=events, changed_occurrences=changed,
            uid_of=services.uid_maker(territory), url_of=url_of, calendar_url=self_url,
        )
        return body, services.last_change([*events, *changed], territory.created_at)

    built = services.built(("ics", territory.id, scope.key, request_hostname()), build, cached=cached)
    return _conditional(built, "text/calendar", cache_control)


@bp.get("/agenda.ics")
def agenda_ics() -> Response:
    territory = current_territory()
    return _calendar(Scope(territory), _("Agenda of %(town)s", town=territory.name),
                     url_for(".agenda_ics", _external=True))


@bp.get("/actors/<slug>/agenda.ics")
def actor_agenda_ics(slug: str) -> Response:
    actor = _public_actor_or_404(slug)
    return _calendar(Scope(current_territory(), actor=actor), actor.name,
                     url_for(".actor_agenda_ics", slug=actor.slug, _external=True))


@bp.get("/hashtags/<tag>/agenda.ics")
def hashtag_agenda_ics(tag: str) -> Response:
    hashtag = _hashtag_or_404(tag)
    territory = current_territory()
    return _calendar(Scope(territory, hashtag=hashtag), f"{hashtag.label} · {territory.name}",
                     url_for(".hashtag_agenda_ics", tag=hashtag.tag, _external=True))


@bp.get("/calendar/<token>.ics")
def personal_ics(token: str) -> Response:
    territory = current_territory()
    person = services.person_of_calendar_link(token, territory)
    if person is None:
        abort(404)
    # Names nobody: the calendar is called after the town; one person's, so never stored by a
    # cache on the way (the secret is in its URL).
    return _calendar(Scope(territory, person=person), _("My agenda · %(town)s", town=territory.name),
                     request.base_url, cached=False, cache_control="private, no-store")


# --- Atom -------------------------------------------------------------------------------------


def _news(scope: Scope, title: str, self_url: str, page_url: str, specific: str) -> Response:
    territory = scope.territory
    host = request_hostname()
    url_of = _url_of()

    def build() -> tuple[bytes, Any]:
        found = services.news(scope)
        body = atom.build_feed(
            title=title, feed_id=atom.tag_uri(host, territory.created_at, f"{territory.slug}/{specific}"),
            self_url=self_url, page_url=page_url, author=scope.actor.name if scope.actor else territory.name,
            fallback_updated=territory.created_at, publications=found,
            entry_id=lambda p: atom.tag_uri(host, territory.created_at, f"{territory.slug}/publication/{p.id}"),
            url_of=url_of,
        )
        return body, services.last_change(found, territory.created_at)

    built = services.built(("atom", territory.id, scope.key, host), build)
    return _conditional(built, "application/atom+xml", "public, max-age=300")


@bp.get("/news.atom")
def news_atom() -> Response:
    territory = current_territory()
    return _news(Scope(territory), _("News of %(town)s", town=territory.name),
                 url_for(".news_atom", _external=True), url_for("feed.everything", _external=True), "news")


@bp.get("/actors/<slug>/news.atom")
def actor_news_atom(slug: str) -> Response:
    actor = _public_actor_or_404(slug)
    return _news(Scope(current_territory(), actor=actor), actor.name,
                 url_for(".actor_news_atom", slug=actor.slug, _external=True),
                 url_for("actors.page", slug=actor.slug, _external=True), f"actor/{actor.id}/news")


@bp.get("/hashtags/<tag>/news.atom")
def hashtag_news_atom(tag: str) -> Response:
    hashtag = _hashtag_or_404(tag)
    territory = current_territory()
    return _news(Scope(territory, hashtag=hashtag), f"{hashtag.label} · {territory.name}",
                 url_for(".hashtag_news_atom", tag=hashtag.tag, _external=True),
                 url_for("feed.agenda", tag=hashtag.tag, _external=True), f"hashtag/{hashtag.tag}/news")


# --- the personal calendar link ---------------------------------------------------------------


@bp.get("/me/calendar")
@login_required
def calendar_link() -> Response:
    token = session.pop(_LINK_ONCE, None)
    return render(
        "syndication/calendar_link.html",
        link=url_for(".personal_ics", token=token, _external=True) if token else None,
        has_link=services.has_calendar_link(current_user),
        feeds=[(_("Agenda of the town (iCalendar)"), url_for(".agenda_ics", _external=True)),
               (_("News of the town (Atom)"), url_for(".news_atom", _external=True))],
    )


@bp.post("/me/calendar/new")
@login_required
def new_calendar_link() -> Response:
    session[_LINK_ONCE] = services.new_calendar_link(current_user)
    flash(_("Your calendar link is ready. Any older link no longer works."), "success")
    return see_other(".calendar_link")


@bp.post("/me/calendar/off")
@login_required
def turn_off_calendar_link() -> Response:
    services.turn_off_calendar_link(current_user)
    session.pop(_LINK_ONCE, None)
    flash(_("Your calendar link is turned off."), "success")
    return see_other(".calendar_link")


@bp.app_template_global()
def territory_feeds() -> list[tuple[str, str, str]]:
    """The territory's feeds, advertised in every page's head (feed readers, calendars)."""
    return [
        ("application/atom+xml", _("News"), url_for("syndication.news_atom")),
        ("text/calendar", _("Agenda"), url_for("syndication.agenda_ics")),
    ]


# --- schema.org on the pages --------------------------------------------------------------------


@bp.app_template_global()
def publication_jsonld(publication: Any) -> Markup:
    """An event's or an offer's JSON-LD block (nothing for other kinds, or a page not public)."""
    if not publication.is_visible or publication.kind not in ("event", "offer"):
        return Markup("")
    build = jsonld.event if publication.kind == "event" else jsonld.offer
    return jsonld.script_tag(build(publication, current_territory()))


@bp.app_template_global()
def actor_jsonld(actor: Actor) -> Markup:
    if not actor.is_verified:
        return Markup("")
    return jsonld.script_tag(jsonld.actor(actor, current_territory()))

"""Pieces of the page shell rendered once and kept, per process.

The shell around every page (head, header, navigation, footer) says the same thing to everybody
who shares a town, a language and a few flags (logged in or not, acting for an actor of which
kind, an administrator or not); rendering its forty strings and thirty links again at each
request was the largest part of a small page. A template wraps such a piece in

    {% call cached("name", flag, other_flag) %} ... {% endcall %}

and the piece is rendered once for its key: the name, the flags the template passes, the
language, the town and what of it the shell shows (its name, tagline, logo, colours, languages,
options: a town edited in any process renders its pieces anew at once), the script root and the
application.

What differs between two people (the CSRF token, their name, their roles, their unread count,
the page's address) stays outside the cached pieces: a piece must only use what its key holds.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import current_app, g, get_flashed_messages, request
from flask.templating import Environment as FlaskEnvironment
from flask_babel import get_locale
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from jinja2 import pass_context
from jinja2.runtime import Context
from markupsafe import Markup, escape

from app.models_common import LruCache, utcnow

MAX_FRAGMENTS = 4096
# What of a town the shell shows: its pieces' keys hold these (read from the town's row as this
# request loaded it, so a change made by another process or machine is seen at once).
TERRITORY_FIELDS = (
    "id", "name", "tagline", "logo_media_id", "primary_color", "accent_color", "timezone",
    "default_language", "enabled_languages_csv", "observatory_public",
)


cache = LruCache(MAX_FRAGMENTS)


class Environment(FlaskEnvironment):
    """Flask's Jinja environment, but a template without globals of its own (all of ours) reads
    the environment's globals themselves rather than a ``ChainMap`` over them: every render
    copies its template's globals into its context, and copying a ChainMap looks each of the
    fifty globals up through it (a fifth of a card's render). Nothing here passes globals to
    ``get_template``, which would write them into the environment's."""

    def make_globals(self, d: Any) -> Any:
        return self.globals if not d else super().make_globals(d)


def _request_part() -> tuple[Any, ...]:
    """What every piece's key holds of the request's town and application, worked out once per
    request (the language is read each time: ``force_locale`` may change it meanwhile)."""
    part = g.get("_fragment_key")
    if part is None:
        territory = getattr(g, "territory", None)
        part = g._fragment_key = (
            tuple(getattr(territory, field) for field in TERRITORY_FIELDS) if territory is not None else None,
            request.script_root,
            id(current_app._get_current_object()),  # type: ignore[attr-defined]
        )
    return part


def fragment_key(name: str, *flags: Any) -> tuple[Any, ...]:
    return (name, flags, str(get_locale()), *_request_part())


def remember(name: str, flags: tuple[Any, ...], render: Callable[[], str]) -> Markup:
    """What ``render()`` returns, rendered once per key: ``name``, ``flags`` (everything the
    piece shows besides the town and the language) and the request's town, language, script
    root and application."""
    key = fragment_key(name, *flags)
    piece = cache.get(key)
    if piece is None:
        piece = Markup(render())
        cache.put(key, piece)
    return piece


def cached(name: str, *flags: Any, caller: Callable[[], str]) -> Markup:
    """The piece ``caller`` renders (the body of a ``{% call cached(...) %}`` block), rendered
    once per key (see the module's text)."""
    return remember(name, flags, caller)


# --- the page shell ------------------------------------------------------------------------------
#
# base.html draws a page's blocks (title, description, feeds, content) and hands them to
# ``page_shell``, which puts them in the shell (_shell.html: head, header, navigation, footer).
# The shell is rendered once per key with a mark in each hole, and kept as its pieces of text
# between the holes (a skeleton); each request then only joins them with its own hole values.

SHELL_TEMPLATE = "_shell.html"
MAX_SHELLS = 256
_MARK = "\x00"  # never in a template's text: it splits a rendered skeleton at its holes
PAGE_HOLES = ("title", "description", "feeds", "content")
shells: LruCache = LruCache(MAX_SHELLS)


def _roles(context: Context) -> str:
    memberships = context.get("my_memberships")
    if not memberships:
        return ""
    template = context.environment.get_template("_role_items.html")
    return template.render(my_memberships=memberships, acting_actor=context.get("acting_actor"))


def _badge(context: Context) -> str:
    # The same for everybody with the same unread count: kept per count.
    count = context.environment.globals["inbox_unread_count"]()
    template = context.environment.get_template("inbox/_badge.html")
    return remember("inbox-badge", (count,), template.render)


def _flash(context: Context) -> str:
    if not get_flashed_messages(with_categories=True):
        return ""
    return context.environment.get_template("_flash.html").render()


def _live(context: Context) -> str:
    live_location_on = context.environment.globals.get("live_location_on")
    return "on" if live_location_on is not None and live_location_on() else "off"


def _person(context: Context) -> str:  # noqa: ARG001
    return escape(current_user.display_name or current_user.email)


# What is the person's or the request's own in the shell, drawn at each request.
PERSON_HOLES: dict[str, Callable[[Context], str]] = {
    "csrf": lambda _context: escape(generate_csrf()),
    "next": lambda _context: escape(request.full_path),
    "live": _live,
    "person": _person,
    "roles": _roles,
    "badge": _badge,
    "flash": _flash,
}
HOLES = (*PAGE_HOLES, *PERSON_HOLES)


def shell_flags(context: Context) -> tuple[Any, ...]:
    """Everything the shell shows besides its holes, the town and the language: whether the
    person is logged in and an administrator, the actor they act for, whether they have roles,
    whether the page offers the app's installation, and the minute (the saved copy's time)."""
    authenticated = bool(current_user.is_authenticated)
    acting = context.get("acting_actor")
    return (
        authenticated,
        authenticated and bool(current_user.is_admin),
        (acting.id, acting.kind, acting.name, acting.logo_media_id) if acting is not None else None,
        bool(context.get("my_memberships")),
        bool(context.get("no_install_offer")),
        utcnow().replace(second=0, microsecond=0),
    )


def render_shell(context: Context, flags: tuple[Any, ...], holes: dict[str, Any]) -> str:
    """_shell.html with ``holes`` in its holes (the skeleton's marks, or the values)."""
    template = context.environment.get_template(SHELL_TEMPLATE)
    return template.render(
        context.get_all(), holes=holes, shell_has_roles=flags[3], shell_drawn_at=flags[5]
    )


def shell_values(context: Context, page: dict[str, str], names: Any) -> dict[str, str]:
    """The values of the holes ``names``: the page's blocks, the person's parts."""
    return {name: page[name] if name in page else PERSON_HOLES[name](context) for name in names}


@pass_context
def page_shell(context: Context, title: str, description: str, feeds: str, content: str) -> Markup:
    """The page: its blocks in the shell, whose skeleton is kept per key (see above)."""
    flags = shell_flags(context)
    key = fragment_key("page-shell", *flags)
    skeleton = shells.get(key)
    if skeleton is None:
        marks = {name: Markup(f"{_MARK}{name}{_MARK}") for name in HOLES}
        skeleton = tuple(render_shell(context, flags, marks).split(_MARK))  # type: ignore[assignment]
        shells.put(key, skeleton)  # type: ignore[arg-type]
    page = {"title": title, "description": description, "feeds": feeds, "content": content}
    parts = list(skeleton)
    values: dict[str, str] = {}
    for index in range(1, len(parts), 2):
        name = parts[index]
        value = values.get(name)
        if value is None:
            value = values[name] = page[name] if name in page else PERSON_HOLES[name](context)
        parts[index] = value
    return Markup("".join(parts))


def install(app: Any) -> None:
    app.jinja_env.globals["cached"] = cached
    app.jinja_env.globals["page_shell"] = page_shell

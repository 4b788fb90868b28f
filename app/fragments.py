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

import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from flask import current_app, g, request
from flask_babel import get_locale
from markupsafe import Markup

MAX_FRAGMENTS = 4096
# What of a town the shell shows: its pieces' keys hold these (read from the town's row as this
# request loaded it, so a change made by another process or machine is seen at once).
TERRITORY_FIELDS = (
    "id", "name", "tagline", "logo_media_id", "primary_color", "accent_color", "timezone",
    "default_language", "enabled_languages_csv", "observatory_public",
)


class LruCache:
    """A small LRU of rendered pieces (Markup), shared by the threads of a process: the shell's
    pieces here, the publication cards (app.feed.cards)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._pieces: OrderedDict[tuple[Any, ...], Markup] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple[Any, ...]) -> Markup | None:
        with self._lock:
            piece = self._pieces.get(key)
            if piece is not None:
                self._pieces.move_to_end(key)
            return piece

    def put(self, key: tuple[Any, ...], piece: Markup) -> None:
        with self._lock:
            self._pieces[key] = piece
            self._pieces.move_to_end(key)
            while len(self._pieces) > self.size:
                self._pieces.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._pieces.clear()

    def __len__(self) -> int:
        return len(self._pieces)


cache = LruCache(MAX_FRAGMENTS)


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


def install(app: Any) -> None:
    app.jinja_env.globals["cached"] = cached

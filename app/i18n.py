"""Language choice: the user's, else the browser's among the territory's enabled ones, else the
territory default. Dates and times in the territory's time zone."""

from __future__ import annotations

from flask import g, has_request_context, request, session
from flask_login import current_user

SUPPORTED = ("fr", "nl", "en")
LANGUAGE_NAMES = {"fr": "Français", "nl": "Nederlands", "en": "English"}


def select_locale() -> str:
    if not has_request_context():
        return "fr"
    territory = getattr(g, "territory", None)
    enabled = [c for c in (territory.enabled_languages if territory else SUPPORTED) if c in SUPPORTED]
    default = territory.default_language if territory else "fr"
    user = current_user if current_user and current_user.is_authenticated else None
    chosen = (user.language if user else None) or session.get("language")
    if chosen in enabled:
        return chosen
    best = request.accept_languages.best_match(enabled) if request.accept_languages else None
    return best or default


def select_timezone() -> str:
    territory = getattr(g, "territory", None) if has_request_context() else None
    return territory.timezone if territory else "Europe/Paris"


def fast_gettext(string: str) -> str:
    """``gettext`` for templates: flask_babel's, with the request's translations looked up once
    per locale instead of at each of the page's strings (``force_locale`` changes the locale
    object, so a forced locale gets its own translations)."""
    from flask_babel import get_translations

    context = g.get("_flask_babel") if g else None
    locale = getattr(context, "babel_locale", None)
    if locale is None:
        return get_translations().ugettext(string)  # type: ignore[no-any-return]
    cached = getattr(context, "territory_translations", None)
    if cached is None or cached[0] is not locale:
        cached = (locale, get_translations())
        context.territory_translations = cached  # type: ignore[union-attr]
    return cached[1].ugettext(string)  # type: ignore[no-any-return]


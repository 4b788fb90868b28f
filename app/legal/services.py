"""The legal pages of a territory: terms of use, privacy notice, legal notice and accessibility
statement. The app ships a default text of each in French, Dutch and English
(``app/legal/defaults/<kind>.<language>.md``); a town replaces any of them with its own.

Which text a visitor reads: the town's own text in the visitor's language, else in the town's
default language, else in French, else in any language it wrote; when the town wrote none for
that page, the default text in the first of those languages. Once a town has written a page, its
words prevail: a default text in another language would say something the town no longer says.

Every text is Markdown, rendered and sanitised by ``app.text.render_markdown`` (no HTML of the
town's reaches a page as such). The default texts, and the town's, may hold placeholders filled
when shown: ``{town}``, ``{site}``, ``{privacy_centre}``, ``{tested_on}`` (when the automated accessibility
checks last passed) and ``{updated_on}`` (the text's last change)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from pathlib import Path

from babel.dates import format_date
from flask import request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from sqlalchemy import func, select

from app.extensions import db
from app.i18n import SUPPORTED
from app.legal.models import LegalText
from app.models_common import utcnow
from app.territories.models import Territory
from app.territories.scoping import belongs, territory_id_of
from app.text import render_markdown

TERMS, PRIVACY, NOTICE, ACCESSIBILITY = "terms", "privacy", "notice", "accessibility"
KINDS = (TERMS, PRIVACY, NOTICE, ACCESSIBILITY)
TITLES = {
    TERMS: _l("Terms of use"),
    PRIVACY: _l("Privacy notice"),
    NOTICE: _l("Legal notice"),
    ACCESSIBILITY: _l("Accessibility statement"),
}
MAX_LENGTH = 50_000
DEFAULTS_DIR = Path(__file__).parent / "defaults"
# When the app's automated accessibility checks (axe-core on every page, for every role, in
# tests/e2e) last passed with no violation; the default statement gives this date. Move it
# forward when a release's suite passes again.
ACCESSIBILITY_TESTED_ON = date(2026, 12, 5)
# The date of the default texts (shown as their last update until the town edits a page).
DEFAULTS_DATED = date(2026, 12, 5)
_MARKDOWN_SPECIAL = str.maketrans({c: "\\" + c for c in "\\`*_[]<>#|"})


@dataclass(frozen=True)
class LegalPage:
    """What a visitor reads: the text (``html``, safe), its language, and where it comes from."""

    kind: str
    language: str
    source: str  # the Markdown, placeholders filled
    html: Markup
    version: int
    updated_on: date
    written_by_town: bool

    @property
    def title(self) -> str:
        return str(TITLES[self.kind])


@dataclass(frozen=True)
class EditorState:
    """One language of a page, as the town's editor shows it."""

    language: str
    source: str  # the text to edit: the town's, else the default (placeholders kept)
    written_by_town: bool
    updated_at: datetime | None


@cache
def default_source(kind: str, language: str) -> str | None:
    """The app's default text of ``kind`` in ``language`` (placeholders unfilled), if any."""
    path = DEFAULTS_DIR / f"{kind}.{language}.md"
    return path.read_text(encoding="utf-8") if path.is_file() else None


def _town_texts(territory: Territory | int, kind: str) -> dict[str, LegalText]:
    rows = db.session.scalars(
        select(LegalText).where(belongs(LegalText, territory), LegalText.kind == kind)
    )
    return {row.language: row for row in rows}


def page_version(territory: Territory | int, kind: str) -> int:
    """The page's version: 0 while the town never changed it, then one more at each change."""
    version = db.session.scalar(
        select(func.max(LegalText.version)).where(belongs(LegalText, territory), LegalText.kind == kind)
    )
    return int(version or 0)


def _language_order(territory: Territory, language: str) -> list[str]:
    order: list[str] = []
    for code in (language, territory.default_language, "fr"):
        if code not in order:
            order.append(code)
    return order


def fill_placeholders(source: str, territory: Territory, language: str, site: str,
                      privacy_centre: str, updated_on: date) -> str:
    """The placeholders of a text filled for this territory, dates in the text's language."""
    locale = language if language in SUPPORTED else "fr"
    values = {
        "{town}": territory.name.translate(_MARKDOWN_SPECIAL),
        "{site}": site,
        "{privacy_centre}": privacy_centre,
        "{tested_on}": format_date(ACCESSIBILITY_TESTED_ON, format="long", locale=locale),
        "{updated_on}": format_date(updated_on, format="long", locale=locale),
    }
    for placeholder, value in values.items():
        source = source.replace(placeholder, value)
    return source


def site_addresses() -> dict[str, str]:
    """What the placeholders ``{site}`` and ``{privacy_centre}`` stand for, at the address the
    request came to (each host of a territory names itself)."""
    return {
        "site": request.host_url.rstrip("/"),
        "privacy_centre": url_for("privacy.centre", _external=True),
    }


def preview(territory: Territory, language: str, source: str) -> Markup:
    """A text as its page would show it (placeholders filled, dated today), before it is saved."""
    filled = fill_placeholders(source, territory, language, updated_on=utcnow().date(), **site_addresses())
    return render_markdown(filled)


def legal_page(territory: Territory, kind: str, language: str, site: str,
               privacy_centre: str) -> LegalPage | None:
    """The text of ``kind`` a visitor reading ``language`` is shown (see the module's doc);
    ``site`` and ``privacy_centre`` are the addresses the placeholders stand for."""
    if kind not in KINDS:
        return None
    order = _language_order(territory, language)
    written = {code: row for code, row in _town_texts(territory, kind).items() if row.body is not None}
    version = page_version(territory, kind)
    chosen = next((code for code in order if code in written), None) or min(written, default=None)
    if chosen is not None:
        row = written[chosen]
        source, updated_on, by_town = row.body or "", row.updated_at.date(), True
    else:
        chosen = next((code for code in order if default_source(kind, code) is not None), None)
        if chosen is None:
            return None
        source, updated_on, by_town = default_source(kind, chosen) or "", DEFAULTS_DATED, False
    filled = fill_placeholders(source, territory, chosen, site, privacy_centre, updated_on)
    return LegalPage(kind=kind, language=chosen, source=filled, html=render_markdown(filled),
                     version=version, updated_on=updated_on, written_by_town=by_town)


def editor_states(territory: Territory, kind: str, languages: list[str]) -> list[EditorState]:
    """Each language's text to edit: the town's own, else the default with its placeholders."""
    rows = _town_texts(territory, kind)
    states = []
    for language in languages:
        row = rows.get(language)
        if row is not None and row.body is not None:
            states.append(EditorState(language, row.body, True, row.updated_at))
        else:
            states.append(EditorState(language, default_source(kind, language) or "", False, None))
    return states


def text_problem(body: str) -> str | None:
    """Why a town's text cannot be saved, or None."""
    if not body.strip():
        return _("The text cannot be empty. To show the default text again, use “Reset to default”.")
    if len(body) > MAX_LENGTH:
        return _("The text is too long: %(count)d characters at most.", count=MAX_LENGTH)
    return None


def _bump(territory: Territory | int, kind: str, language: str, body: str | None) -> LegalText:
    version = page_version(territory, kind) + 1
    row = _town_texts(territory, kind).get(language)
    if row is None:
        row = LegalText(territory_id=territory_id_of(territory), kind=kind, language=language)
        db.session.add(row)
    row.body = body
    row.version = version
    row.updated_at = utcnow()
    db.session.commit()
    return row


def save_text(territory: Territory | int, kind: str, language: str, body: str) -> LegalText:
    """The town's text of ``kind`` in ``language``: the page's version goes up by one.
    The caller checked it with ``text_problem``."""
    if kind not in KINDS or language not in SUPPORTED:
        raise ValueError(f"unknown legal page {kind}/{language}")
    problem = text_problem(body)
    if problem:
        raise ValueError(problem)
    return _bump(territory, kind, language, body.replace("\r\n", "\n"))


def reset_text(territory: Territory | int, kind: str, language: str) -> bool:
    """Back to the default text in ``language`` (a new version); False when it already was."""
    row = _town_texts(territory, kind).get(language)
    if row is None or row.body is None:
        return False
    _bump(territory, kind, language, None)
    return True

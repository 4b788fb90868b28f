"""The territory's legal pages, public: terms of use, privacy notice, legal notice and the
accessibility statement, in the visitor's language (see app.legal.services for the fallback)."""

from __future__ import annotations

from flask import abort
from flask_babel import get_locale
from werkzeug.wrappers import Response

from app.htmx import render
from app.legal import bp, services
from app.territories.context import current_territory


@bp.get("/legal/<kind>")
def page(kind: str) -> Response:
    territory = current_territory()
    shown = services.legal_page(territory, kind, str(get_locale()), **services.site_addresses())
    if shown is None:
        abort(404)
    return render("legal/page.html", legal=shown, kinds=services.KINDS, titles=services.TITLES)

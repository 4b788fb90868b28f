"""The CSRF token of a test client's session, read from a page as a browser reads it: from the
``<meta name="csrf-token">`` every page carries (what app.js sends as ``X-CSRFToken``) or from a
form's hidden ``csrf_token`` field (page fragments)."""

from __future__ import annotations

import re
from typing import Any

from flask.testing import FlaskClient

_TOKEN = re.compile(r'<meta name="csrf-token" content="([^"]+)"|name="csrf_token"[^>]*value="([^"]+)"')


def csrf_from(html: str) -> str:
    """The token on this page."""
    match = _TOKEN.search(html)
    assert match, "no CSRF token on the page"
    return match.group(1) or match.group(2)


def csrf_token(client: FlaskClient, path: str, base_url: str | None = None, **kwargs: Any) -> str:
    """The token of ``client``'s session, from the page at ``path`` (on ``base_url``, the
    client's default host when None); ``kwargs`` go to the GET (``follow_redirects=True``...)."""
    if base_url is not None:
        kwargs["base_url"] = base_url
    match = _TOKEN.search(client.get(path, **kwargs).get_data(as_text=True))
    assert match, f"no CSRF token on {path}"
    return match.group(1) or match.group(2)

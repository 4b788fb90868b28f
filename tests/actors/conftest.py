"""Helpers for the actors tests: CSRF tokens from real pages, small images."""

from __future__ import annotations

import io
import re

from flask.testing import FlaskClient
from PIL import Image

_META = re.compile(r'<meta name="csrf-token" content="([^"]+)"')
_FIELD = re.compile(
    r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"'
)


def csrf_token(client: FlaskClient, path: str = "/actors", base_url: str | None = None) -> str:
    """The CSRF token of this client's session, read from a page as a browser would."""
    kwargs = {"base_url": base_url} if base_url else {}
    html = client.get(path, **kwargs).get_data(as_text=True)
    match = _META.search(html)
    assert match, f"no csrf token on {path}"
    return match.group(1)


def post(client: FlaskClient, path: str, data: dict | None = None, htmx: bool = False, **kwargs):  # type: ignore[no-untyped-def]
    """POST with the session's CSRF token, as a form field or (htmx) as a header like app.js."""
    token = csrf_token(client, base_url=kwargs.get("base_url"))
    data = dict(data or {})
    headers = dict(kwargs.pop("headers", {}))
    if htmx:
        headers.update({"HX-Request": "true", "X-CSRFToken": token})
    else:
        data.setdefault("csrf_token", token)
    return client.post(path, data=data, headers=headers, **kwargs)


def png_bytes(size: tuple[int, int] = (40, 30)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 80, 20)).save(buffer, format="PNG")
    return buffer.getvalue()


"""Helpers for the actors tests: posting with the session's CSRF token, small images."""

from __future__ import annotations

import io

from flask.testing import FlaskClient
from PIL import Image

from tests.support.csrf import csrf_token


def post(client: FlaskClient, path: str, data: dict | None = None, htmx: bool = False, **kwargs):  # type: ignore[no-untyped-def]
    """POST with the session's CSRF token, as a form field or (htmx) as a header like app.js."""
    token = csrf_token(client, "/actors", base_url=kwargs.get("base_url"))
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


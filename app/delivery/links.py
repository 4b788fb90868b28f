"""Absolute URLs carried by messages (open, click, mute, unsubscribe), built outside any request.

A worker has no request, hence no host: a territory's URLs use its first host name, the
configured scheme (``PREFERRED_URL_SCHEME``; https in production) and ``PUBLIC_PORT`` when set.
Each endpoint's URL is built once per territory with a placeholder token, then only the token
changes: a campaign to 100,000 people does not build 400,000 URLs through the URL map.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from flask import current_app, g
from flask_babel import force_locale
from sqlalchemy import select

from app.extensions import db
from app.notifications.tokens import delivery_token, unsubscribe_token
from app.territories.models import TerritoryHost

_PLACEHOLDER = "TOKENPLACEHOLDER"
_templates: dict[tuple[int, str, str], tuple[str, str]] = {}


def territory_base_url(territory_id: int) -> str:
    host = db.session.scalar(
        select(TerritoryHost.hostname)
        .where(TerritoryHost.territory_id == territory_id)
        .order_by(TerritoryHost.id)
        .limit(1)
    ) or "localhost"
    config = current_app.config
    scheme = config.get("PREFERRED_URL_SCHEME") or "https"
    port = str(config.get("PUBLIC_PORT") or "")
    default_port = {"http": "80", "https": "443"}.get(scheme)
    netloc = host if not port or port == default_port else f"{host}:{port}"
    return f"{scheme}://{netloc}"


def absolute_url(base_url: str, endpoint: str, **values: object) -> str:
    scheme, _, netloc = base_url.partition("://")
    adapter = current_app.url_map.bind(netloc, url_scheme=scheme)
    return adapter.build(endpoint, values, force_external=True)


def token_url(base_url: str, endpoint: str, token: str) -> str:
    key = (id(current_app.url_map), base_url, endpoint)
    template = _templates.get(key)
    if template is None:
        url = absolute_url(base_url, endpoint, token=_PLACEHOLDER)
        prefix, _, suffix = url.partition(_PLACEHOLDER)
        template = _templates.setdefault(key, (prefix, suffix))
    return template[0] + token + template[1]


@dataclass(slots=True)
class Links:
    open: str
    click: str
    mute: str


def links_for(item: object) -> Links:
    """The open / click / mute links of one delivery (``Item``), signed with its token."""
    base_url = item.message.base_url  # type: ignore[attr-defined]
    token = delivery_token(item.delivery_id)  # type: ignore[attr-defined]
    return Links(
        open=token_url(base_url, "notifications.open_message", token),
        click=token_url(base_url, "notifications.click", token),
        mute=token_url(base_url, "notifications.mute_from_message", token),
    )


def unsubscribe_url(base_url: str, user_id: int, channel: str) -> str:
    return token_url(base_url, "notifications.unsubscribe", unsubscribe_token(user_id, channel))


@contextmanager
def language(code: str | None) -> Iterator[None]:
    """``force_locale`` that also works in a worker (flask_babel ignores it while ``g`` is empty)."""
    if not g:
        g._delivery_worker = True
    with force_locale(code or current_app.config.get("BABEL_DEFAULT_LOCALE", "fr")):
        yield

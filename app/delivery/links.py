"""Where a message leads, and the absolute URLs it carries (open, click, mute, unsubscribe),
built outside any request.

A worker has no request, hence no host: a territory's URLs use its first host name, the
configured scheme (``PREFERRED_URL_SCHEME``; https in production) and ``PUBLIC_PORT`` when set.
Each endpoint's URL is built once per territory with a placeholder token, then only the token
changes: a campaign to 100,000 people does not build 400,000 URLs through the URL map.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from flask import current_app, g, url_for
from flask_babel import force_locale
from sqlalchemy import select

from app.actors.models import Actor
from app.campaigns.models import Campaign
from app.delivery.tokens import delivery_token, unsubscribe_token
from app.extensions import db
from app.publications.models import Publication
from app.territories.models import TerritoryHost
from app.territories.scoping import belongs, same_territory

_PLACEHOLDER = "TOKENPLACEHOLDER"
_templates: dict[tuple[int, str, str], tuple[str, str]] = {}


def setting(name: str, default: Any) -> Any:
    """A delivery setting (DELIVERY_BATCH_SIZE...) of the running app, or its default."""
    return current_app.config.get(name, default)


def language_of(code: str | None, default: str) -> str:
    """The language to write to a person in: theirs, else the territory's, else French."""
    languages = current_app.config.get("LANGUAGES", ("fr", "nl", "en"))
    return code if code in languages else (default if default in languages else "fr")


Target = tuple[str, dict[str, Any]]
# Where the personal messages of a kind lead (Campaign.schedule_kind in PERSONAL_KINDS): a domain
# above the engine registers its resolver when it loads (app.reports.notify: the report's page).
_personal_targets: dict[str, Callable[[Campaign], Target | None]] = {}


def register_message_target(schedule_kind: str, resolver: Callable[[Campaign], Target | None]) -> None:
    _personal_targets[schedule_kind] = resolver


def message_target(campaign: Campaign) -> Target:
    """Where a campaign's message leads (endpoint and values), always a page of this app in the
    campaign's territory: for a personal message, where its kind's resolver says; the linked
    publication if it is the actor's and published, else the actor's page, else the feed."""
    resolver = _personal_targets.get(campaign.schedule_kind)
    target = resolver(campaign) if resolver is not None else None
    if target is not None:
        return target
    publication = db.session.get(Publication, campaign.publication_id) if campaign.publication_id else None
    if (
        publication is not None
        and publication.actor_id == campaign.actor_id
        and same_territory(publication, campaign)
        and publication.status == "published"
    ):
        return "publications.show", {"publication_id": publication.id}
    actor = db.session.get(Actor, campaign.actor_id)
    if actor is not None and same_territory(actor, campaign):
        return "actors.page", {"slug": actor.slug}
    return "feed.for_you", {}


def message_url(campaign: Campaign, base_url: str) -> str:
    """``message_target`` as an absolute URL, for a message sent outside any request."""
    endpoint, values = message_target(campaign)
    return absolute_url(base_url, endpoint, **values)


def message_path(campaign: Campaign) -> str:
    """``message_target`` as a path of the current request's site."""
    endpoint, values = message_target(campaign)
    return url_for(endpoint, **values)


def territory_base_url(territory_id: int) -> str:
    host = db.session.scalar(
        select(TerritoryHost.hostname)
        .where(belongs(TerritoryHost, territory_id))
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


def url_template(base_url: str, endpoint: str) -> tuple[str, str]:
    """(prefix, suffix): the endpoint's absolute URL is prefix + token + suffix."""
    key = (id(current_app.url_map), base_url, endpoint)
    template = _templates.get(key)
    if template is None:
        url = absolute_url(base_url, endpoint, token=_PLACEHOLDER)
        prefix, _, suffix = url.partition(_PLACEHOLDER)
        template = _templates.setdefault(key, (prefix, suffix))
    return template


def token_url(base_url: str, endpoint: str, token: str) -> str:
    prefix, suffix = url_template(base_url, endpoint)
    return prefix + token + suffix


@dataclass(slots=True)
class Links:
    open: str
    click: str
    mute: str


# The endpoints of a delivery's links, in the order of ``Links``' fields.
LINK_ENDPOINTS = ("delivery.open_message", "delivery.click", "delivery.mute_from_message")


def links_for(item: object) -> Links:
    """The open / click / mute links of one delivery (``Item``), signed with its token."""
    base_url = item.message.base_url  # type: ignore[attr-defined]
    token = delivery_token(item.delivery_id)  # type: ignore[attr-defined]
    return Links(*(token_url(base_url, endpoint, token) for endpoint in LINK_ENDPOINTS))


def unsubscribe_url(base_url: str, user_id: int, channel: str) -> str:
    return token_url(base_url, "delivery.unsubscribe", unsubscribe_token(user_id, channel))


@contextmanager
def language(code: str | None) -> Iterator[None]:
    """``force_locale`` that also works in a worker (flask_babel ignores it while ``g`` is empty)."""
    if not g:
        g._delivery_worker = True
    with force_locale(code or current_app.config.get("BABEL_DEFAULT_LOCALE", "fr")):
        yield

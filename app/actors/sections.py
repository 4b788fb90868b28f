"""Parts of an actor's pages that domains above provide: the public page shows the actor's recent
publications (app.publications); the dashboard its publications and what its campaigns
delivered (app.publications, app.campaigns). A domain registers a part when it is imported; the
page merges what the parts return into its template's context, so actors imports none of them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from app.actors.models import Actor

Part = Callable[[Actor], dict[str, Any]]
_page_parts: list[Part] = []
_dashboard_parts: list[Part] = []


def page_part(part: Part) -> Part:
    """Register what a part adds to the context of an actor's public page."""
    _page_parts.append(part)
    return part


def dashboard_part(part: Part) -> Part:
    """Register what a part adds to the context of an actor's dashboard."""
    _dashboard_parts.append(part)
    return part


def page_context(actor: Actor) -> dict[str, Any]:
    return {key: value for part in _page_parts for key, value in part(actor).items()}


def dashboard_context(actor: Actor) -> dict[str, Any]:
    return {key: value for part in _dashboard_parts for key, value in part(actor).items()}

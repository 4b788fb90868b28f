"""Helpers for the self-assessment's tests: shops of a town and their answers."""

from __future__ import annotations

from typing import Any

from app.audit import services_shops
from tests.factories import make_actor

ANSWERS: dict[str, Any] = {
    "listed_online": ["own_site", "social"], "hours_up_to_date": "yes", "click_and_collect": "no",
    "delivery": "planned", "payment": ["card", "contactless"], "loyalty": "card", "comment": "",
    "town_may_see": False,
}


def answered_shops(territory, count: int, consenting: int = 0, prefix: str = "Shop", **overrides):  # type: ignore[no-untyped-def]
    """``count`` shops that answered, the first ``consenting`` of them allowing the town to see."""
    shops = []
    for i in range(count):
        actor = make_actor(territory, f"{prefix} {i:02d}")
        services_shops.save_answer(actor, **{**ANSWERS, **overrides, "town_may_see": i < consenting})
        shops.append(actor)
    return shops

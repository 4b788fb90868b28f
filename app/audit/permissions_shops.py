"""Who may read the commerce audit's pages about shops: the territory's administrators (the lead
wires the audit's invited people — a commerce manager, a merchants' association — in here)."""

from __future__ import annotations

from typing import Any

from app.territories.models import Territory


def may_view_audit(user: Any, territory: Territory) -> bool:
    return bool(
        getattr(user, "is_authenticated", False)
        and getattr(user, "is_admin", False)
        and getattr(user, "territory_id", None) == territory.id
    )

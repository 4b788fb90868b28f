"""Who may edit a town's commerce audit (its data inventory, for now): the town's admins. The
people a town invites to its audit (its commerce manager, a merchants' association) are added
here when the invitations exist: this is the one function the audit's pages ask."""

from __future__ import annotations

from typing import Any

from app.territories.models import Territory


def may_edit_audit(user: Any, territory: Territory) -> bool:
    return bool(
        getattr(user, "is_authenticated", False)
        and getattr(user, "is_admin", False)
        and getattr(user, "territory_id", None) == territory.id
    )

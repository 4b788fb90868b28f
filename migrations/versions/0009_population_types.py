"""the resort's population types: permanent resident, local seasonal worker, seasonal worker from
elsewhere, second-home owner, tourist, day visitor. Existing values are mapped: "seasonal_worker"
becomes "seasonal_elsewhere" (most of a resort's seasonal staff come from elsewhere; a person can
say otherwise on their profile) and "visitor" becomes "day_visitor"; in people's profiles, in the
welcome offers' population lists and in campaigns' saved criteria.

Revision ID: 0009_population_types
Revises: 0008_legal
Create Date: 2026-12-05 11:55:00
"""
import json

import sqlalchemy as sa
from alembic import op

revision = '0009_population_types'
down_revision = '0008_legal'
branch_labels = None
depends_on = None

UP = {"seasonal_worker": "seasonal_elsewhere", "visitor": "day_visitor"}
# Going back, the two kinds of seasonal worker are one again, as is every visitor.
DOWN = {"seasonal_elsewhere": "seasonal_worker", "seasonal_local": "seasonal_worker", "day_visitor": "visitor"}


# The forms' order (app.territories.models.POPULATION_TYPES, and the earlier one going back), in
# which a welcome offer's list is kept.
ORDER = ("resident", "seasonal_local", "seasonal_elsewhere", "seasonal_worker", "second_home", "tourist",
         "day_visitor", "visitor")


def _map_csv(value: str, mapping: dict[str, str]) -> str:
    seen: list[str] = []
    for code in (value or "").split(","):
        code = mapping.get(code, code)
        if code and code not in seen:
            seen.append(code)
    return ",".join(sorted(seen, key=lambda code: ORDER.index(code) if code in ORDER else len(ORDER)))


def _map_criteria(text: str, mapping: dict[str, str]) -> str:
    try:
        criteria = json.loads(text or "{}")
    except ValueError:
        return text
    changed = False
    for rule in criteria.get("rules", []) if isinstance(criteria, dict) else []:
        if isinstance(rule, dict) and rule.get("kind") == "population" and isinstance(rule.get("types"), list):
            mapped = []
            for code in rule["types"]:
                code = mapping.get(code, code)
                if code not in mapped:
                    mapped.append(code)
            changed = changed or mapped != rule["types"]
            rule["types"] = mapped
    return json.dumps(criteria, sort_keys=True) if changed else text


def _migrate(mapping: dict[str, str]) -> None:
    connection = op.get_bind()
    for old, new in mapping.items():
        connection.execute(
            sa.text("UPDATE user_account SET population_type = :new WHERE population_type = :old"),
            {"old": old, "new": new},
        )
    _rewrite(connection, "publication", "welcome_population_types", "<> ''",
             lambda value: _map_csv(value, mapping))
    _rewrite(connection, "campaign", "criteria_json", "LIKE '%population%'",
             lambda value: _map_criteria(value, mapping))


def _rewrite(connection, table: str, column: str, condition: str, change) -> None:  # type: ignore[no-untyped-def]
    """Each row's ``column`` (those matching ``condition``) through ``change``, written back if it differs."""
    rows = connection.execute(sa.text(f"SELECT id, {column} FROM {table} WHERE {column} {condition}")).all()
    for row_id, value in rows:
        mapped = change(value)
        if mapped != value:
            connection.execute(sa.text(f"UPDATE {table} SET {column} = :v WHERE id = :id"), {"v": mapped, "id": row_id})


def upgrade() -> None:
    _migrate(UP)


def downgrade() -> None:
    _migrate(DOWN)

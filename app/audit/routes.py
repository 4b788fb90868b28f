"""The commerce audit's pages, one module per part: the rounds, their scores and the action plan
(routes_rounds), the town's data inventory (routes_inventory). Importing them here puts their
routes on ``bp``."""

from __future__ import annotations

from app.audit import (
    routes_inventory,  # noqa: F401
    routes_rounds,  # noqa: F401
    routes_shops,  # noqa: F401  (the merchants' self-assessment)
)

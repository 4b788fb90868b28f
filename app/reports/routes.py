"""Street reports' pages, one module per side: the reporter's (routes_reporting), the town's
agents' (routes_agents), the report form's address suggestions (routes_address), the public's map,
list, feeds and statistics (routes_public), the Open311 GeoReport v2 API (routes_open311) and what
a phone needs to send the reports it kept offline (routes_outbox). Importing them here puts their
routes on ``bp``."""

from __future__ import annotations

from app.reports import (  # noqa: F401
    routes_address,
    routes_agents,
    routes_open311,
    routes_outbox,
    routes_public,
    routes_reporting,
)

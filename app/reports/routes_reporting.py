"""Street reports: the reporting pages (filled by its own piece of work)."""

from __future__ import annotations

from app.reports import bp  # noqa: F401

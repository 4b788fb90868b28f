"""The privacy centre's background tasks (data exports)."""

from __future__ import annotations

from app.queue import app_context, huey


@huey.task()
def build_export(export_id: int) -> bool:
    """Build one person's data archive (app.privacy.services.build_export)."""
    from app.privacy import services

    with app_context():
        return services.build_export(export_id)

"""A person reaches their own data archive only, while it can be downloaded."""

from __future__ import annotations

from flask import abort
from flask_login import current_user

from app.models_common import utcnow
from app.privacy.exports import export_of
from app.privacy.models import DataExport


def own_downloadable_export_or_404(export_id: int) -> DataExport:
    export = export_of(current_user, export_id)
    if export is None or not export.is_downloadable(utcnow()):
        abort(404)
    return export

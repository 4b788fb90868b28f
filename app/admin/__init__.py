from flask import Blueprint

bp = Blueprint("admin", __name__)

from app.admin import routes  # noqa: E402,F401
from app.admin.permissions import require_territory_admin  # noqa: E402

bp.before_request(require_territory_admin)

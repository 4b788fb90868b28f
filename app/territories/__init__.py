from flask import Blueprint

bp = Blueprint("territories", __name__)

from app.territories import routes  # noqa: E402,F401

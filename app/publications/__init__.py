from flask import Blueprint

bp = Blueprint("publications", __name__)

from app.publications import routes  # noqa: E402,F401

from flask import Blueprint

bp = Blueprint("kiosks", __name__)
from app.kiosks import routes  # noqa: E402,F401

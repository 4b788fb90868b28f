"""Privacy centre: each citizen's consents, what is held, data export, account deletion and the
retention rules."""

from flask import Blueprint

bp = Blueprint("privacy", __name__)

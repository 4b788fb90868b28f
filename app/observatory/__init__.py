from flask import Blueprint

bp = Blueprint("observatory", __name__)

from flask import Blueprint

bp = Blueprint("actors", __name__)

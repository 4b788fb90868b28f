from flask import Blueprint

bp = Blueprint("embed", __name__)

from flask import Blueprint

bp = Blueprint("publications", __name__)

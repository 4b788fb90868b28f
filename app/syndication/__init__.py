from flask import Blueprint

bp = Blueprint("syndication", __name__)

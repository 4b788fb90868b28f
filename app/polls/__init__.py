from flask import Blueprint

bp = Blueprint("polls", __name__)

from flask import Blueprint

bp = Blueprint("geo", __name__)

"""The feedback blueprint, and the modules of its routes."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("feedback", __name__)

# Each module adds its routes to ``bp`` when imported; the app factory imports them all.
ROUTE_MODULES = ("openday.feedback.views",)

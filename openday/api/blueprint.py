"""The api blueprint, and the modules of its routes."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1")

# Each module adds its routes to ``bp`` when imported; the app factory imports them all.
ROUTE_MODULES = ("openday.api.cities",
                 "openday.api.stats",
                 "openday.api.slots",
                 "openday.api.bookings",
                 "openday.api.feedback",
                 "openday.api.openapi")


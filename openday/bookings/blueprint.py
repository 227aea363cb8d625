"""The bookings blueprint, and the modules of its routes."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("bookings", __name__)

# Each module adds its routes to ``bp`` when imported; the app factory imports them all.
ROUTE_MODULES = ("openday.bookings.views",
                 "openday.bookings.staff_views")


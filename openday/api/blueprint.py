"""The api blueprint, and the modules of its routes."""
from __future__ import annotations

import importlib

from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1")

# Each module adds its routes to ``bp`` when imported; blueprint() imports them all.
ROUTE_MODULES = ("openday.api.cities",
                 "openday.api.stats",
                 "openday.api.slots",
                 "openday.api.bookings",
                 "openday.api.openapi")


def blueprint() -> Blueprint:
    """``bp`` with every route of its modules, ready to register."""
    for name in ROUTE_MODULES:
        importlib.import_module(name)
    return bp

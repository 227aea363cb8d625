"""The audit blueprint, and the modules of its routes."""
from __future__ import annotations

import importlib

from flask import Blueprint

bp = Blueprint("audit", __name__)

# Each module adds its routes to ``bp`` when imported; blueprint() imports them all.
ROUTE_MODULES = ("openday.audit.views",)


def blueprint() -> Blueprint:
    """``bp`` with every route of its modules, ready to register."""
    for name in ROUTE_MODULES:
        importlib.import_module(name)
    return bp

"""The geo blueprint, its template filter, and the modules of its routes."""
from __future__ import annotations

from flask import Blueprint

from openday.geo import names, service

bp = Blueprint("geo", __name__)

# Each module adds its routes to ``bp`` when imported; the app factory imports them all.
ROUTE_MODULES = ("openday.geo.views",)

# ``{{ region|place_name }}``, ``{{ "430104"|place_name(full=True) }}``: a place in the reader's
# language (names.place_name).
bp.add_app_template_filter(names.place_name, "place_name")


@bp.record_once
def load_gazetteer(_state) -> None:
    """Read the gazetteer and build its indexes while the app starts, not in a reader's first
    request (a quarter of a second)."""
    service.load()

"""Geo: ``/geo/children/<adcode>``, what a form's script asks to narrow its next select."""
from __future__ import annotations

from flask import abort, jsonify

from openday.geo import service
from openday.geo.blueprint import bp


@bp.get("/geo/children/", defaults={"adcode": None})
@bp.get("/geo/children/<adcode>")
def children(adcode: str | None):
    """``[{"adcode", "name"}]``: the provinces without an adcode, else the region's children
    (empty for a district). 404 for an adcode the gazetteer does not know."""
    if adcode is None:
        regions = service.provinces()
    elif service.get_region(adcode) is None:
        abort(404)
    else:
        regions = service.children(adcode)
    response = jsonify([{"adcode": r.adcode, "name": r.name} for r in regions])
    response.cache_control.public = True  # reference data: changes only with a release
    response.cache_control.max_age = 86400
    return response

"""Geo: ``/geo/children/<adcode>``, what a form's script asks to narrow its next select."""
from __future__ import annotations

from flask import abort, jsonify

from openday.geo import names, service
from openday.geo.blueprint import bp


@bp.get("/geo/children/", defaults={"adcode": None})
@bp.get("/geo/children/<adcode>")
def children(adcode: str | None):
    """``[{"adcode", "name"}]``: the provinces without an adcode, else the region's children
    (empty for a district), named in the reader's language. 404 for an adcode the gazetteer
    does not know."""
    if adcode is None:
        regions = service.provinces()
    elif service.get_region(adcode) is None:
        abort(404)
    else:
        regions = service.children(adcode)
    locale = names.current_locale()
    response = jsonify([{"adcode": r.adcode, "name": names.display_name(r, locale)}
                        for r in regions])
    response.cache_control.public = True  # reference data: changes only with a release
    response.cache_control.max_age = 86400
    response.vary.update(("Accept-Language", "Cookie"))  # the names are in the reader's language
    return response

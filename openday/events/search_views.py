"""Public search page ``/search`` (SPEC §4, §5): the same search service as ``GET /api/v1/slots``."""
from __future__ import annotations

from flask import current_app, make_response, render_template, request, url_for
from markupsafe import Markup

from openday.events import search as search_service
from openday.events.blueprint import bp
from openday.geo.names import place_name
from openday.web import remembered_macro

PAGE_ARGS = ("city", "district", "kind", "date_from", "date_to", "q", "available", "lat", "lon",
             "radius_km", "per_page")
FORM_ARGS = ("city", "district", "kind", "date_from", "date_to", "q", "available", "lat", "lon",
             "radius_km")  # what the form's boxes (and hidden inputs) show


def _url_with(**changes) -> str:
    """This search's URL with some parameters changed (None drops one)."""
    args = {k: v for k, v in request.args.items() if k in PAGE_ARGS and v}
    for key, value in changes.items():
        if value is None:
            args.pop(key, None)
        else:
            args[key] = value
    return url_for("events.search", **args)


@bp.app_template_global()
def slot_cards(hits: list[search_service.Hit], show_city: bool = False) -> Markup:
    """The result cards of a list of search Hits (templates/events/_slot_card.html); with
    ``show_city`` (a list of more than one city: the whole country, near a point) each names its
    city. They are a pure function of the listings (seats included) and distances, so they are
    remembered (``web.remembered_macro``): a popular city's list is the same cards for many
    readers, and a change of seats is a new listing."""
    return remembered_macro("events/_slot_card.html", "slot_cards",
                            tuple((hit.slot, hit.distance_km) for hit in hits), show_city)


@bp.app_template_global()
def search_form(args: dict) -> Markup:
    """The search form (templates/events/_search_form.html) with its boxes filled from ``args``,
    remembered per set of values like the cards."""
    filled = tuple(sorted((k, v) for k, v in args.items() if k in FORM_ARGS))
    return remembered_macro("events/_search_form.html", "search_form", filled)


@bp.route("/search")
def search():
    error = None
    result = None
    try:
        query = search_service.parse_args(request.args)
        result = search_service.search(query)
    except search_service.SearchError as exc:
        error = exc
        query = None
    suggestions = []
    if error is not None and error.suggestions:
        suggestions = [(place_name(region, full=True), _url_with(city=region.adcode, page=None))
                       for region in error.suggestions]
    status = 200 if error is None or error.code in ("unknown_city", "ambiguous_city") else 400
    response = make_response(render_template(
        "events/search.html", args=request.args.to_dict(), result=result, error=error,
        suggestions=suggestions, url_with=_url_with, query=query),
        status)
    if result is not None and result.city is not None:
        response.set_cookie(search_service.CITY_COOKIE, result.city.adcode, max_age=90 * 24 * 3600,
                            samesite="Lax", httponly=True,
                            secure=current_app.config["SESSION_COOKIE_SECURE"])
    return response

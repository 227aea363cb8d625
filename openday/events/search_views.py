"""Public search page ``/search`` (SPEC §4, §5): the same search service as ``GET /api/v1/slots``."""
from __future__ import annotations

from functools import lru_cache

from flask import (current_app, get_template_attribute, make_response, render_template, request,
                   url_for)
from markupsafe import Markup

from openday.events import search as search_service
from openday.events.views import bp
from openday.geo import service as geo
from openday.web import locale_code

PAGE_ARGS = ("city", "district", "kind", "date_from", "date_to", "q", "available", "lat", "lon",
             "radius_km", "per_page")
FORM_ARGS = PAGE_ARGS[:-1]  # what the form's boxes show


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
def slot_cards(hits: list[search_service.Hit]) -> Markup:
    """The result cards (templates/events/_slot_card.html) of a list of search Hits.

    A card is a pure function of the listing's values (seats included), its distance, the
    reader's language and where the app is mounted, so it is rendered once per such key and
    remembered: a popular city's list is the same twenty cards for many readers, and rendering
    them (gettext, url_for, dates) was most of the page's cost. A change of seats is a new key.
    """
    if current_app.debug:  # templates may be edited under the developer's hands
        return Markup("").join(_render_card(hit.slot, hit.distance_km) for hit in hits)
    locale, root = locale_code(), request.script_root
    return Markup("").join(_remembered_card(hit.slot, hit.distance_km, locale, root) for hit in hits)


@bp.app_template_global()
def search_form(args: dict) -> Markup:
    """The search form (templates/events/_search_form.html) filled from ``args``: a pure function
    of them, the reader's language and where the app is mounted, so remembered like the cards."""
    if current_app.debug:
        return _render_search_form(args)
    filled = tuple(sorted((k, v) for k, v in args.items() if k in FORM_ARGS))
    return _remembered_search_form(filled, locale_code(), request.script_root)


def _render_search_form(args: dict) -> Markup:
    return get_template_attribute("events/_search_form.html", "search_form")(args)


@lru_cache(maxsize=2048)
def _remembered_search_form(filled: tuple, _locale: str, _root: str) -> Markup:
    return _render_search_form(dict(filled))


def _render_card(listing: search_service.Listing, distance_km: float | None) -> Markup:
    return get_template_attribute("events/_slot_card.html", "slot_card")(
        search_service.Hit(listing, distance_km))


@lru_cache(maxsize=4096)
def _remembered_card(listing: search_service.Listing, distance_km: float | None, _locale: str,
                     _root: str) -> Markup:
    return _render_card(listing, distance_km)


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
        suggestions = [(geo.full_name(region), _url_with(city=region.adcode, page=None))
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

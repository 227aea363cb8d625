"""GET /api/v1/slots, GET /api/v1/slots/<id>, POST /api/v1/slots/<id>/bookings (SPEC §6)."""
from __future__ import annotations

from flask import current_app, request
from flask_babel import gettext as _

from openday.api import api_error
from openday.api.blueprint import bp
from openday.bookings import service
from openday.bookings.ratelimit import booking_limits
from openday.events import search as search_service

MAX_BODY = 8 * 1024  # a booking is four short fields; anything larger is not one


def error_fields(fields: dict) -> dict:
    """Every field's problems as a list of strings, as the cities endpoint answers them."""
    return {name: value if isinstance(value, list) else [str(value)] for name, value in fields.items()}


def booking_error(exc: service.BookingError):
    response = api_error(exc.code, exc.message, error_fields(exc.fields), exc.status)
    if isinstance(exc, service.Busy):
        response.headers["Retry-After"] = str(exc.retry_after)
    return response


def search_error(exc: search_service.SearchError):
    status = 404 if exc.code == "unknown_city" else 400
    return api_error(exc.code, exc.message, error_fields(exc.fields), status)


def booking_json(booking) -> dict:
    return {"code": booking.code, "status": booking.status, "party_size": booking.party_size,
            "waitlist_position": service.waitlist_position(booking)}


@bp.get("/slots")
def slots():
    """Search: the same service as /search. 400 for bad parameters, 404 ``unknown_city`` (the
    closest names in ``fields.city``), 400 ``ambiguous_city`` (the candidates in ``fields.city``)."""
    try:
        result = search_service.search(search_service.parse_args(request.args))
    except search_service.SearchError as exc:
        return search_error(exc)
    return {"items": [search_service.slot_item(hit.slot, hit.distance_km) for hit in result.hits],
            "page": result.page, "per_page": result.per_page, "total": result.total}


@bp.get("/slots/<int:slot_id>")
def slot(slot_id: int):
    found = search_service.public_slot(slot_id)
    if found is None:
        return api_error("not_found", _("该场次不存在。"), status=404)
    item = search_service.slot_item(found)
    item["description"] = search_service.event_description(found.event_id)
    return item


@bp.post("/slots/<int:slot_id>/bookings")
@booking_limits
def create_booking(slot_id: int):
    """201 with the new booking and its token; 409 ``already_booked`` (nothing about that
    booking) when the phone already holds one; with an ``Idempotency-Key`` seen in the last 24
    hours, the 201 that key's request got."""
    if request.content_length is not None and request.content_length > MAX_BODY:
        return api_error("too_large", _("请求内容过大。"), status=413)
    body = request.get_json(force=True, silent=True) if request.content_length else None
    if not isinstance(body, dict):
        message = _("请求体须为 JSON 对象。")
        return api_error("bad_json", message, {"body": [message]}, 400)
    booking_request = service.BookingRequest(
        name=body.get("name"), phone=body.get("phone"), party_size=body.get("party_size"),
        consent=body.get("consent"))
    try:
        booking = service.book(slot_id, booking_request,
                               idempotency_key=request.headers.get("Idempotency-Key"))
    except service.BookingError as exc:
        return booking_error(exc)
    current_app.logger.info("booking on slot %s (%s)", slot_id, booking.receipt["status"])
    return booking.receipt, 201

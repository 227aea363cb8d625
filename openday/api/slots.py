"""GET /api/v1/slots, GET /api/v1/slots/<id>, POST /api/v1/slots/<id>/bookings (SPEC §6).

A refusal is a ``core.errors.RuleError`` from the services, answered by ``core.errors.api_error``
as ``{"error": {"code", "message", "fields"}}`` with the error's own status."""
from __future__ import annotations

from flask import current_app, request
from flask_babel import gettext as _

from openday.api.blueprint import bp
from openday.bookings import ballot, service
from openday.bookings.ratelimit import booking_limits
from openday.core.errors import json_error
from openday.events import search as search_service
from openday.events.models import SlotMode

MAX_BODY = 8 * 1024  # a booking is four short fields; anything larger is not one


def booking_json(booking) -> dict:
    return {"code": booking.code, "status": booking.status, "party_size": booking.party_size,
            "waitlist_position": service.waitlist_position(booking)}


@bp.get("/slots")
def slots():
    """Search: the same service as /search. 400 for bad parameters, 404 ``unknown_city`` (the
    closest names in ``fields.city``), 400 ``ambiguous_city`` (the candidates in ``fields.city``)."""
    result = search_service.search(search_service.parse_args(request.args))
    return {"items": [search_service.slot_item(hit.slot, hit.distance_km) for hit in result.hits],
            "page": result.page, "per_page": result.per_page, "total": result.total}


@bp.get("/slots/<int:slot_id>")
def slot(slot_id: int):
    """A slot the public may see, listed or not: a cancelled one answers with ``status``
    cancelled; a draft's, a non-approved lab's or a missing one is 404."""
    found = search_service.public_slot(slot_id)
    if found is None:
        return json_error("not_found", _("该场次不存在。"), 404)
    item = search_service.slot_item(found)
    item["description"] = search_service.event_description(found.event_id)
    if found.mode == SlotMode.ballot:  # SPEC §6, §12: what anyone needs to re-compute the draw
        item["draw_at"] = search_service.iso(found.draw_at)
        draw = ballot.published_draw(slot_id)
        item["draw"] = draw.as_json() if draw is not None else None
        item["draw_rule"] = ballot.RULE
    return item


@bp.post("/slots/<int:slot_id>/bookings")
@booking_limits
def create_booking(slot_id: int):
    """201 with the new booking and its token; 409 ``already_booked`` (nothing about that
    booking) when the phone already holds one; with an ``Idempotency-Key`` seen in the last 24
    hours, the 201 that key's request got."""
    if request.content_length is not None and request.content_length > MAX_BODY:
        return json_error("too_large", _("请求内容过大。"), 413)
    body = request.get_json(force=True, silent=True) if request.content_length else None
    if not isinstance(body, dict):
        message = _("请求体须为 JSON 对象。")
        return json_error("bad_json", message, 400, {"body": message})
    booking_request = service.BookingRequest(
        name=body.get("name"), phone=body.get("phone"), party_size=body.get("party_size"),
        consent=body.get("consent"), remarks=body.get("remarks"))
    booking = service.book(slot_id, booking_request,
                           idempotency_key=request.headers.get("Idempotency-Key"))
    current_app.logger.info("booking on slot %s (%s)", slot_id, booking.receipt["status"])
    return booking.receipt, 201

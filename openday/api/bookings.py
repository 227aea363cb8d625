"""GET / DELETE /api/v1/bookings/<manage_token> (SPEC §6): the token is the only key."""
from __future__ import annotations

from flask_babel import gettext as _

from openday.api.blueprint import bp
from openday.api.slots import booking_json
from openday.bookings import service
from openday.bookings.models import CancelledBy
from openday.bookings.ratelimit import token_guess_limit
from openday.core.errors import json_error
from openday.core.phone import mask_phone
from openday.events.search import iso


def booking_detail(booking) -> dict:
    body = booking_json(booking)
    body.update({"slot_id": booking.slot_id, "checked_in_at": iso(booking.checked_in_at),
                 "phone": mask_phone(booking.phone), "cancelled_by": booking.cancelled_by})
    return body


@bp.get("/bookings/<token>")
@token_guess_limit
def booking(token: str):
    found = service.find_by_token(token)
    if found is None:
        return json_error("not_found", _("预约不存在。"), 404)
    return booking_detail(found)


@bp.delete("/bookings/<token>")
@token_guess_limit
def cancel_booking(token: str):
    """Cancels (promoting the waitlist); cancelling again answers the cancelled booking."""
    found = service.find_by_token(token)
    if found is None:
        return json_error("not_found", _("预约不存在。"), 404)
    service.cancel(found, by=CancelledBy.citizen)
    return booking_detail(service.find_by_token(token))

"""POST /api/v1/bookings/<manage_token>/feedback (SPEC §6, §13): rate a checked-in visit once."""
from __future__ import annotations

from flask import request
from flask_babel import gettext as _

from openday.api.blueprint import bp
from openday.bookings import service
from openday.bookings.ratelimit import token_guess_limit
from openday.core.errors import json_error
from openday.events.search import iso
from openday.feedback import service as feedback

MAX_BODY = 8 * 1024  # a rating and 500 characters


@bp.post("/bookings/<token>/feedback")
@token_guess_limit
def leave_feedback(token: str):
    """201 with the rating; 409 ``already_rated`` the second time; 422 for a bad rating or
    comment; 403 ``not_checked_in``; 409 ``feedback_not_open`` / ``feedback_closed`` outside
    the window."""
    found = service.find_by_token(token)
    if found is None:
        return json_error("not_found", _("预约不存在。"), 404)
    if request.content_length is not None and request.content_length > MAX_BODY:
        return json_error("too_large", _("请求内容过大。"), 413)
    body = request.get_json(force=True, silent=True) if request.content_length else None
    if not isinstance(body, dict):
        message = _("请求体须为 JSON 对象。")
        return json_error("bad_json", message, 400, {"body": message})
    given = feedback.leave_feedback(found, body.get("rating"), body.get("comment"))
    return {"rating": given.rating, "comment": given.comment,
            "created_at": iso(given.created_at)}, 201

"""Rate limits on taking a booking (SPEC §8, §9), shared by the form and the API.

Per IP they stay generous: many citizens share one carrier-grade NAT address. The tight limit is
per phone number (normalised, so "+86 138…" and "138…" count together), which is what a script
hammering one slot would have to vary. Keys never log or store the number itself: it is hashed.
"""
from __future__ import annotations

import hashlib
from collections.abc import Callable

from flask import request
from flask_limiter.util import get_remote_address

from openday.bookings.service import normalise_phone
from openday.extensions import limiter

PER_IP = "300 per minute"
PER_PHONE = "10 per minute;30 per hour"
MAX_KEY_BODY = 8 * 1024


def phone_key() -> str:
    raw = None
    if request.content_length is not None and request.content_length > MAX_KEY_BODY:
        pass  # never parse a huge body just to find a key; the view refuses it anyway
    elif request.is_json or request.path.startswith("/api/"):
        body = request.get_json(force=True, silent=True)  # as the API view reads it
        raw = body.get("phone") if isinstance(body, dict) else None
    else:
        raw = request.form.get("phone")
    try:
        phone = normalise_phone(raw)
    except ValueError:
        return "phone:invalid:" + get_remote_address()  # junk counts against the sender's address
    return "phone:" + hashlib.sha256(phone.encode()).hexdigest()[:24]


def booking_limits(view: Callable) -> Callable:
    """Both limits, on POST only (the form page itself is free to load)."""
    view = limiter.limit(PER_PHONE, key_func=phone_key, methods=["POST"], scope="booking-phone")(view)
    return limiter.limit(PER_IP, methods=["POST"], scope="booking-ip")(view)

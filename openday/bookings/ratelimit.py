"""Rate limits on taking a booking (SPEC §8, §9), shared by the form and the API, and on guessing
manage tokens.

Per IP they stay generous: many citizens share one carrier-grade NAT address. The tight limit is
per phone number (normalised, so "+86 138…" and "138…" count together), which is what a script
hammering one slot would have to vary. Keys never log or store the number itself: it is hashed.

A manage token is 256 random bits, so guessing one is hopeless; the limit on misses stops an
address from trying at all. Only misses count (a citizen reloading the own page never does), on
the pages and the API together.
"""
from __future__ import annotations

import hashlib
from collections.abc import Callable

from flask import current_app, request
from flask_limiter.util import get_remote_address

from openday.core.phone import normalise_phone
from openday.extensions import limiter

PER_IP = "300 per minute"
PER_PHONE = "10 per minute;30 per hour"
MAX_KEY_BODY = 8 * 1024
TOKEN_MISSES = "20 per minute;100 per hour"


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


def _token_miss_limit() -> str:
    return current_app.config.get("OPENDAY_TOKEN_MISS_LIMIT", TOKEN_MISSES)


def _missed(response) -> bool:
    return response.status_code == 404


# Per address, every route whose key is a manage token; once over, those routes answer 429.
token_guess_limit = limiter.shared_limit(_token_miss_limit, scope="booking-token-miss",
                                         deduct_when=_missed)

"""Rate limits on booking (SPEC §8, §9): tight per phone, generous per address."""
from __future__ import annotations

import pytest

from openday.bookings import ratelimit


@pytest.fixture
def app_config():
    return {"RATELIMIT_ENABLED": True, "RATELIMIT_STORAGE_URI": "memory://"}


def body(phone: str) -> dict:
    return {"name": "孙八", "phone": phone, "party_size": 1, "consent": True}


def per_minute(limit: str) -> int:
    return int(limit.split(";")[0].split()[0])


def test_one_phone_is_limited_tightly_through_the_api(client, create_slot):
    slot = create_slot(capacity=100)
    url = f"/api/v1/slots/{slot.id}/bookings"
    allowed = per_minute(ratelimit.PER_PHONE)
    answers = [client.post(url, json=body("+86 13800138000" if i % 2 else "13800138000")).status_code
               for i in range(allowed + 1)]
    assert answers[:allowed] == [201] + [409] * (allowed - 1)  # already_booked, yet counted
    assert answers[-1] == 429
    limited = client.post(url, json=body("13800138000"))
    assert limited.get_json()["error"]["code"] == "rate_limited"
    # another phone from the same address is still welcome
    assert client.post(url, json=body("13900139000")).status_code == 201


def test_many_phones_share_one_address_generously(client, create_slot):
    slot = create_slot(capacity=100)
    url = f"/api/v1/slots/{slot.id}/bookings"
    statuses = {client.post(url, json=body(f"1370000{i:04d}")).status_code for i in range(40)}
    assert statuses == {201}
    assert per_minute(ratelimit.PER_IP) >= 100


def test_the_form_is_limited_per_phone_too(client, create_slot):
    slot = create_slot(capacity=100)
    url = f"/slots/{slot.id}/book"
    form = {"name": "孙八", "phone": "13800138000", "party_size": "1", "consent": "y"}
    allowed = per_minute(ratelimit.PER_PHONE)
    statuses = [client.submit(url, form).status_code for _ in range(allowed + 1)]
    assert statuses[:allowed] == [303] * allowed and statuses[-1] == 429
    assert client.get(url).status_code == 200  # reading the form is never limited


def test_guessing_manage_tokens_is_throttled_per_address(app, client, db, create_slot):
    from openday.bookings import service
    app.config["OPENDAY_TOKEN_MISS_LIMIT"] = "4 per minute"
    booking = service.book(create_slot().id, service.BookingRequest("孙八", "13800138000", 1, True))
    own = f"/bookings/{booking.manage_token}"
    # the citizen's own page, however often it is opened, never counts
    assert {client.get(own).status_code for _ in range(5)} == {200}
    guesses = ["/bookings/" + "a" * 43, "/bookings/" + "b" * 43 + ".ics",
               "/bookings/" + "e" * 43 + "/cancel", "/api/v1/bookings/" + "c" * 43]
    assert [client.get(url).status_code for url in guesses] == [404, 404, 404, 404]
    # misses on the pages and the API add up: the address is refused everywhere now
    refused = client.delete("/api/v1/bookings/" + "d" * 43)
    assert refused.status_code == 429 and refused.get_json()["error"]["code"] == "rate_limited"
    assert client.get(own).status_code == 429
    assert client.get(f"/api/v1/bookings/{booking.manage_token}").status_code == 429
    # another address is not held back by this one's guesses
    elsewhere = app.test_client()
    environ = {"REMOTE_ADDR": "203.0.113.9"}
    assert elsewhere.get(own, environ_base=environ).status_code == 200
    assert elsewhere.get(guesses[0], environ_base=environ).status_code == 404


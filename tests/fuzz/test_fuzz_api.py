"""Hostile input to every JSON API route: always a JSON error object with a 4xx (never a 5xx),
and a rejected booking stores nothing."""
from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fuzzing import FUZZ, assert_not_server_error, json_value, text

SLOT_ARGS = ["city", "kind", "date_from", "date_to", "q", "lat", "lon", "radius_km", "available",
             "page", "per_page", "district", "sort"]
number_like = st.one_of(st.integers(-10**12, 10**12).map(str), st.floats().map(str), text)


def assert_api_answer(response, what: str) -> None:
    assert_not_server_error(response, what)
    assert response.mimetype == "application/json", f"{what}: {response.mimetype}"
    body = response.get_json()
    if response.status_code >= 400:
        assert set(body["error"]) == {"code", "message", "fields"}, f"{what}: {body}"


@pytest.fixture
def slot(create_slot):
    return create_slot(capacity=6, max_party=4)


booking_body = st.one_of(
    json_value,
    st.fixed_dictionaries({}, optional={
        "name": st.one_of(text, json_value), "phone": st.one_of(text, json_value),
        "party_size": st.one_of(st.integers(-5, 10), number_like, json_value),
        "consent": st.one_of(st.booleans(), json_value), "extra": json_value}),
)


@FUZZ
@given(body=booking_body, as_json=st.booleans(), slot_id=st.one_of(st.just(None), st.integers(-3, 10**10)))
def test_post_booking(client, row_counts, slot, body, as_json, slot_id):
    target = slot.id if slot_id is None else slot_id
    before = row_counts()
    if as_json:
        response = client.post(f"/api/v1/slots/{target}/bookings", json=body)
    else:  # the same thing, not as JSON: a form post, or bytes that are not JSON
        response = client.post(f"/api/v1/slots/{target}/bookings", data=str(body).encode("utf-8", "replace"),
                               content_type="text/plain")
    what = f"POST /api/v1/slots/{target}/bookings {body!r:.300}"
    assert_api_answer(response, what)
    if response.status_code >= 400:
        assert row_counts() == before, f"{what} was refused but stored rows"
    else:
        assert response.status_code == 201  # a repeat of a phone is 409, never a booking
        assert set(response.get_json()) >= {"code", "status", "party_size", "waitlist_position", "manage_token"}


@FUZZ
@given(raw=st.binary(max_size=300))
def test_post_booking_with_arbitrary_bytes(client, row_counts, slot, raw):
    before = row_counts()
    response = client.post(f"/api/v1/slots/{slot.id}/bookings", data=raw, content_type="application/json")
    assert_api_answer(response, f"POST raw {raw!r:.200}")
    if response.status_code >= 400:
        assert row_counts() == before


@FUZZ
@given(query=st.dictionaries(st.sampled_from(SLOT_ARGS), st.one_of(text, number_like), max_size=6))
def test_get_slots(client, slot, query):
    response = client.get("/api/v1/slots", query_string=query)
    assert_api_answer(response, f"GET /api/v1/slots {query!r:.300}")


@FUZZ
@given(slot_id=st.one_of(st.integers(-10, 10**20).map(str), text.filter(lambda s: "/" not in s and "?" not in s and "#" not in s)))
def test_get_one_slot(client, slot, slot_id):
    response = client.get(f"/api/v1/slots/{slot_id}")
    assert_not_server_error(response, f"GET /api/v1/slots/{slot_id!r}")


@FUZZ
@given(token=text.filter(lambda s: s.strip() and "/" not in s and "?" not in s and "#" not in s),
       method=st.sampled_from(["GET", "DELETE"]))
def test_booking_by_token(client, row_counts, slot, token, method):
    before = row_counts()
    response = client.open(f"/api/v1/bookings/{token}", method=method)
    assert_not_server_error(response, f"{method} /api/v1/bookings/{token!r}")
    assert response.status_code in (400, 404, 405), response.status_code
    assert row_counts() == before


@FUZZ
@given(query=st.dictionaries(st.sampled_from(["q", "province", "limit"]), st.one_of(text, number_like), max_size=3))
def test_get_cities(client, query):
    assert_api_answer(client.get("/api/v1/cities", query_string=query), f"GET /api/v1/cities {query!r:.300}")


@FUZZ
@given(query=st.dictionaries(st.sampled_from(["campaign", "group_by", "province", "kind", "city"]),
                             st.one_of(text, number_like, st.sampled_from(["province", "city", "kind", "date", "2026"])),
                             max_size=4))
def test_get_stats(client, slot, query):
    assert_api_answer(client.get("/api/v1/stats", query_string=query), f"GET /api/v1/stats {query!r:.300}")

"""Hostile input to every HTML form: never a 5xx, and a rejected submission stores nothing.

Each test reads the form's fields from the page itself, then posts a Hypothesis-chosen mix of
omitted fields, real option values, hostile unicode (NUL, controls, RTL marks, emoji, huge
strings), repeated fields and an unexpected one, with the page's CSRF token (or, sometimes,
without it). A redirect means the form accepted the data; anything else must leave every table
exactly as it was.
"""
from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fuzzing import (CSRF_RE, FUZZ, as_form_data, assert_not_server_error, fuzzed_form,
                     post_form_fields, text)

ACCEPTED = (301, 302, 303)


@pytest.fixture
def fuzz_form(client, row_counts):
    """fuzz_form(data, page_url, ...): one hostile submission of the form on ``page_url``.

    The form's fields are read from the page once per test, so every example draws from the
    same strategy (Hypothesis needs that); ``once`` marks a form that an accepted example makes
    disappear (cancelling a slot): later examples then just stop there.
    """
    specs: dict[tuple, dict] = {}

    def submit(data, page_url: str, action_contains: str = "", post_url: str | None = None,
               fields: dict | None = None, once: bool = False):
        key = (page_url, action_contains, post_url)
        if key not in specs:
            page = client.get(page_url)
            assert page.status_code == 200, f"{page_url}: {page.status_code}"
            specs[key] = fields or post_form_fields(page.get_data(as_text=True), action_contains)
        values = as_form_data(data.draw(fuzzed_form(specs[key]), label=page_url))
        with_csrf = data.draw(st.integers(0, 9), label="csrf") > 0
        page = client.get(page_url)
        if once and page.status_code != 200:
            return None
        assert page.status_code == 200, f"{page_url}: {page.status_code}"
        token = CSRF_RE.search(page.get_data(as_text=True))
        if with_csrf and token:
            values["csrf_token"] = token.group(1)
        before = row_counts()
        response = client.post(post_url or page_url, data=values)
        assert_not_server_error(response, f"POST {post_url or page_url} {values!r:.500}")
        if response.status_code not in ACCEPTED:
            assert row_counts() == before, f"a rejected POST {post_url or page_url} stored rows"
        if "csrf_token" not in values:
            assert response.status_code == 400
        return response
    return submit


@FUZZ
@given(data=st.data())
def test_login_form(fuzz_form, create_user, data):
    fuzz_form(data, "/login")


@FUZZ
@given(data=st.data())
def test_lab_registration_form(fuzz_form, campaign, data):
    fuzz_form(data, "/labs/register")


@FUZZ
@given(data=st.data())
def test_booking_form(fuzz_form, create_slot, request, data):
    slot = request.node.__dict__.setdefault("slot", None) or create_slot(capacity=5)
    request.node.slot = slot
    fuzz_form(data, f"/slots/{slot.id}/book")


@pytest.fixture
def lab_user(create_lab, create_user, login):
    user = create_user(role="lab", lab=create_lab())
    login(user)
    return user


@pytest.fixture
def regulator(create_user, login):
    user = create_user(role="regulator")
    login(user)
    return user


@FUZZ
@given(data=st.data())
def test_lab_event_form(fuzz_form, campaign, lab_user, data):
    fuzz_form(data, "/lab/events/new")


@FUZZ
@given(data=st.data())
def test_lab_checkin_form(fuzz_form, create_slot, lab_user, data):
    # The confirm form only shows once a code is found: post its fields straight away.
    fuzz_form(data, "/lab/checkin", fields={"code": ["ABCDEFGH"], "confirm": ["确认签到"]})


@FUZZ
@given(query=st.dictionaries(st.sampled_from(["code", "slot"]), text, max_size=2))
def test_lab_checkin_lookup(client, lab_user, query):
    assert_not_server_error(client.get("/lab/checkin", query_string=query), f"GET /lab/checkin {query!r:.300}")


@FUZZ
@given(data=st.data())
def test_lab_walk_in_form(fuzz_form, create_slot, lab_user, data):
    fuzz_form(data, "/lab/checkin", post_url="/lab/checkin/walk-ins",
              fields={"slot_id": ["1", "2"], "number": ["3", "-1"], "add": ["记录"]})


@pytest.fixture
def own_slot(lab_user, create_event, create_slot):
    return create_slot(event=create_event(lab=lab_user.lab), capacity=10)


@FUZZ
@given(data=st.data())
def test_lab_event_edit_and_add_slots_forms(fuzz_form, own_slot, data):
    event_id = own_slot.event_id
    fuzz_form(data, f"/lab/events/{event_id}/edit", action_contains="/edit")
    fuzz_form(data, f"/lab/events/{event_id}/edit", action_contains="/slots")


@FUZZ
@given(data=st.data())
def test_lab_slot_edit_form(fuzz_form, own_slot, data):
    fuzz_form(data, f"/lab/slots/{own_slot.id}/edit")


@FUZZ
@given(data=st.data())
def test_lab_cancel_forms(fuzz_form, own_slot, data):
    fuzz_form(data, f"/lab/slots/{own_slot.id}/cancel", once=True)
    fuzz_form(data, f"/lab/events/{own_slot.event_id}/cancel", once=True)


@FUZZ
@given(data=st.data())
def test_regulator_notice_form(fuzz_form, regulator, data):
    fuzz_form(data, "/regulator/notices")


@FUZZ
@given(data=st.data())
def test_regulator_lab_review_form(fuzz_form, create_lab, regulator, request, data):
    lab = request.node.__dict__.get("lab") or create_lab(status="pending", name="待审核的检测机构")
    request.node.lab = lab
    fuzz_form(data, f"/regulator/labs/{lab.id}")


@FUZZ
@given(data=st.data())
def test_citizen_cancel_form(fuzz_form, create_slot, request, data):
    from openday.bookings import service
    booking = request.node.__dict__.get("booking")
    if booking is None:
        booking = service.book(create_slot().id, service.BookingRequest("张三", "13800138000", 1, True))
        request.node.booking = booking
    manage = f"/bookings/{booking.manage_token}"
    fuzz_form(data, f"{manage}/cancel", action_contains="/cancel", once=True)


@FUZZ
@given(query=st.dictionaries(st.sampled_from(["city", "kind", "date_from", "date_to", "q", "district",
                                              "available", "lat", "lon", "radius_km", "page",
                                              "near", "sort"]), text, max_size=6))
def test_search_page_query(client, query):
    response = client.get("/search", query_string=query)
    assert_not_server_error(response, f"GET /search {query!r:.500}")


@FUZZ
@given(data=st.data())
def test_lab_door_forms(fuzz_form, own_slot, data):
    # Check-in with a count and the early box, its undo and correction, walk-ins confirmed.
    fuzz_form(data, "/lab/checkin", fields={"code": ["ABCDEFGH"], "arrived": ["2", "0", "99"],
                                            "early": ["y"], "confirm": ["确认签到"]})
    fuzz_form(data, "/lab/checkin", post_url="/lab/checkin/undo", fields={"code": ["ABCDEFGH"]})
    fuzz_form(data, "/lab/checkin", post_url="/lab/checkin/arrived",
              fields={"code": ["ABCDEFGH"], "arrived": ["1", "-3"]})
    fuzz_form(data, "/lab/checkin", post_url="/lab/checkin/walk-ins",
              fields={"slot_id": [str(own_slot.id)], "number": ["3", "40", "500"],
                      "confirm": ["1", ""], "add": ["记录"]})


@FUZZ
@given(query=st.dictionaries(st.sampled_from(["q", "checked", "code"]), text, max_size=3))
def test_lab_checkin_search(client, lab_user, query):
    for url in ("/lab/checkin", "/lab/checkin/search"):
        assert_not_server_error(client.get(url, query_string=query), f"GET {url} {query!r:.300}")


@FUZZ
@given(data=st.data())
def test_lab_reschedule_and_duplicate_forms(fuzz_form, own_slot, data):
    fuzz_form(data, f"/lab/slots/{own_slot.id}/reschedule")
    fuzz_form(data, f"/lab/events/{own_slot.event_id}/duplicate")


@FUZZ
@given(data=st.data())
def test_account_password_form(fuzz_form, lab_user, data):
    fuzz_form(data, "/account/password")

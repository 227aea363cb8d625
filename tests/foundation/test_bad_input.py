"""Bad input is a 4xx with nothing stored, never a 500 (SPEC §8): bodies over the cap, JSON nested
past the parser's depth, text that is not UTF-8, staff dates outside the calendar; and an error
page still renders after a flush has failed."""
from __future__ import annotations

import re
from datetime import datetime
from urllib.parse import quote

import pytest
import sqlalchemy as sa
from flask import json

from openday import clock
from openday.bookings.models import Booking
from openday.events.models import Campaign
from tests.conftest import CSRF_RE

DEEP_JSON = "[" * 1000 + "]" * 1000  # 2 KB


def count(db, model) -> int:
    db.session.rollback()  # read what is committed, not what this session holds
    return db.session.execute(sa.select(sa.func.count()).select_from(model)).scalar_one()


def booking_body(**changes) -> dict:
    return {"name": "张三", "phone": "13812345678", "party_size": 1, "consent": True, **changes}


# ---- request bodies are capped -------------------------------------------------------------------

def test_a_form_over_the_cap_is_413_as_a_page_without_echoing_it(client, db, create_slot):
    slot = create_slot()
    huge = "长" * (4 * 1024 * 1024)  # 12 MB urlencoded
    page = client.submit(f"/slots/{slot.id}/book", {"name": huge, "phone": "13812345678",
                                                    "party_size": "1", "consent": "y"})
    assert page.status_code == 413
    html = page.get_data(as_text=True)
    assert "内容过大" in html and "<html" in html
    assert "长长长长" not in html and len(page.data) < 100_000
    assert count(db, Booking) == 0


def test_a_body_over_the_cap_is_413_as_the_api_error_object(client, db, create_slot):
    from openday.bookings import service
    booking = service.book(create_slot().id, service.BookingRequest("张三", "13812345678", 1, True))
    # DELETE reads no body: the cap holds on every route, not only where a view reads one.
    answer = client.delete(f"/api/v1/bookings/{booking.manage_token}", data=b"x" * (2 * 1024 * 1024),
                           content_type="application/json")
    assert answer.status_code == 413
    assert answer.get_json()["error"]["code"] == "too_large"
    assert set(answer.get_json()["error"]) == {"code", "message", "fields"}
    db.session.rollback()
    assert db.session.get(Booking, booking.id).status == "confirmed"


@pytest.mark.parametrize("app_config", [{"MAX_CONTENT_LENGTH": 100}])
def test_the_cap_is_configurable(client):
    assert client.post("/login", data={"email": "x" * 200}).status_code == 413
    assert client.post("/login", data={"email": "x"}).status_code == 400  # no CSRF token: read, refused


def test_a_large_multipart_field_is_413(client):
    answer = client.post("/login", data={"email": "x" * 600_000}, content_type="multipart/form-data")
    assert answer.status_code == 413


# ---- JSON nested past the parser's depth ---------------------------------------------------------

@pytest.mark.parametrize("app_config", [{}, {"RATELIMIT_ENABLED": True, "RATELIMIT_STORAGE_URI": "memory://"}],
                         ids=["view", "limiter-key"])
def test_deeply_nested_json_is_400_with_nothing_stored(client, db, create_slot, app_config):
    slot = create_slot()
    for body in (DEEP_JSON, '{"phone": ' + DEEP_JSON + "}"):
        answer = client.post(f"/api/v1/slots/{slot.id}/bookings", data=body,
                             content_type="application/json")
        assert answer.status_code == 400, answer.get_data(as_text=True)[:300]
        assert answer.get_json()["error"]["code"] == "bad_json"
    assert count(db, Booking) == 0


def test_deeply_nested_json_is_bad_json_wherever_it_is_read(app):
    with pytest.raises(ValueError):
        json.loads(DEEP_JSON)
    with app.test_request_context("/", method="POST", data=DEEP_JSON, content_type="application/json"):
        from flask import request
        from werkzeug.exceptions import BadRequest
        with pytest.raises(BadRequest):
            request.get_json()


# ---- text that is not UTF-8 ----------------------------------------------------------------------

def test_a_form_field_that_is_not_utf8_is_400_with_nothing_stored(client, db, create_slot):
    slot = create_slot()
    token = CSRF_RE.search(client.get(f"/slots/{slot.id}/book").get_data(as_text=True)).group(1)
    body = f"csrf_token={quote(token)}&name=%FF%FE&phone=13812345678&party_size=1&consent=y"
    answer = client.post(f"/slots/{slot.id}/book", data=body,
                         content_type="application/x-www-form-urlencoded")
    assert answer.status_code == 400
    assert count(db, Booking) == 0
    raw = f"csrf_token={quote(token)}&name=".encode() + b"\xff\xfe" + b"&phone=13812345678&party_size=1&consent=y"
    assert client.post(f"/slots/{slot.id}/book", data=raw,
                       content_type="application/x-www-form-urlencoded").status_code == 400
    fields = [("csrf_token", token.encode()), ("name", b"\xff\xfe"), ("phone", b"13812345678"),
              ("party_size", b"1"), ("consent", b"y")]
    multipart = b"".join(b'--B\r\nContent-Disposition: form-data; name="%s"\r\n\r\n%s\r\n'
                         % (name.encode(), value) for name, value in fields) + b"--B--\r\n"
    assert client.post(f"/slots/{slot.id}/book", data=multipart,
                       content_type="multipart/form-data; boundary=B").status_code == 400
    assert count(db, Booking) == 0


def test_percent_signs_a_person_typed_are_kept(client, db, create_slot):
    slot = create_slot()
    answer = client.submit(f"/slots/{slot.id}/book", {"name": "张%FF三", "phone": "13812345678",
                                                      "party_size": "1", "consent": "y"})
    assert answer.status_code == 303
    db.session.rollback()
    assert db.session.execute(sa.select(Booking.name)).scalar_one() == "张%FF三"


@pytest.mark.parametrize("path", ["/search?q=%FF%FE", "/search?city=%E9%95", "/api/v1/slots?q=%FF"])
def test_a_query_that_is_not_utf8_is_400(client, path):
    answer = client.get(path)
    assert answer.status_code == 400
    if path.startswith("/api/"):
        assert answer.get_json()["error"]["code"] == "bad_request"


# ---- staff dates outside the calendar --------------------------------------------------------------

def campaign_form(**changes) -> dict:
    return {"year": "2031", "edition": "21", "theme": "检验检测 服务民生", "starts_on": "2031-09-01",
            "ends_on": "2031-09-30", "registration_opens_at": "2031-06-01T09:00",
            "registration_closes_at": "2031-08-25T18:00", **changes}


@pytest.mark.parametrize("changes, field", [
    ({"starts_on": "0001-01-01"}, "starts_on"),
    ({"ends_on": "9999-12-31"}, "ends_on"),
    ({"registration_opens_at": "0001-01-01T00:00"}, "registration_opens_at"),
    ({"registration_closes_at": "9999-12-31T23:59"}, "registration_closes_at"),
])
def test_campaign_dates_outside_the_calendar_are_field_errors(client, db, create_user, login,
                                                              changes, field):
    login(create_user(role="admin"))
    page = client.submit("/admin/campaigns/new", campaign_form(**changes))
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert re.search(rf'id="{field}-error"[^>]*>[^<]*2000', html), html[:3000]
    assert count(db, Campaign) == 0


def test_campaign_field_errors_are_in_the_readers_language(client, db, create_user, login):
    from flask_babel import refresh
    login(create_user(role="admin"))
    refresh()  # the test's app context outlives the request; a server's next request would not
    html = client.submit("/admin/campaigns/new?lang=en", campaign_form(starts_on="0001-01-01"),
                         form_url="/admin/campaigns/new?lang=en").get_data(as_text=True)
    assert "between 2000 and 2100" in html


# ---- the error page after a failed flush ---------------------------------------------------------

@pytest.mark.parametrize("app_config", [{"PROPAGATE_EXCEPTIONS": False}])
def test_the_error_page_renders_after_a_failed_flush(app, client, db, create_user, login):
    from openday.notices.models import Notice

    @app.get("/_test/failed-flush")
    def failed_flush():
        # A moment that overflows on its way to UTC: the flush fails and leaves the session
        # refusing every query until it is rolled back.
        db.session.add(Notice(title="t", body="b", published_at=datetime(1, 1, 1, tzinfo=clock.CHINA)))
        db.session.flush()
        return "unreachable"

    user = create_user(role="regulator")
    login(user)
    db.session.expire_all()  # the page's reading of the signed-in user goes to the database
    page = client.get("/_test/failed-flush")
    assert page.status_code == 500
    assert "系统错误" in page.get_data(as_text=True)
    assert "监管工作台" in page.get_data(as_text=True)  # the signed-in header, read after the rollback
    assert client.get("/regulator/").status_code == 200  # and the next request starts clean
    assert count(db, Notice) == 0

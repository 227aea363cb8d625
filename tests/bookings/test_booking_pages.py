"""The citizen's booking lifecycle through the HTML forms (CSRF on, like a browser)."""
from __future__ import annotations

import re
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
import segno
import sqlalchemy as sa
from icalendar import Calendar

from openday import clock
from openday.bookings import service, staff
from openday.bookings.models import Booking, BookingStatus, CancelledBy
from openday.core import db as kernel_db
from openday.events.models import EventStatus, Slot, SlotStatus


def form(name="李四", phone="138 0013 8000", party_size="2", consent="y"):
    data = {"name": name, "phone": phone, "party_size": party_size}
    if consent:
        data["consent"] = consent
    return data


def qr_of(url: str) -> str:
    """The drawing of the QR code that encodes ``url``, as the manage page inlines it."""
    svg = segno.make(url, error="m").svg_inline(scale=5, border=2, dark="#000", light="#fff")
    return re.search(r' d="[^"]+"', svg).group(0)


def only_booking(db) -> Booking:
    db.session.rollback()
    return db.session.execute(sa.select(Booking)).scalar_one()


def test_booking_form_shows_slot_and_purpose_statement(client, create_slot):
    slot = create_slot()
    page = client.get(f"/slots/{slot.id}/book")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "走进食品检测实验室" in html and "长沙市产品质量检验所" in html
    assert "仅用于确认您的名额" in html  # templates/bookings/_purpose.html
    for field in ("name", "phone", "party_size", "consent", "csrf_token"):
        assert f'name="{field}"' in html


def test_book_then_manage_page_shows_code_qr_ics_and_link(client, db, create_slot):
    slot = create_slot(capacity=5)
    response = client.submit(f"/slots/{slot.id}/book", form())
    assert response.status_code == 303
    booking = only_booking(db)
    assert response.headers["Location"].endswith(f"/bookings/{booking.manage_token}")
    assert booking.phone == "+8613800138000" and booking.party_size == 2
    assert booking.status == BookingStatus.confirmed

    page = client.get(f"/bookings/{booking.manage_token}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert booking.code in html
    assert "<svg" in html and "qrline" in html  # the QR, inline, made on the server
    assert qr_of(f"http://localhost/lab/checkin?code={booking.code}") in html
    assert "/lab/checkin" not in html  # the staff's check-in URL is in the QR, not shown
    assert f"/bookings/{booking.manage_token}.ics" in html
    assert f"/bookings/{booking.manage_token}</a>" in html
    assert "138****8000" in html and "13800138000" not in html
    assert "<script>" not in html and " style=" not in html  # CSP: no inline script or style
    assert "取消预约" in html
    assert page.headers["Cache-Control"] == "private, no-store"


def test_ics_download(client, db, create_slot):
    slot = create_slot()
    client.submit(f"/slots/{slot.id}/book", form())
    booking = only_booking(db)
    response = client.get(f"/bookings/{booking.manage_token}.ics")
    assert response.status_code == 200
    assert response.mimetype == "text/calendar"
    calendar = Calendar.from_ical(response.data)
    event = next(iter(calendar.walk("VEVENT")))
    assert str(event["location"]).startswith("岳麓区麓谷大道")
    assert "走进食品检测实验室" in str(event["summary"])
    assert booking.manage_token not in response.data.decode()  # a shared file carries no secret
    assert booking.code in str(event["description"])
    start = event.decoded("dtstart")
    assert start == slot.starts_at
    assert str(start.tzinfo) == "Asia/Shanghai" or start.utcoffset() == timedelta(hours=8)
    assert b"TZID=Asia/Shanghai" in response.data
    assert calendar.walk("VTIMEZONE")


def test_cancel_from_manage_page_promotes_the_waitlist(client, db, create_slot):
    slot = create_slot(capacity=2, max_party=2)
    client.submit(f"/slots/{slot.id}/book", form(phone="13800000001"))
    client.submit(f"/slots/{slot.id}/book", form(phone="13800000002", party_size="1"))
    db.session.rollback()
    first, second = db.session.execute(sa.select(Booking).order_by(Booking.id)).scalars().all()
    assert second.status == BookingStatus.waitlisted
    waiting_page = client.get(f"/bookings/{second.manage_token}").get_data(as_text=True)
    assert "候补第 1 位" in waiting_page

    url = f"/bookings/{first.manage_token}"
    response = client.submit(url + "/cancel", {})
    assert response.status_code == 303
    db.session.rollback()
    assert db.session.get(Booking, first.id).status == BookingStatus.cancelled
    assert db.session.get(Booking, second.id).status == BookingStatus.confirmed
    html = client.get(url).get_data(as_text=True)
    assert "您已取消此预约" in html and 'action="/bookings/' not in html  # no cancel button now


def test_cancel_needs_csrf(client, db, create_slot):
    slot = create_slot()
    client.submit(f"/slots/{slot.id}/book", form())
    booking = only_booking(db)
    response = client.post(f"/bookings/{booking.manage_token}/cancel", data={})
    assert response.status_code == 400
    assert only_booking(db).status == BookingStatus.confirmed


def test_form_errors_rerender_and_store_nothing(client, db, create_slot):
    slot = create_slot(max_party=3)
    response = client.submit(f"/slots/{slot.id}/book",
                             form(name=" ", phone="12345", party_size="9", consent=None))
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    for field in ("name", "phone", "party_size", "consent"):
        assert f'id="{field}-error"' in html
    assert "请填写有效的手机号" in html
    assert db.session.execute(sa.select(sa.func.count(Booking.id))).scalar_one() == 0


def test_non_numeric_party_size_is_a_field_error(client, db, create_slot):
    slot = create_slot()
    response = client.submit(f"/slots/{slot.id}/book", form(party_size="two"))
    assert response.status_code == 200
    assert 'id="party_size-error"' in response.get_data(as_text=True)


def test_same_phone_twice_from_the_same_browser_goes_back_to_its_booking(client, db, create_slot):
    slot = create_slot()
    first = client.submit(f"/slots/{slot.id}/book", form(phone="13800138000"))
    second = client.submit(f"/slots/{slot.id}/book", form(phone="+86 13800138000", party_size="1"))
    assert second.status_code == 303
    assert first.headers["Location"] == second.headers["Location"]
    assert only_booking(db).party_size == 2
    db.session.refresh(only_booking(db).slot)
    assert only_booking(db).slot.seats_taken == 2
    html = client.get(second.headers["Location"]).get_data(as_text=True)
    assert "已预约过此场次" in html


def test_a_strangers_repeat_on_the_form_reveals_nothing_and_takes_no_seats(app, client, db, create_slot):
    slot = create_slot(capacity=5)
    client.submit(f"/slots/{slot.id}/book", form(name="李四", phone="13800138000", party_size="2"))
    booking = only_booking(db)

    stranger = app.test_client()
    response = stranger.submit(f"/slots/{slot.id}/book",
                               form(name="王五", phone="138-0013-8000", party_size="3"))
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "该手机号已预约过此场次" in html and 'id="phone-error"' in html
    html = html.replace('href="/bookings/mine"', "")  # the header's link to this browser's own
    for secret in (booking.code, booking.manage_token, "李四", "/bookings/"):
        assert secret not in html
    assert only_booking(db).id == booking.id
    db.session.refresh(slot)
    assert slot.seats_taken == 2
    # and the stranger's browser was given nothing to come back with
    with stranger.session_transaction() as kept:
        assert booking.manage_token not in kept.get("bookings", [])


def test_the_refusal_speaks_the_readers_language(client, db, create_slot, book):
    slot = create_slot()
    book(slot, phone="13800138000", name="李四")  # booked elsewhere
    assert "该手机号已预约过此场次" in client.submit(f"/slots/{slot.id}/book", form()).get_data(as_text=True)
    html = client.submit(f"/slots/{slot.id}/book?lang=en", form()).get_data(as_text=True)
    assert "already has a booking for this session" in html


def _two_taps(app, slot_id: int, data: dict, together: bool):
    """Two POSTs of one form by one browser: both carry the cookie the form's page left, since the
    first answer's cookie has not arrived when the second tap is sent."""
    first_tap = app.test_client()
    url = f"/slots/{slot_id}/book"
    data = {**data, "csrf_token": first_tap.csrf_token(url)}
    second_tap = app.test_client()
    second_tap.set_cookie("session", first_tap.get_cookie("session").value)
    if not together:
        return first_tap.post(url, data=data), second_tap.post(url, data=data)
    barrier = threading.Barrier(2)

    def tap(browser):
        barrier.wait(timeout=30)
        return browser.post(url, data=data)

    with ThreadPoolExecutor(2) as pool:
        return tuple(pool.map(tap, (first_tap, second_tap)))


@pytest.mark.parametrize("together", [False, True], ids=["one-after-the-other", "at-once"])
def test_a_double_tap_lands_both_answers_on_the_one_booking(app, db, create_slot, together):
    slot = create_slot(capacity=5)
    db.session.rollback()
    first, second = _two_taps(app, slot.id, form(), together)
    booking = only_booking(db)
    assert (first.status_code, second.status_code) == (303, 303)
    assert first.headers["Location"] == second.headers["Location"]
    assert first.headers["Location"].endswith(f"/bookings/{booking.manage_token}")
    db.session.refresh(slot)
    assert slot.seats_taken == 2
    # whichever answer's cookie the browser keeps, it holds the booking
    for answer in (first, second):
        browser = app.test_client()
        browser.set_cookie("session", answer.headers["Set-Cookie"].split(";")[0].split("=", 1)[1])
        with browser.session_transaction() as kept:
            assert kept["bookings"] == [booking.manage_token]


def test_the_same_browser_books_again_after_cancelling(client, db, create_slot):
    slot = create_slot()
    first = client.submit(f"/slots/{slot.id}/book", form())
    manage = first.headers["Location"]
    client.submit(manage + "/cancel", {})
    again = client.submit(f"/slots/{slot.id}/book", form())
    assert again.status_code == 303 and again.headers["Location"] != manage
    db.session.rollback()
    statuses = db.session.execute(sa.select(Booking.status).order_by(Booking.id)).scalars().all()
    assert statuses == [BookingStatus.cancelled, BookingStatus.confirmed]


def test_the_browser_keeps_its_newest_twenty_bookings_in_an_httponly_cookie(client, db, create_slot):
    slots = [create_slot(capacity=5) for _ in range(3)]
    tokens = []
    for i in range(22):
        response = client.submit(f"/slots/{slots[i % 3].id}/book", form(phone=f"1390000{i:04d}"))
        tokens.append(response.headers["Location"].rsplit("/", 1)[1])
        cookie = response.headers["Set-Cookie"]
        assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    with client.session_transaction() as kept:
        assert kept["bookings"] == tokens[-20:]
    # the one it forgot is a stranger's now: told, not shown
    html = client.submit(f"/slots/{slots[0].id}/book", form(phone="13900000000")).get_data(as_text=True)
    assert "该手机号已预约过此场次" in html and tokens[0] not in html


def test_full_slot_waitlists_and_says_so(client, db, create_slot):
    slot = create_slot(capacity=1, max_party=1)
    client.submit(f"/slots/{slot.id}/book", form(phone="13800000001", party_size="1"))
    page = client.get(f"/slots/{slot.id}/book").get_data(as_text=True)
    assert "候补名单" in page
    response = client.submit(f"/slots/{slot.id}/book", form(phone="13800000002", party_size="1"))
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "候补中" in html and "候补第 1 位" in html


def test_daily_limit_is_a_phone_field_error(app, client, db, create_event, create_slot):
    app.config["OPENDAY_PHONE_DAILY_LIMIT"] = 1
    event = create_event()
    day = clock.today() + timedelta(days=2)
    one = create_slot(event=event, starts_at=clock.china_datetime(day, 9))
    two = create_slot(event=event, starts_at=clock.china_datetime(day, 14))
    client.submit(f"/slots/{one.id}/book", form())
    response = client.submit(f"/slots/{two.id}/book", form())
    assert response.status_code == 200
    assert 'id="phone-error"' in response.get_data(as_text=True)


def test_a_closed_slot_shows_why_and_takes_no_form(client, db, create_slot, create_event):
    closed = create_slot(booking_closes_at=clock.now() - timedelta(minutes=5))
    page = client.get(f"/slots/{closed.id}/book")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "已截止预约" in html
    assert 'name="phone"' not in html
    draft = create_slot(event=create_event(status=EventStatus.draft))
    assert client.get(f"/slots/{draft.id}/book").status_code == 404
    assert client.get("/slots/99999/book").status_code == 404


def test_a_cancelled_slot_says_so_on_its_page_and_in_the_api(client, db, create_slot,
                                                             create_event, create_lab):
    # Visible is one rule for both: the lab approved and the event not a draft. A cancelled slot
    # stays visible, so a link someone kept tells them it was cancelled rather than "not found".
    cancelled = create_slot()
    staff.cancel_slot(cancelled, "设备检修")  # as its lab does: the slot leaves the listings
    page = client.get(f"/slots/{cancelled.id}/book")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "已被主办机构取消" in html
    assert 'name="phone"' not in html
    answer = client.get(f"/api/v1/slots/{cancelled.id}")
    assert answer.status_code == 200, answer.get_data(as_text=True)[:300]
    assert answer.get_json()["id"] == cancelled.id and answer.get_json()["status"] == "cancelled"
    hidden = (create_slot(event=create_event(status=EventStatus.draft)),
              create_slot(event=create_event(lab=create_lab(status="suspended"))))
    for slot in hidden:
        assert client.get(f"/slots/{slot.id}/book").status_code == 404
        assert client.get(f"/api/v1/slots/{slot.id}").status_code == 404


def test_manage_page_tells_what_the_lab_cancelled(client, db, create_slot, book):
    slot = create_slot()
    booking = book(slot)
    slot.status = SlotStatus.cancelled
    slot.cancel_reason = "设备检修"
    db.session.commit()
    kernel_db.write_transaction(lambda: service.cancel_slot_bookings(kernel_db.lock_row(Slot, slot.id),
                                                                   CancelledBy.lab))
    html = client.get(f"/bookings/{booking.manage_token}").get_data(as_text=True)
    assert "主办机构已取消该场次" in html and "设备检修" in html
    assert "<svg" not in html  # no QR for a cancelled booking


def test_manage_page_tells_when_the_whole_event_was_cancelled(client, db, create_slot, book):
    slot = create_slot()
    booking = book(slot)
    slot.event.status = EventStatus.cancelled
    slot.event.cancel_reason = "场馆改造"
    db.session.commit()
    kernel_db.write_transaction(lambda: service.cancel_slot_bookings(kernel_db.lock_row(Slot, slot.id),
                                                                   CancelledBy.event))
    html = client.get(f"/bookings/{booking.manage_token}").get_data(as_text=True)
    assert "主办机构已取消整个活动" in html and "场馆改造" in html


def test_unknown_token_is_404(client):
    assert client.get("/bookings/not-a-token").status_code == 404
    assert client.get("/bookings/" + "a" * 43).status_code == 404
    assert client.get("/bookings/" + "a" * 43 + ".ics").status_code == 404


def test_busy_database_answers_503_with_retry_after(client, db, create_slot, monkeypatch):
    slot = create_slot()

    def busy(*_a, **_k):
        raise kernel_db.Busy()

    monkeypatch.setattr(service, "book", busy)
    response = client.submit(f"/slots/{slot.id}/book", form())
    assert response.status_code == 503
    assert response.headers["Retry-After"]


def test_posting_the_manage_page_itself_cancels(client, db, create_slot):
    slot = create_slot()
    client.submit(f"/slots/{slot.id}/book", form())
    booking = only_booking(db)
    url = f"/bookings/{booking.manage_token}"
    assert client.submit(url, {}, form_url=url + "/cancel").status_code == 303
    assert only_booking(db).status == BookingStatus.cancelled

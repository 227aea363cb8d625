"""The citizen's manage page (SPEC §3): a waitlisted booking is not shown as booked; cancelling
asks first on its own page."""
from openday.bookings.models import Booking, BookingStatus

CHECKIN_WORDING = "到场后出示预约码或二维码"


def page_of(client, booking):
    return client.get(f"/bookings/{booking.manage_token}").get_data(as_text=True)


def test_waitlisted_page_shows_place_in_line_and_no_entry(client, db, create_slot, book):
    slot = create_slot(capacity=1, max_party=1)
    book(slot)
    waiting = book(slot)
    later = book(slot)
    assert waiting.status == BookingStatus.waitlisted
    html = page_of(client, later)
    assert "当前排在候补第 2 位" in html
    assert "<svg" not in html and ".ics" not in html and CHECKIN_WORDING not in html
    assert "签到链接" not in html
    assert "递补成功后本页会显示入场二维码" in html and "请收藏本页链接，递补结果会显示在这里" in html
    # The calendar file stays reachable by its URL, marked tentative.
    ics = client.get(f"/bookings/{later.manage_token}.ics")
    assert ics.status_code == 200 and b"STATUS:TENTATIVE" in ics.data


def test_promoted_booking_page_shows_the_qr_and_calendar(client, db, create_slot, book):
    slot = create_slot(capacity=1, max_party=1)
    first = book(slot)
    waiting = book(slot)
    url = f"/bookings/{first.manage_token}"
    assert client.submit(url + "/cancel", {}).status_code == 303
    db.session.rollback()
    assert db.session.get(Booking, waiting.id).status == BookingStatus.confirmed
    html = page_of(client, waiting)
    assert "<svg" in html and f"/bookings/{waiting.manage_token}.ics" in html
    assert CHECKIN_WORDING in html and "候补名单" not in html


def test_cancel_page_asks_and_changes_nothing(client, db, create_slot, book):
    booking = book(create_slot())
    manage = f"/bookings/{booking.manage_token}"
    assert f'href="{manage}/cancel"' in page_of(client, booking)
    # the manage page itself never cancels (its one form is the reminder switch, SPEC §11)
    assert f'action="{manage}/cancel"' not in page_of(client, booking)
    response = client.get(manage + "/cancel")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "取消后名额将释放给候补或其他市民，此操作不可撤销" in html
    assert f'action="{manage}/cancel"' in html and 'name="csrf_token"' in html
    assert f'href="{manage}"' in html and "返回" in html
    assert response.headers["Cache-Control"] == "private, no-store"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    db.session.rollback()
    assert db.session.get(Booking, booking.id).status == BookingStatus.confirmed


def test_confirming_cancels(client, db, create_slot, book):
    slot = create_slot()
    booking = book(slot)
    manage = f"/bookings/{booking.manage_token}"
    response = client.submit(manage + "/cancel", {})
    assert response.status_code == 303 and response.headers["Location"].endswith(manage)
    db.session.rollback()
    assert db.session.get(Booking, booking.id).status == BookingStatus.cancelled
    # Once cancelled there is nothing to confirm: the cancel page leads back to the booking.
    again = client.get(manage + "/cancel")
    assert again.status_code == 303 and again.headers["Location"].endswith(manage)


def test_unknown_token_cancel_page_is_404(client):
    assert client.get("/bookings/" + "x" * 43 + "/cancel").status_code == 404

"""The lab's side of bookings: rosters with full phones and an Excel-ready CSV, check-in at the
door, walk-ins, cancelling and resizing slots and events; all only on the lab's own slots."""
from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from openday.events.models import Slot


@pytest.fixture
def lab(create_lab):
    return create_lab(name="长沙市食品检验所")


@pytest.fixture
def other_lab(create_lab):
    return create_lab(name="上海市计量测试所", city="310100", district="310104")


@pytest.fixture
def staff(create_user, lab, login):
    user = create_user(role="lab", lab=lab)
    login(user)
    return user


@pytest.fixture
def event(create_event, lab):
    return create_event(lab=lab, title="走进食品检测实验室")


@pytest.fixture
def slot(create_slot, event):
    return create_slot(event=event, capacity=6, max_party=4)


@pytest.fixture
def at_the_door(slot, travel):
    """Half an hour before the slot starts, on its day: check-in is open."""
    return travel(slot.starts_at - timedelta(minutes=30))


@pytest.fixture
def login_other(client, create_user, other_lab, login):
    def do():
        client.delete_cookie("session")  # another browser, whoever this one had signed in
        login(create_user(role="lab", lab=other_lab))
    return do


def counters(slot: Slot) -> tuple:
    return (slot.seats_taken, slot.confirmed_count, slot.waitlisted_count, slot.waitlisted_people)


# ---- rosters -------------------------------------------------------------------------------------

def test_the_roster_shows_full_phones_and_the_waitlist_in_order(client, staff, slot, book):
    book(slot, 4, name="张三", phone="13812345678")
    book(slot, 2, name="李四")
    first = book(slot, 3, name="王五")   # waitlisted: 6 seats are taken
    second = book(slot, 1, name="赵六")
    assert (first.status, second.status) == ("waitlisted", "waitlisted")
    page = client.get(f"/lab/slots/{slot.id}/roster").get_data(as_text=True)
    assert "13812345678" in page and "138****5678" not in page
    assert page.index("张三") < page.index("李四") < page.index("王五") < page.index("赵六")
    assert "候补 第 1 位" in page and "候补 第 2 位" in page


def test_the_csv_opens_in_excel(client, staff, slot, book):
    book(slot, 2, name="张三", phone="13812345678")
    book(slot, 1, name="=HYPERLINK(\"http://evil\")")
    for url in (f"/lab/slots/{slot.id}/roster.csv", f"/lab/slots/{slot.id}/roster?format=csv"):
        response = client.get(url)
        assert response.status_code == 200
        assert response.mimetype == "text/csv"
        assert "attachment" in response.headers["Content-Disposition"]
        body = response.data
        assert body.startswith(b"\xef\xbb\xbf")  # the BOM Excel needs to read UTF-8
        text = body.decode("utf-8-sig")
        rows = text.split("\r\n")
        assert rows[0].startswith("序号,预约码,姓名,手机号,人数,状态")
        assert "张三,13812345678,2,已确认" in rows[1]
        assert "'=HYPERLINK" in rows[2]  # a name never becomes a formula
        assert rows[-1] == "" and "\n" not in text.replace("\r\n", "")


def test_the_roster_takes_the_same_queries_for_one_booking_or_many(app, client, staff, slot,
                                                                   create_slot, event, book):
    busy = create_slot(event=event, capacity=40, starts_in=timedelta(days=3))
    book(slot)
    for _ in range(8):
        book(busy, 2)

    def statements(url: str) -> int:
        seen: list[str] = []
        engine = app.extensions["sqlalchemy"].engine
        listener = lambda *args: seen.append(args[2])  # noqa: E731
        sa.event.listen(engine, "before_cursor_execute", listener)
        try:
            assert client.get(url).status_code == 200
        finally:
            sa.event.remove(engine, "before_cursor_execute", listener)
        return len([s for s in seen if s.lstrip().upper().startswith("SELECT")])

    one, many = f"/lab/slots/{slot.id}/roster", f"/lab/slots/{busy.id}/roster"
    # the signed-in user, their lab, the slot, its bookings: each request, as a server's would
    assert statements(one) == statements(many) <= 4


def test_another_lab_gets_404_on_roster_and_csv(client, slot, book, login_other):
    book(slot, name="张三", phone="13812345678")
    login_other()
    for url in (f"/lab/slots/{slot.id}/roster", f"/lab/slots/{slot.id}/roster.csv",
                f"/lab/slots/{slot.id}/roster?format=csv", "/lab/slots/987654/roster"):
        response = client.get(url)
        assert response.status_code == 404
        assert b"13812345678" not in response.data


def test_regulators_and_anonymous_never_see_a_roster(client, slot, create_user, login):
    assert client.get(f"/lab/slots/{slot.id}/roster").status_code == 302
    login(create_user(role="regulator"))
    assert client.get(f"/lab/slots/{slot.id}/roster").status_code == 403


# ---- check-in ------------------------------------------------------------------------------------

def test_opening_the_qr_url_shows_the_booking_and_a_confirm_button(client, db, staff, slot,
                                                                    book):
    booking = book(slot, 3, name="张三")
    page = client.get(f"/lab/checkin?code={booking.code.lower()}").get_data(as_text=True)
    assert "张三" in page and "确认签到（3 人）" in page
    db.session.refresh(booking)
    assert booking.checked_in_at is None  # a GET changes nothing


def test_check_in_by_code_marks_once_and_a_second_scan_says_when(client, db, staff, slot, book, at_the_door):
    booking = book(slot, 3, name="张三")
    response = client.submit("/lab/checkin", {"code": booking.code})
    assert response.status_code == 302
    assert "签到成功：张三，到场 3 人" in client.get(response.headers["Location"]).get_data(as_text=True)
    db.session.expire_all()
    first = booking.checked_in_at
    assert first is not None and slot.checked_in_people == 3

    again = client.submit("/lab/checkin", {"code": booking.code})
    page = again.get_data(as_text=True)
    assert "该预约已于" in page and "签到，请勿重复签到" in page
    from openday import clock
    assert f"{clock.local(first):%Y-%m-%d %H:%M}" in page
    db.session.expire_all()
    assert booking.checked_in_at == first and slot.checked_in_people == 3


def test_a_code_typed_with_spaces_and_lower_case_checks_in(client, db, staff, slot, book, at_the_door):
    booking = book(slot, 1)
    code = booking.code.lower()
    client.submit("/lab/checkin", {"code": f" {code[:4]} {code[4:]} "})
    db.session.expire_all()
    assert booking.checked_in_at is not None


def test_a_code_of_another_labs_slot_is_not_found(client, db, slot, book, login_other):
    booking = book(slot, 2)
    login_other()
    page = client.get(f"/lab/checkin?code={booking.code}").get_data(as_text=True)
    assert "未找到该预约码" in page and booking.name not in page
    page = client.submit("/lab/checkin", {"code": booking.code}).get_data(as_text=True)
    assert "未找到该预约码" in page
    db.session.expire_all()
    assert booking.checked_in_at is None and slot.checked_in_people == 0


def test_waitlisted_and_cancelled_bookings_cannot_check_in(client, db, staff, slot, book):
    from openday.bookings import service
    book(slot, 4)
    book(slot, 2)
    waiting = book(slot, 1)
    cancelled = book(slot, 1)
    service.cancel(cancelled)
    assert waiting.status == "waitlisted"
    page = client.submit("/lab/checkin", {"code": waiting.code}).get_data(as_text=True)
    assert "该预约仍在候补中" in page
    page = client.submit("/lab/checkin", {"code": cancelled.code}).get_data(as_text=True)
    assert "该预约已取消，不能签到" in page
    db.session.expire_all()
    assert waiting.checked_in_at is None and cancelled.checked_in_at is None
    assert slot.checked_in_people == 0


def test_an_empty_or_unknown_code_is_a_clear_message(client, staff):
    assert "请输入预约码" in client.submit("/lab/checkin", {"code": "  "}).get_data(as_text=True)
    assert "未找到该预约码" in client.get("/lab/checkin?code=ZZZZ2345").get_data(as_text=True)


# ---- walk-ins ------------------------------------------------------------------------------------

@pytest.fixture
def today_slot(create_slot, event):
    from openday import clock
    from openday.events.service import day_bounds
    start, end = day_bounds(clock.today())
    # Within today's Beijing day, whatever the hour the test runs at.
    return create_slot(event=event, starts_at=start + timedelta(hours=1),
                       ends_at=end - timedelta(hours=1))


def test_walk_ins_are_added_to_todays_slot_and_never_go_negative(client, db, staff, today_slot):
    page = client.get("/lab/checkin").get_data(as_text=True)
    assert f'<option value="{today_slot.id}"' in page
    response = client.submit("/lab/checkin/walk-ins", {"slot_id": today_slot.id, "number": "5"},
                             form_url="/lab/checkin")
    assert response.status_code == 302
    client.submit("/lab/checkin/walk-ins", {"slot_id": today_slot.id, "number": "-2"},
                  form_url="/lab/checkin")
    db.session.expire_all()
    assert today_slot.walk_ins == 3
    page = client.submit("/lab/checkin/walk-ins", {"slot_id": today_slot.id, "number": "-4"},
                         form_url="/lab/checkin").get_data(as_text=True)
    assert "现场人数不能减到 0 以下" in page
    page = client.submit("/lab/checkin/walk-ins", {"slot_id": today_slot.id, "number": "0"},
                         form_url="/lab/checkin").get_data(as_text=True)
    assert "请填写 1 到 500 之间的人数" in page
    db.session.expire_all()
    assert today_slot.walk_ins == 3


def test_walk_ins_only_on_the_labs_own_slots_of_today(client, db, staff, slot, create_slot,
                                                       create_event, other_lab):
    theirs = create_slot(event=create_event(lab=other_lab))
    for target in (slot, theirs):  # not today / not ours: not a choice
        page = client.submit("/lab/checkin/walk-ins", {"slot_id": target.id, "number": "5"},
                             form_url="/lab/checkin").get_data(as_text=True)
        assert "is-invalid" in page
    db.session.expire_all()
    assert slot.walk_ins == 0 and theirs.walk_ins == 0


# ---- cancelling, deleting, resizing --------------------------------------------------------------

def test_cancelling_a_slot_cancels_its_bookings(client, db, staff, slot, book):
    confirmed = book(slot, 4)
    waiting = book(slot, 4)
    page = client.get(f"/lab/slots/{slot.id}/cancel").get_data(as_text=True)
    assert "将取消 2 个有效预约" in page
    response = client.submit(f"/lab/slots/{slot.id}/cancel", {"reason": "设备检修"})
    assert response.status_code == 302
    db.session.expire_all()
    for booking in (confirmed, waiting):
        assert booking.status == "cancelled" and booking.cancelled_by == "lab"
        assert booking.cancelled_at is not None
    assert counters(slot) == (0, 0, 0, 0)
    assert (slot.status, slot.listed, slot.cancel_reason) == ("cancelled", False, "设备检修")


def test_a_cancellation_needs_a_reason(client, db, staff, slot, book):
    booking = book(slot, 2)
    page = client.submit(f"/lab/slots/{slot.id}/cancel", {"reason": " "}).get_data(as_text=True)
    assert "请填写取消原因" in page
    db.session.expire_all()
    assert booking.status == "confirmed" and slot.status == "open"


def test_cancelling_an_event_cancels_every_booking(client, db, staff, event, slot, create_slot,
                                                   book):
    other = create_slot(event=event, capacity=10, starts_in=timedelta(days=3))
    bookings = [book(slot, 2), book(other, 3), book(other, 1)]
    response = client.submit(f"/lab/events/{event.id}/cancel", {"reason": "天气原因"})
    assert response.status_code == 302
    db.session.expire_all()
    assert (event.status, event.cancel_reason) == ("cancelled", "天气原因")
    for booking in bookings:
        assert (booking.status, booking.cancelled_by) == ("cancelled", "event")
    for s in (slot, other):
        assert counters(s) == (0, 0, 0, 0) and s.listed is False and s.status == "cancelled"
    page = client.get(f"/events/{event.id}")  # still shown, saying it was cancelled
    assert page.status_code == 200 and "该活动已取消" in page.get_data(as_text=True)


def test_another_lab_cannot_cancel(client, db, slot, event, book, login_other):
    booking = book(slot, 2)
    login_other()
    for url in (f"/lab/slots/{slot.id}/cancel", f"/lab/events/{event.id}/cancel"):
        assert client.get(url).status_code == 404
        assert client.submit(url, {"reason": "x"}, form_url="/lab/checkin").status_code == 404
    db.session.expire_all()
    assert booking.status == "confirmed" and event.status == "published"


def test_a_slot_with_bookings_is_cancelled_not_deleted(client, db, staff, slot, create_slot,
                                                       event, book):
    book(slot)
    response = client.submit(f"/lab/slots/{slot.id}/delete", {},
                             form_url=f"/lab/slots/{slot.id}/edit")
    assert response.status_code == 302
    assert db.session.get(Slot, slot.id) is not None
    empty = create_slot(event=event, starts_in=timedelta(days=5))
    empty_id = empty.id
    client.submit(f"/lab/slots/{empty_id}/delete", {}, form_url=f"/lab/slots/{empty_id}/edit")
    db.session.expire_all()
    assert db.session.get(Slot, empty_id) is None


def test_capacity_shrinks_to_the_seats_taken_and_no_further(client, db, staff, slot, book):
    book(slot, 4)
    page = client.submit(f"/lab/slots/{slot.id}/edit",
                         {"capacity": "3", "max_party": "2"}).get_data(as_text=True)
    assert "人数上限不能少于已预约的 4 人" in page
    db.session.expire_all()
    assert (slot.capacity, slot.max_party) == (6, 4)
    response = client.submit(f"/lab/slots/{slot.id}/edit", {"capacity": "4", "max_party": "2"})
    assert response.status_code == 302
    db.session.expire_all()
    assert (slot.capacity, slot.max_party, slot.seats_taken) == (4, 2, 4)


def test_growing_capacity_confirms_the_waitlist(client, db, staff, slot, book):
    book(slot, 4)
    book(slot, 2)
    waiting = book(slot, 3)
    assert waiting.status == "waitlisted"
    response = client.submit(f"/lab/slots/{slot.id}/edit",
                             {"capacity": "12", "max_party": "6", "closes_hours": "1"})
    assert response.status_code == 302
    db.session.expire_all()
    assert waiting.status == "confirmed"
    assert (slot.capacity, slot.max_party, slot.seats_taken, slot.waitlisted_count) == (12, 6, 9, 0)
    assert slot.booking_closes_at == slot.starts_at - timedelta(hours=1)


@pytest.mark.parametrize("data, message", [
    ({"capacity": "0", "max_party": "1"}, "人数上限至少为 1"),
    ({"capacity": "5", "max_party": "6"}, "每笔预约最多人数不能超过人数上限"),
])
def test_bad_slot_changes_are_form_errors(client, db, staff, slot, data, message):
    page = client.submit(f"/lab/slots/{slot.id}/edit", data).get_data(as_text=True)
    assert message in page
    db.session.expire_all()
    assert (slot.capacity, slot.max_party) == (6, 4)


def test_another_lab_cannot_change_or_delete_a_slot(client, db, slot, login_other):
    login_other()
    assert client.get(f"/lab/slots/{slot.id}/edit").status_code == 404
    response = client.submit(f"/lab/slots/{slot.id}/edit", {"capacity": "50", "max_party": "4"},
                             form_url="/lab/checkin")
    assert response.status_code == 404
    response = client.submit(f"/lab/slots/{slot.id}/delete", {}, form_url="/lab/checkin")
    assert response.status_code == 404
    db.session.expire_all()
    assert db.session.get(Slot, slot.id).capacity == 6


def test_scanning_the_qr_logged_out_comes_back_to_the_booking_after_login(client, slot, book,
                                                                         create_user, lab):
    booking = book(slot, 2, name="张三")
    response = client.get(f"/lab/checkin?code={booking.code}")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    user = create_user(role="lab", lab=lab)
    login_page = response.headers["Location"]
    response = client.submit(login_page, {"email": user.email, "password": "correct horse battery"})
    assert response.headers["Location"].endswith(f"/lab/checkin?code={booking.code}")
    assert "确认签到（2 人）" in client.get(response.headers["Location"]).get_data(as_text=True)


def test_the_dashboard_counts_todays_check_ins_and_walk_ins(client, db, staff, slot, today_slot,
                                                            book):
    # Booked while bookable, then the slot is moved to today (booking closes when a slot starts,
    # and today's slot may already have started whatever the hour the test runs at).
    booking = book(slot, 3)
    db.session.execute(sa.update(Slot).where(Slot.id == slot.id).values(
        starts_at=today_slot.starts_at, ends_at=today_slot.ends_at))
    db.session.commit()
    client.submit("/lab/checkin", {"code": booking.code})
    client.submit("/lab/checkin/walk-ins", {"slot_id": today_slot.id, "number": "7"},
                  form_url="/lab/checkin")
    page = client.get("/lab/").get_data(as_text=True)
    assert "已签到 3 人" in page and "现场来访 7 人" in page


# ---- rights that end with approval, and pages no cache keeps --------------------------------------

@pytest.mark.parametrize("status", ["suspended", "rejected", "pending"])
def test_a_lab_no_longer_approved_cannot_touch_slots_or_read_phones(client, db, staff, lab, event,
                                                                     slot, book, today_slot,
                                                                     status):
    booking = book(slot, 2, name="张三", phone="13812345678")
    lab.status = status
    db.session.commit()
    token = client.csrf_token("/lab/")
    gets = [f"/lab/slots/{slot.id}/roster", f"/lab/slots/{slot.id}/roster.csv",
            f"/lab/slots/{slot.id}/roster?format=csv", f"/lab/slots/{slot.id}/cancel",
            f"/lab/events/{event.id}/cancel", "/lab/checkin", f"/lab/checkin?code={booking.code}"]
    for url in gets:
        response = client.get(url)
        assert response.status_code == 403, url
        assert b"13812345678" not in response.data
    posts = [(f"/lab/slots/{slot.id}/cancel", {"reason": "x"}),
             (f"/lab/events/{event.id}/cancel", {"reason": "x"}),
             ("/lab/checkin", {"code": booking.code}),
             ("/lab/checkin/walk-ins", {"slot_id": today_slot.id, "number": "5"}),
             (f"/lab/slots/{slot.id}/edit", {"capacity": "50", "max_party": "4"})]
    for url, data in posts:
        assert client.post(url, data={**data, "csrf_token": token}).status_code == 403, url
    assert client.get("/lab/").status_code == 200  # its dashboard says why
    db.session.expire_all()
    assert (booking.status, booking.checked_in_at) == ("confirmed", None)
    assert (slot.status, slot.capacity, event.status, today_slot.walk_ins) == (
        "open", 6, "published", 0)


def test_pages_with_full_phones_are_never_stored(client, staff, slot, book):
    booking = book(slot, 2, name="张三", phone="13812345678")
    pages = [client.get(f"/lab/slots/{slot.id}/roster"),
             client.get(f"/lab/slots/{slot.id}/roster.csv"),
             client.get(f"/lab/checkin?code={booking.code}"),
             client.get("/lab/checkin"),
             client.submit("/lab/checkin", {"code": "ZZZZ2345"})]
    for response in pages:
        assert response.status_code == 200
        assert "no-store" in response.headers["Cache-Control"]
        assert "private" in response.headers["Cache-Control"]
    assert b"13812345678" in pages[0].data and "张三" in pages[2].get_data(as_text=True)

"""At the door: partial check-in, undo and correction within the window, check-in opening on the
slot's day, the JSON answers the scanner reads, search by name or phone, walk-ins with sense."""
from __future__ import annotations

from datetime import timedelta

import pytest

from openday.audit.models import AuditEntry
from openday.bookings import staff
from openday.core.errors import RuleError
from openday.stats import service as stats

JSON = {"Accept": "application/json"}


@pytest.fixture
def lab(create_lab):
    return create_lab(name="长沙市食品检验所")


@pytest.fixture
def user(create_user, lab, login):
    user = create_user(role="lab", lab=lab)
    login(user)
    return user


@pytest.fixture
def slot(create_slot, create_event, lab):
    return create_slot(event=create_event(lab=lab), capacity=5, max_party=4)


@pytest.fixture
def door(slot, travel):
    return travel(slot.starts_at - timedelta(minutes=30))


def actions(db, action):
    return db.session.execute(db.select(AuditEntry).where(AuditEntry.action == action)).scalars().all()


def test_a_party_of_3_with_2_arrived_counts_2_visits(app, db, campaign, slot, book, door):
    booking = book(slot, 3)
    result = staff.check_in(slot.lab_id, booking.code, arrived=2)
    assert result.outcome == "checked_in" and result.booking.arrived == 2
    db.session.expire_all()
    assert slot.checked_in_people == 2
    figures = stats.totals(campaign)
    assert (figures.checked_in, figures.visits) == (2, 2)
    with pytest.raises(RuleError) as error:
        staff.check_in(slot.lab_id, book(slot, 2).code, arrived=3)
    assert error.value.fields["arrived"]


def test_check_in_opens_on_the_slots_day_unless_overridden(app, db, slot, book):
    booking = book(slot, 2)  # the slot is two days ahead
    assert staff.check_in(slot.lab_id, booking.code).outcome == "not_today"
    db.session.expire_all()
    assert booking.checked_in_at is None
    assert staff.check_in(slot.lab_id, booking.code, early=True).outcome == "checked_in"
    assert actions(db, "booking.check_in")[0].reason.endswith(", early")


def test_undo_within_the_window_and_not_after(app, db, slot, book, door, travel):
    booking = book(slot, 3)
    staff.check_in(slot.lab_id, booking.code)
    staff.undo_check_in(slot.lab_id, booking.code)
    db.session.expire_all()
    assert (booking.checked_in_at, booking.arrived, slot.checked_in_people) == (None, None, 0)
    assert len(actions(db, "booking.check_in_undo")) == 1
    staff.check_in(slot.lab_id, booking.code, arrived=3)
    staff.correct_arrived(slot.lab_id, booking.code, 1)
    db.session.expire_all()
    assert (booking.arrived, slot.checked_in_people) == (1, 1)
    assert actions(db, "booking.check_in_correct")[0].reason.endswith("3 → 1/3")
    travel(door + timedelta(minutes=11))  # OPENDAY_CHECKIN_UNDO_MINUTES is 10
    with pytest.raises(RuleError) as error:
        staff.undo_check_in(slot.lab_id, booking.code)
    assert error.value.code == "undo_expired"
    with pytest.raises(RuleError):
        staff.correct_arrived(slot.lab_id, booking.code, 2)
    db.session.expire_all()
    assert slot.checked_in_people == 1


def test_undo_of_a_booking_never_checked_in_is_refused(app, slot, book, door):
    with pytest.raises(RuleError) as error:
        staff.undo_check_in(slot.lab_id, book(slot, 1).code)
    assert error.value.code == "not_checked_in"


def test_the_json_answers_say_the_outcome_and_a_second_scan_says_when(client, db, user, slot,
                                                                         book, door):
    booking = book(slot, 2, name="李雷")
    first = client.submit("/lab/checkin", {"code": booking.code, "arrived": "1"},
                          headers=JSON, form_url="/lab/checkin")
    body = first.get_json()
    assert body["outcome"] == "checked_in" and body["category"] == "success"
    assert body["booking"]["name"] == "李雷" and body["booking"]["arrived"] == 1
    assert body["booking"]["can_undo"] is True
    again = client.submit("/lab/checkin", {"code": booking.code}, headers=JSON,
                          form_url="/lab/checkin").get_json()
    assert again["outcome"] == "already" and body["booking"]["checked_in_at"] in again["message"]
    missing = client.submit("/lab/checkin", {"code": "ZZZZ2345"}, headers=JSON,
                            form_url="/lab/checkin")
    assert missing.status_code == 404 and missing.get_json()["outcome"] == "not_found"
    undone = client.submit("/lab/checkin/undo", {"code": booking.code}, headers=JSON,
                           form_url="/lab/checkin").get_json()
    assert undone["outcome"] == "undone"
    db.session.expire_all()
    assert slot.checked_in_people == 0


def test_the_plain_forms_check_in_part_of_a_party_correct_and_undo(client, db, user, slot, book,
                                                                     door):
    booking = book(slot, 3, name="韩梅梅")
    page = client.get(f"/lab/checkin?code={booking.code}").get_data(as_text=True)
    assert 'name="arrived"' in page and 'name="early"' not in page
    done = client.submit("/lab/checkin", {"code": booking.code, "arrived": "2"},
                         form_url="/lab/checkin")
    assert done.status_code == 302
    page = client.get(done.headers["Location"]).get_data(as_text=True)
    assert "签到成功：韩梅梅，到场 2 人" in page and "撤销签到" in page
    client.submit("/lab/checkin/arrived", {"code": booking.code, "arrived": "3"},
                  form_url="/lab/checkin")
    db.session.expire_all()
    assert slot.checked_in_people == 3
    bad = client.submit("/lab/checkin/arrived", {"code": booking.code, "arrived": "9"},
                        form_url="/lab/checkin")
    assert bad.status_code == 200 and "到场人数应为 1 到 3" in bad.get_data(as_text=True)
    client.submit("/lab/checkin/undo", {"code": booking.code}, form_url="/lab/checkin")
    db.session.expire_all()
    assert booking.checked_in_at is None and slot.checked_in_people == 0


def test_a_slot_days_ahead_asks_for_the_override_on_the_page(client, db, user, slot, book):
    booking = book(slot, 1)
    page = client.get(f"/lab/checkin?code={booking.code}").get_data(as_text=True)
    assert "签到在当天开放" in page and 'name="early"' in page
    page = client.submit("/lab/checkin", {"code": booking.code}, form_url="/lab/checkin")
    assert "签到在当天开放" in page.get_data(as_text=True)
    db.session.expire_all()
    assert booking.checked_in_at is None
    client.submit("/lab/checkin", {"code": booking.code, "early": "y"}, form_url="/lab/checkin")
    db.session.expire_all()
    assert booking.checked_in_at is not None


def test_search_by_name_or_the_last_4_digits_only_finds_todays_own_bookings(
        client, db, user, slot, book, door, create_slot, create_event, create_lab):
    mine = book(slot, 2, name="王小明", phone="13812345678")
    book(slot, 1, name="李四")
    other_lab = create_lab(name="别家", city="310100", district="310104")
    theirs = create_slot(event=create_event(lab=other_lab), starts_at=slot.starts_at)
    book(theirs, 1, name="王小明", phone="13912345678")
    later = create_slot(event=slot.event, starts_at=slot.starts_at + timedelta(days=1))
    book(later, 1, name="王小明", phone="13712345678")
    assert [b.code for b in staff.search_bookings(slot.lab_id, "小明")] == [mine.code]
    assert [b.code for b in staff.search_bookings(slot.lab_id, "5678")] == [mine.code]
    assert staff.search_bookings(slot.lab_id, "%") == []
    with pytest.raises(RuleError):
        staff.search_bookings(slot.lab_id, "567")
    page = client.get("/lab/checkin?q=5678").get_data(as_text=True)
    assert "王小明" in page and f"code={mine.code}" in page
    items = client.get("/lab/checkin/search?q=王").get_json()["items"]
    assert [i["code"] for i in items] == [mine.code]
    assert client.get("/lab/checkin/search?q=12").status_code == 422
    assert "按手机号查找请输入后 4 位" in client.get("/lab/checkin?q=12").get_data(as_text=True)


def test_walk_ins_above_capacity_ask_to_confirm_and_a_ceiling_refuses(app, db, slot):
    staff.add_walk_ins(slot.lab_id, slot.id, 5)  # up to the capacity of 5: no question
    with pytest.raises(staff.WalkInsNeedConfirmation):
        staff.add_walk_ins(slot.lab_id, slot.id, 2)
    staff.add_walk_ins(slot.lab_id, slot.id, 2, confirmed=True)
    with pytest.raises(RuleError) as error:
        staff.add_walk_ins(slot.lab_id, slot.id, 9, confirmed=True)  # 16 > 3 × 5
    assert "15" in str(error.value.fields["number"])
    db.session.expire_all()
    assert slot.walk_ins == 7
    assert len(actions(db, "slot.walk_ins")) == 1


def test_the_walk_in_form_asks_again_above_capacity(client, db, user, create_slot, create_event,
                                                     lab):
    from openday import clock
    from openday.events.service import day_bounds
    start, end = day_bounds(clock.today())
    today = create_slot(event=create_event(lab=lab), capacity=5, starts_at=start + timedelta(hours=1),
                        ends_at=end - timedelta(hours=1))
    page = client.submit("/lab/checkin/walk-ins", {"slot_id": today.id, "number": "8"},
                         form_url="/lab/checkin").get_data(as_text=True)
    assert "超过人数上限 5 人" in page and 'name="confirm" value="1"' in page
    db.session.expire_all()
    assert today.walk_ins == 0
    done = client.submit("/lab/checkin/walk-ins", {"slot_id": today.id, "number": "8",
                                                   "confirm": "1"}, form_url="/lab/checkin")
    assert done.status_code == 302
    page = client.submit("/lab/checkin/walk-ins", {"slot_id": today.id, "number": "500",
                                                   "confirm": "1"}, form_url="/lab/checkin")
    assert "不能超过 15 人" in page.get_data(as_text=True)
    db.session.expire_all()
    assert today.walk_ins == 8

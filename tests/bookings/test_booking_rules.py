"""SPEC §3, rule by rule, through the booking service."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from openday import clock
from openday.bookings import service
from openday.bookings.models import Booking, BookingStatus, CancelledBy
from openday.core import db as kernel_db
from openday.core.phone import mask_phone, normalise_phone
from openday.events.models import EventStatus, Slot, SlotStatus


def count_bookings(db) -> int:
    return db.session.execute(sa.select(sa.func.count(Booking.id))).scalar_one()


# ---- validation ----------------------------------------------------------------------------------

@pytest.mark.parametrize("raw", ["13800138000", "+8613800138000", "+86 138 0013 8000",
                                 "86-138-0013-8000", "138-0013-8000", " 138 0013 8000 ",
                                 "008613800138000", "１３８００１３８０００"])
def test_mainland_phone_is_normalised_to_e164(raw):
    assert normalise_phone(raw) == "+8613800138000"


@pytest.mark.parametrize("raw", ["", "12800138000", "1380013800", "138001380000", "+8512800138000",
                                 "abcdefghijk", "138OO138000", None, 13800138000, "1" * 500,
                                 "+86+8613800138000"])
def test_bad_phones_are_refused(raw):
    with pytest.raises(ValueError):
        normalise_phone(raw)


def test_phone_is_masked():
    assert mask_phone("13812345678") == "138****5678"
    assert mask_phone(None) == ""


@pytest.mark.parametrize("field,value", [
    ("name", ""), ("name", "   "), ("name", "张" * 41), ("name", None), ("name", 42),
    ("name", "张\x00三"), ("phone", "12345"), ("phone", None), ("party_size", 0),
    ("party_size", 5), ("party_size", "2"), ("party_size", True), ("party_size", 2.5),
    ("party_size", None), ("consent", False), ("consent", "true"), ("consent", None),
])
def test_invalid_requests_name_the_field_and_store_nothing(db, create_slot, field, value):
    slot = create_slot(capacity=10, max_party=4)
    data = {"name": "张三", "phone": "13800138000", "party_size": 2, "consent": True, field: value}
    with pytest.raises(service.InvalidBooking) as caught:
        service.book(slot.id, service.BookingRequest(**data))
    assert list(caught.value.fields) == [field]
    assert caught.value.status == 422
    assert count_bookings(db) == 0
    db.session.refresh(slot)
    assert slot.seats_taken == 0


def test_name_is_trimmed_and_forty_characters_fit(db, create_slot, book):
    slot = create_slot()
    booking = book(slot, name="  " + "张" * 40 + "  ")
    assert booking.name == "张" * 40


def test_stored_phone_is_normalised(db, create_slot, book):
    booking = book(create_slot(), phone="+86 139-0000-1111")
    assert booking.phone == "+8613900001111"


# ---- codes and tokens ----------------------------------------------------------------------------

def test_code_and_token_shapes(db, create_slot, book):
    slot = create_slot(capacity=50)
    bookings = [book(slot) for _ in range(20)]
    for booking in bookings:
        assert re.fullmatch(r"[2-9A-HJ-NP-Z]{8}", booking.code)
        assert not set(booking.code) & set("0O1I")
        assert len(booking.manage_token) >= 43  # 32 random bytes, url-safe base64
        assert booking.code not in booking.manage_token
    assert len({b.code for b in bookings}) == 20
    assert len({b.manage_token for b in bookings}) == 20


def test_code_collision_draws_another(db, create_slot, book, monkeypatch):
    slot = create_slot()
    first = book(slot)
    draws = iter([first.code, first.code, "ABCDEFGH"])
    monkeypatch.setattr(service, "_new_code", lambda: next(draws))
    second = book(slot)
    assert second.code == "ABCDEFGH" and second.id != first.id


def test_find_by_code_and_token(db, create_slot, book):
    booking = book(create_slot())
    assert service.find_by_code(booking.code.lower()).id == booking.id
    assert service.find_by_code(f" {booking.code[:4]}-{booking.code[4:]} ").id == booking.id
    assert service.find_by_token(booking.manage_token).id == booking.id
    assert service.find_by_token("nope") is None
    assert service.find_by_token("x" * 500) is None
    assert service.find_by_code("0OIL0OIL") is None


def test_checkin_url_is_absolute(app, db, create_slot, book):
    booking = book(create_slot())
    with app.test_request_context("/", base_url="https://openday.example.cn"):
        assert service.checkin_url(booking) == \
            f"https://openday.example.cn/lab/checkin?code={booking.code}"
    app.config["OPENDAY_PUBLIC_URL"] = "https://kaifangri.cn/"
    assert service.checkin_url(booking) == f"https://kaifangri.cn/lab/checkin?code={booking.code}"


# ---- seats and the waitlist ----------------------------------------------------------------------

def test_a_just_waitlisted_booking_knows_its_place_and_forgets_it_when_the_line_moves(
        db, create_slot, book):
    slot = create_slot(capacity=1, max_party=1)
    book(slot)
    known = []
    for _ in range(3):
        booking = book(slot)
        known.append(booking.known_position)
        db.session.expire(booking)  # forget it: the count from the database must agree
        assert booking.known_position is None
        assert service.waitlist_position(booking) == known[-1]
    assert known == [1, 2, 3]
    first_waiting = db.session.execute(sa.select(Booking).where(
        Booking.slot_id == slot.id, Booking.status == BookingStatus.waitlisted)
        .order_by(Booking.id)).scalars().first()
    last = book(slot)
    assert last.known_position == 4
    service.cancel(first_waiting)
    assert service.waitlist_position(last) == 3  # the commit made it forget the 4


def test_waitlist_positions_follow_arrival(db, create_slot, book, counters):
    slot = create_slot(capacity=2, max_party=2)
    full = book(slot, 2)
    waiting = [book(slot, 1) for _ in range(3)]
    assert full.status == BookingStatus.confirmed
    assert [b.status for b in waiting] == [BookingStatus.waitlisted] * 3
    assert [service.waitlist_position(b) for b in waiting] == [1, 2, 3]
    assert service.waitlist_position(full) is None
    assert counters(slot) == {"seats_taken": 2, "confirmed_count": 1, "waitlisted_count": 3,
                              "waitlisted_people": 3}
    service.cancel(waiting[0])
    assert [service.waitlist_position(db.session.get(Booking, b.id)) for b in waiting[1:]] == [1, 2]


def test_cancellation_promotes_in_arrival_order_skipping_parties_that_do_not_fit(db, create_slot, book, counters):
    slot = create_slot(capacity=4, max_party=4)
    a = book(slot, 2)
    b = book(slot, 2)
    c = book(slot, 3)  # waits first, too big for two freed seats
    d = book(slot, 1)
    e = book(slot, 1)
    assert [x.status for x in (a, b, c, d, e)] == ["confirmed", "confirmed", "waitlisted",
                                                   "waitlisted", "waitlisted"]
    promoted = service.cancel(a)
    assert [p.id for p in promoted] == [d.id, e.id]
    assert db.session.get(Booking, c.id).status == BookingStatus.waitlisted
    assert service.waitlist_position(db.session.get(Booking, c.id)) == 1
    assert counters(slot)["seats_taken"] == 4
    promoted = service.cancel(db.session.get(Booking, b.id))
    assert promoted == []  # two free seats, c still needs three
    promoted = service.cancel(db.session.get(Booking, d.id))
    assert [p.id for p in promoted] == [c.id]
    assert counters(slot) == {"seats_taken": 4, "confirmed_count": 2, "waitlisted_count": 0,
                              "waitlisted_people": 0}


def test_cancelling_a_waitlisted_booking_frees_no_seats(db, create_slot, book, counters):
    slot = create_slot(capacity=1, max_party=1)
    book(slot)
    waiting = book(slot)
    assert service.cancel(waiting) == []
    assert db.session.get(Booking, waiting.id).status == BookingStatus.cancelled
    assert counters(slot) == {"seats_taken": 1, "confirmed_count": 1, "waitlisted_count": 0,
                              "waitlisted_people": 0}


def test_cancelling_twice_changes_nothing(db, create_slot, book, counters):
    slot = create_slot(capacity=2)
    booking = book(slot, 2)
    service.cancel(booking)
    service.cancel(db.session.get(Booking, booking.id))
    assert counters(slot)["seats_taken"] == 0
    cancelled = db.session.get(Booking, booking.id)
    assert cancelled.cancelled_by == CancelledBy.citizen and cancelled.cancelled_at is not None


def test_citizen_cannot_cancel_after_check_in_or_start(db, create_slot, book):
    slot = create_slot(capacity=5)
    booking = book(slot)
    booking.checked_in_at = clock.now()
    db.session.commit()
    with pytest.raises(service.NotCancellable):
        service.cancel(booking)
    late_slot = create_slot(capacity=5)
    late = book(late_slot)
    late_slot.starts_at = clock.now() - timedelta(minutes=5)
    late_slot.ends_at = clock.now() + timedelta(hours=1)
    db.session.commit()
    with pytest.raises(service.NotCancellable):
        service.cancel(late)
    service.cancel(late, by=CancelledBy.lab)  # the lab still can
    assert db.session.get(Booking, late.id).status == BookingStatus.cancelled


# ---- one booking per phone per slot --------------------------------------------------------------

def test_same_phone_same_slot_is_already_booked_and_takes_no_seats(db, create_slot, book, counters):
    slot = create_slot(capacity=10)
    first = book(slot, 2, phone="13700001111")
    with pytest.raises(service.AlreadyBooked) as caught:
        book(slot, 3, phone="+86 137-0000-1111")
    error = caught.value
    assert error.status == 409 and error.code == "already_booked"
    assert set(error.fields) == {"phone"}
    told = " ".join([error.message, *error.fields.values(), str(error)])
    for secret in (first.code, first.manage_token, first.name):
        assert secret not in told
    assert counters(slot)["seats_taken"] == 2
    assert count_bookings(db) == 1


def test_same_phone_may_book_again_after_cancelling(db, create_slot, book):
    slot = create_slot(capacity=10)
    first = book(slot, phone="13700001111")
    service.cancel(first)
    second = book(slot, phone="13700001111")
    assert second.id != first.id and second.status == "confirmed"


def test_a_lost_insert_race_is_already_booked(db, create_slot, book, monkeypatch):
    """The partial unique index stops a second active booking even when the check missed it."""
    slot = create_slot(capacity=10)
    book(slot, phone="13700002222")
    calls = {"n": 0}
    original = service._phone_holds

    def first_call_misses(slot_id, phone, day):
        calls["n"] += 1
        mine, held = original(slot_id, phone, day)
        return (None, held) if calls["n"] == 1 else (mine, held)

    monkeypatch.setattr(service, "_phone_holds", first_call_misses)
    with pytest.raises(service.AlreadyBooked):
        book(slot, phone="13700002222")
    assert calls["n"] == 2  # the first check missed, the index refused, the retry's check saw it
    db.session.rollback()
    db.session.refresh(slot)
    assert slot.seats_taken == 1 and count_bookings(db) == 1


def test_a_lost_insert_race_with_a_key_answers_with_the_winners_booking(db, create_slot, monkeypatch):
    """Our own earlier request (same key) committed between our checks and our insert: the index
    refuses the insert, and the retry answers with that booking's receipt, not AlreadyBooked."""
    slot = create_slot(capacity=10)
    request = service.BookingRequest("张三", "13700003333", 2, True)
    key = "0b8f6a8e-6d2c-4f1e-9a7b-3c2d1e0f9a8b"
    winner = service.book(slot.id, request, idempotency_key=key)
    real_replay, real_holds = service._replay, service._phone_holds
    missed = {"replay": 0, "holds": 0}

    def replay_misses_once(k):
        missed["replay"] += 1
        return None if missed["replay"] == 1 else real_replay(k)

    def holds_misses_once(slot_id, phone, day):
        missed["holds"] += 1
        mine, held = real_holds(slot_id, phone, day)
        return (None, held) if missed["holds"] == 1 else (mine, held)

    monkeypatch.setattr(service, "_replay", replay_misses_once)
    monkeypatch.setattr(service, "_phone_holds", holds_misses_once)
    again = service.book(slot.id, request, idempotency_key=key)
    assert missed == {"replay": 2, "holds": 1}  # the index spoke, then the key answered
    assert again.id == winner.id and again.receipt == winner.receipt
    assert again.receipt["manage_token"] == winner.manage_token
    db.session.rollback()
    db.session.refresh(slot)
    assert slot.seats_taken == 2 and count_bookings(db) == 1


# ---- what cannot be booked -----------------------------------------------------------------------

def test_missing_slot(db):
    with pytest.raises(service.SlotNotFound):
        service.book(99999, service.BookingRequest("张三", "13800138000", 1, True))
    with pytest.raises(service.SlotNotFound):
        service.book("nope", service.BookingRequest("张三", "13800138000", 1, True))


def test_booking_closes_when_the_slot_starts(db, create_slot, book):
    slot = create_slot(starts_at=clock.now() - timedelta(minutes=1))
    with pytest.raises(service.BookingClosed):
        book(slot)
    assert count_bookings(db) == 0


def test_booking_closes_early_when_the_lab_says_so(db, create_slot, book):
    slot = create_slot(booking_closes_at=clock.now() - timedelta(minutes=1))
    with pytest.raises(service.BookingClosed):
        book(slot)
    open_slot = create_slot(booking_closes_at=clock.now() + timedelta(hours=1))
    assert book(open_slot).status == "confirmed"


def test_cancelled_slot_event_unlisted_or_suspended_lab_cannot_be_booked(db, create_event, create_slot,
                                                                          create_lab, book):
    cancelled_slot = create_slot(status=SlotStatus.cancelled)
    cancelled_event = create_slot(event=create_event(status=EventStatus.cancelled))
    draft = create_slot(event=create_event(status=EventStatus.draft))
    suspended = create_slot(event=create_event(lab=create_lab(name="暂停机构", status="suspended")))
    for slot in (cancelled_slot, cancelled_event, draft, suspended):
        with pytest.raises(service.SlotUnavailable):
            book(slot)
    assert count_bookings(db) == 0


# ---- capacity ------------------------------------------------------------------------------------

def test_capacity_never_below_seats_taken_and_growth_promotes(db, create_slot, book, counters):
    slot = create_slot(capacity=3, max_party=3)
    book(slot, 3)
    w1 = book(slot, 2)
    w2 = book(slot, 1)
    with pytest.raises(service.CapacityError):
        service.change_capacity(slot, 2)
    with pytest.raises(service.CapacityError):
        service.change_capacity(slot, 0)
    promoted = service.change_capacity(slot, 5)
    assert [p.id for p in promoted] == [w1.id]
    promoted = service.change_capacity(slot, 6)
    assert [p.id for p in promoted] == [w2.id]
    assert counters(slot) == {"seats_taken": 6, "confirmed_count": 3, "waitlisted_count": 0,
                              "waitlisted_people": 0}


def test_shrinking_capacity_caps_the_largest_party(db, create_slot):
    slot = create_slot(capacity=10, max_party=4)
    service.change_capacity(slot, 3)
    db.session.refresh(slot)
    assert (slot.capacity, slot.max_party) == (3, 3)


def test_cancel_slot_bookings_keeps_counters(db, create_slot, book, counters):
    slot = create_slot(capacity=2)
    book(slot, 2)
    book(slot, 1)

    def cancel_all():
        locked = kernel_db.lock_row(Slot, slot.id)
        locked.status = SlotStatus.cancelled
        return service.cancel_slot_bookings(locked, CancelledBy.lab)

    assert kernel_db.write_transaction(cancel_all) == 2
    assert counters(slot) == {"seats_taken": 0, "confirmed_count": 0, "waitlisted_count": 0,
                              "waitlisted_people": 0}
    cancelled = db.session.execute(sa.select(Booking)).scalars().all()
    assert {b.cancelled_by for b in cancelled} == {"lab"}


# ---- a locked database ---------------------------------------------------------------------------

def test_locked_database_is_retried_then_busy(db, create_slot, monkeypatch):
    from sqlalchemy.exc import OperationalError
    import sqlite3
    slot = create_slot()
    attempts = {"n": 0}

    def locked(*_args):
        attempts["n"] += 1
        raise OperationalError("BEGIN IMMEDIATE", {}, sqlite3.OperationalError("database is locked"))

    monkeypatch.setattr(service, "_book_in_transaction", locked)
    monkeypatch.setattr(kernel_db.time, "sleep", lambda _s: None)
    with pytest.raises(kernel_db.Busy) as caught:
        service.book(slot.id, service.BookingRequest("张三", "13800138000", 1, True))
    assert attempts["n"] == kernel_db.WRITE_ATTEMPTS
    assert caught.value.status == 503


def test_locked_database_then_free_succeeds(db, create_slot, monkeypatch):
    from sqlalchemy.exc import OperationalError
    import sqlite3
    slot = create_slot()
    real = service._book_in_transaction
    attempts = {"n": 0}

    def locked_once(*args):
        attempts["n"] += 1
        if attempts["n"] == 1:
            raise OperationalError("BEGIN IMMEDIATE", {}, sqlite3.OperationalError("database is locked"))
        return real(*args)

    monkeypatch.setattr(service, "_book_in_transaction", locked_once)
    monkeypatch.setattr(kernel_db.time, "sleep", lambda _s: None)
    booking = service.book(slot.id, service.BookingRequest("张三", "13800138000", 1, True))
    assert booking.status == "confirmed" and attempts["n"] == 2


def test_other_database_errors_are_not_swallowed(db, create_slot, monkeypatch):
    from sqlalchemy.exc import OperationalError
    slot = create_slot()

    def broken(*_args):
        raise OperationalError("SELECT", {}, Exception("no such table: slot"))

    monkeypatch.setattr(service, "_book_in_transaction", broken)
    with pytest.raises(OperationalError):
        service.book(slot.id, service.BookingRequest("张三", "13800138000", 1, True))

"""`openday check`: the booking invariants, and the rows named when one breaks."""
from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from openday import clock
from openday.bookings.commands import check_invariants
from openday.bookings.models import Booking
from openday.events.models import Slot

_serial = iter(range(1, 10**6))


@pytest.fixture
def add_booking(db):
    """Rows and counters written the way the booking service keeps them."""
    def make(slot, party_size=1, status="confirmed", checked_in=False, adjust=True):
        n = next(_serial)
        booking = Booking(slot_id=slot.id, code=f"T{n:07d}", manage_token=f"token-{n}",
                          name="张三", phone=f"139{n:08d}", party_size=party_size, status=status,
                          slot_day=clock.local(slot.starts_at).date(),
                          checked_in_at=clock.now() if checked_in else None)
        db.session.add(booking)
        if adjust and status == "confirmed":
            slot.seats_taken += party_size
            slot.confirmed_count += 1
            slot.checked_in_people += party_size if checked_in else 0
        elif adjust and status == "waitlisted":
            slot.waitlisted_count += 1
            slot.waitlisted_people += party_size
        db.session.commit()
        return booking
    return make


@pytest.fixture
def busy_slot(create_slot, add_booking):
    slot = create_slot(capacity=5)
    add_booking(slot, 2, checked_in=True)
    add_booking(slot, 3)
    add_booking(slot, 2, status="waitlisted")
    add_booking(slot, 1, status="cancelled")
    return slot


def run_check(runner, *args):
    return runner.invoke(args=["openday", "check", *args])


def test_consistent_data_passes(runner, busy_slot):
    result = run_check(runner)
    assert result.exit_code == 0, result.output
    assert result.output.startswith("OK: 1 slots, 4 bookings")


@pytest.mark.parametrize("column, value, expected", [
    ("seats_taken", 4, "seats_taken is 4, bookings say 5"),
    ("confirmed_count", 3, "confirmed_count is 3, bookings say 2"),
    ("waitlisted_count", 0, "waitlisted_count is 0, bookings say 1"),
    ("waitlisted_people", 1, "waitlisted_people is 1, bookings say 2"),
    ("checked_in_people", 0, "checked_in_people is 0, bookings say 2"),
])
def test_a_wrong_counter_fails_naming_the_slot(runner, db, busy_slot, column, value, expected):
    db.session.execute(sa.update(Slot).where(Slot.id == busy_slot.id).values({column: value}))
    db.session.commit()
    result = run_check(runner)
    assert result.exit_code == 1
    assert f"slot {busy_slot.id}: counter: {expected}" in result.output


def test_confirmed_seats_beyond_capacity_are_reported_as_oversold(runner, db, create_slot, add_booking):
    slot = create_slot(capacity=3)
    add_booking(slot, 2)
    add_booking(slot, 2, adjust=False)  # a second confirmed party the counter never saw
    result = run_check(runner)
    assert result.exit_code == 1
    assert f"slot {slot.id}: oversold: 4 confirmed seats exceed capacity 3" in result.output


def test_a_confirmed_booking_overtaking_the_waitlist_is_reported(runner, create_slot, add_booking):
    slot = create_slot(capacity=5)
    add_booking(slot, 4)
    waiting = add_booking(slot, 1, status="waitlisted")  # wrongly waitlisted: it fitted
    jumper = add_booking(slot, 1)
    result = run_check(runner)
    assert result.exit_code == 1
    assert f"booking {jumper.id} was confirmed after booking {waiting.id}" in result.output


def test_a_smaller_party_may_take_seats_a_waiting_larger_one_cannot_use(runner, create_slot, add_booking):
    slot = create_slot(capacity=5)
    add_booking(slot, 3)
    add_booking(slot, 3, status="waitlisted")
    add_booking(slot, 2)
    assert run_check(runner).exit_code == 0


def test_active_bookings_on_a_cancelled_slot_are_reported(runner, db, busy_slot):
    busy_slot.status = "cancelled"
    busy_slot.listed = False
    db.session.commit()
    result = run_check(runner)
    assert result.exit_code == 1
    assert f"slot {busy_slot.id}: cancelled: 3 active booking(s)" in result.output


def test_a_slot_out_of_step_with_its_event_is_reported(runner, db, busy_slot):
    busy_slot.kind = "quiz"
    busy_slot.listed = False
    db.session.commit()
    result = run_check(runner)
    assert result.exit_code == 1
    assert f"slot {busy_slot.id}: event copy: kind is 'quiz', its event's is 'tour'" in result.output
    assert f"slot {busy_slot.id}: event copy: listed is False" in result.output


def test_full_option_demands_exactly_full_slots(runner, create_slot, add_booking):
    full = create_slot(capacity=2)
    add_booking(full, 2)
    half = create_slot(capacity=4, starts_in=timedelta(days=3))
    add_booking(half, 2)
    assert run_check(runner, "--full", str(full.id)).exit_code == 0
    result = run_check(runner, "--full", f"{full.id},{half.id}")
    assert result.exit_code == 1
    assert f"slot {half.id}: expected full: seats_taken 2, capacity 4" in result.output
    assert run_check(runner, "--full", "x").exit_code == 2


def test_problems_beyond_the_limit_are_counted_not_listed(runner, db, create_slot, add_booking):
    slots = [create_slot(capacity=4, starts_in=timedelta(days=2 + i)) for i in range(3)]
    for slot in slots:
        add_booking(slot, 1, adjust=False)
    result = run_check(runner, "--limit", "1")
    assert result.exit_code == 1
    assert f"slot {slots[0].id}:" in result.output and f"slot {slots[2].id}:" not in result.output
    assert "2 more slot(s) or booking(s) not listed" in result.output


def test_check_report_is_usable_from_code(busy_slot):
    report = check_invariants()
    assert report.ok and report.slots == 1 and report.bookings == 4

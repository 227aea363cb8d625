"""Booking fixtures: check a slot's counters against its bookings (``book`` is in
tests/conftest.py)."""
from __future__ import annotations

import pytest
import sqlalchemy as sa


def counters_match(db, slot_id: int) -> dict:
    """Assert the slot's counters equal what its bookings add up to; return them."""
    from openday.bookings.models import Booking
    from openday.events.models import Slot
    db.session.rollback()
    slot = db.session.get(Slot, slot_id)
    db.session.refresh(slot)
    rows = db.session.execute(
        sa.select(Booking.status, sa.func.count(Booking.id), sa.func.coalesce(sa.func.sum(Booking.party_size), 0))
        .where(Booking.slot_id == slot_id).group_by(Booking.status)).all()
    by_status = {status: (count, people) for status, count, people in rows}
    confirmed = by_status.get("confirmed", (0, 0))
    waitlisted = by_status.get("waitlisted", (0, 0))
    actual = {"seats_taken": slot.seats_taken, "confirmed_count": slot.confirmed_count,
              "waitlisted_count": slot.waitlisted_count, "waitlisted_people": slot.waitlisted_people}
    expected = {"seats_taken": confirmed[1], "confirmed_count": confirmed[0],
                "waitlisted_count": waitlisted[0], "waitlisted_people": waitlisted[1]}
    assert actual == expected
    assert slot.seats_taken <= slot.capacity
    return actual


@pytest.fixture
def counters(db):
    return lambda slot: counters_match(db, slot.id if hasattr(slot, "id") else slot)

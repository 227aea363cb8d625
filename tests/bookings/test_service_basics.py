from __future__ import annotations

from openday.bookings import service
from openday.bookings.models import BookingStatus


def test_book_confirms_then_waitlists(db, create_slot, book):
    slot = create_slot(capacity=3, max_party=2)
    first, created = book(slot, 2)
    second, _ = book(slot, 2)
    third, _ = book(slot, 1)
    assert created
    assert [first.status, second.status, third.status] == [
        BookingStatus.confirmed, BookingStatus.waitlisted, BookingStatus.confirmed]
    db.session.refresh(slot)
    assert (slot.seats_taken, slot.confirmed_count, slot.waitlisted_count, slot.waitlisted_people) == (3, 2, 1, 2)
    assert service.waitlist_position(second) == 1
    promoted = service.cancel(first)
    assert [b.id for b in promoted] == [second.id]
    db.session.refresh(slot)
    assert (slot.seats_taken, slot.confirmed_count, slot.waitlisted_count, slot.waitlisted_people) == (3, 2, 0, 0)

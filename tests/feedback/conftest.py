"""Feedback fixtures: a visit that happened (booked, checked in) and a clock set after it."""
from __future__ import annotations

from datetime import timedelta

import pytest

from openday import clock


@pytest.fixture
def visited(book):
    """visited(slot, **booking) → a booking on ``slot`` checked in by its lab as it started
    (check-in opens on the slot's day; the clock goes back to what it was)."""
    from openday.bookings import staff

    def make(slot, **kw):
        booking = book(slot, **kw)
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(clock, "now", lambda: slot.starts_at)
            assert staff.check_in(slot.lab_id, booking.code).outcome == "checked_in"
        return booking
    return make


@pytest.fixture
def at(monkeypatch):
    """at(moment): from now on the app's clock says ``moment``."""
    def move(moment):
        monkeypatch.setattr(clock, "now", lambda: moment)
    return move


AFTER_START = timedelta(minutes=30)

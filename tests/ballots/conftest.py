"""Ballot fixtures: a ballot slot whose draw is ahead, and a recorder of what entrants are told."""
from __future__ import annotations

from datetime import timedelta

import pytest

from openday import clock

DRAW_IN = timedelta(hours=1)


@pytest.fixture
def ballot_slot(create_slot):
    def make(capacity: int = 6, max_party: int = 3, **kw):
        return create_slot(capacity=capacity, max_party=max_party, mode="ballot",
                           draw_at=clock.now() + DRAW_IN, **kw)
    return make


@pytest.fixture
def told(monkeypatch):
    """Every booking ``notify.tell_drawn`` was called with, as (code, status) in call order."""
    from openday.bookings import notify
    calls: list[tuple[str, str]] = []
    monkeypatch.setattr(notify, "tell_drawn", lambda booking: calls.append(
        (booking.code, str(booking.status))))
    return calls

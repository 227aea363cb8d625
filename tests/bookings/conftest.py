"""Booking fixtures: a bookable slot and a helper that books through the service."""
from __future__ import annotations

import itertools

import pytest

from openday.bookings import service

_phones = itertools.count(13800000000 + 1)


def next_phone() -> str:
    return str(next(_phones))


@pytest.fixture
def book(app):
    """book(slot, party_size=1, phone=None, name="张三") → (booking, created) via the service."""
    def do(slot, party_size: int = 1, phone: str | None = None, name: str = "张三", consent=True):
        request = service.BookingRequest(name=name, phone=phone or next_phone(),
                                         party_size=party_size, consent=consent)
        return service.book(slot.id if hasattr(slot, "id") else slot, request)
    return do

"""SPEC §3: a phone holds at most OPENDAY_PHONE_DAILY_LIMIT active bookings per Beijing day."""
from __future__ import annotations

from datetime import timedelta

import pytest

from openday import clock
from openday.bookings import service


@pytest.fixture
def app_config():
    return {"OPENDAY_PHONE_DAILY_LIMIT": 2}


def test_daily_cap_counts_active_bookings_per_beijing_day(db, create_event, create_slot, book):
    event = create_event()
    day = timedelta(days=3)
    slots = [create_slot(event=event, starts_at=clock.china_datetime(clock.today() + day, h))
             for h in (9, 11, 14)]
    phone = "13600003333"
    first = book(slots[0], phone=phone)
    book(slots[1], phone=phone)
    with pytest.raises(service.DailyLimitReached) as caught:
        book(slots[2], phone=phone)
    assert caught.value.fields == {"phone": caught.value.message}
    # another day is another allowance
    tomorrow = create_slot(event=event, starts_at=clock.china_datetime(clock.today() + day + timedelta(days=1), 9))
    assert book(tomorrow, phone=phone).status == "confirmed"
    # a cancelled booking gives its place back
    service.cancel(first)
    assert book(slots[2], phone=phone).status == "confirmed"


def test_beijing_day_not_utc_day(db, create_event, create_slot, book):
    event = create_event()
    day = clock.today() + timedelta(days=4)
    # 07:00 and 09:00 Beijing on the same Beijing day: 23:00 UTC the day before and 01:00 UTC
    early = create_slot(event=event, starts_at=clock.china_datetime(day, 7), hours=1)
    late = create_slot(event=event, starts_at=clock.china_datetime(day, 9), hours=1)
    third = create_slot(event=event, starts_at=clock.china_datetime(day, 20), hours=1)
    phone = "13600004444"
    assert book(early, phone=phone).slot_day == day
    book(late, phone=phone)
    with pytest.raises(service.DailyLimitReached):
        book(third, phone=phone)

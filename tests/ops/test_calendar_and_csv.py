"""The booking's calendar file (a stable UID on the public host, SEQUENCE, no secret link) and the
stats CSV's Content-Type."""
from __future__ import annotations

import pytest
import sqlalchemy as sa
from icalendar import Calendar

from openday.bookings import service
from openday.bookings.models import Booking


def _book(client, db, slot) -> Booking:
    response = client.submit(f"/slots/{slot.id}/book",
                             {"name": "李四", "phone": "13800138000", "party_size": "2", "consent": "y"})
    assert response.status_code in (302, 303), response.get_data(as_text=True)[:300]
    db.session.rollback()
    return db.session.execute(sa.select(Booking)).scalar_one()


def _entry(client, booking):
    response = client.get(f"/bookings/{booking.manage_token}.ics")
    assert response.status_code == 200
    return response.data.decode(), next(iter(Calendar.from_ical(response.data).walk("VEVENT")))


@pytest.mark.parametrize("app_config", [{"OPENDAY_PUBLIC_URL": "https://openday.example.cn"}])
def test_calendar_uid_names_the_public_host_and_links_the_event_not_the_manage_page(
        client, db, create_slot, app_config):
    slot = create_slot()
    booking = _book(client, db, slot)
    text, entry = _entry(client, booking)
    assert str(entry["uid"]) == f"{booking.code}@openday.example.cn"
    assert str(entry["url"]) == f"https://openday.example.cn/events/{slot.event_id}"
    assert f"https://openday.example.cn/events/{slot.event_id}" in str(entry["description"])
    assert booking.manage_token not in text
    assert "/bookings/" not in text


def test_calendar_uid_falls_back_to_the_request_host(client, db, create_slot):
    booking = _book(client, db, create_slot())
    _text, entry = _entry(client, booking)
    assert str(entry["uid"]) == f"{booking.code}@localhost"


def test_calendar_sequence_rises_when_the_booking_is_cancelled(client, db, create_slot):
    booking = _book(client, db, create_slot())
    _text, before = _entry(client, booking)
    assert before.decoded("sequence") == 0 and str(before["status"]) == "CONFIRMED"
    service.cancel(booking)
    _text, after = _entry(client, booking)
    assert str(after["uid"]) == str(before["uid"])  # the same entry, revised
    assert after.decoded("sequence") > before.decoded("sequence")
    assert str(after["status"]) == "CANCELLED"


def test_stats_csv_names_its_charset_once(client, campaign, national):
    response = client.get("/regulator/stats.csv")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"

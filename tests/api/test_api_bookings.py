"""POST /api/v1/slots/<id>/bookings, GET and DELETE /api/v1/bookings/<token> (SPEC §3, §6)."""
from __future__ import annotations

import json
from datetime import timedelta

import pytest
import sqlalchemy as sa

from openday import clock
from openday.bookings.models import Booking
from openday.events.models import SlotStatus

CREATED_KEYS = {"code", "status", "party_size", "waitlist_position", "manage_token"}


def payload(**changes):
    body = {"name": "赵六", "phone": "+86 138-0013-8000", "party_size": 2, "consent": True}
    body.update(changes)
    return body


def stored(db) -> int:
    db.session.rollback()
    return db.session.execute(sa.select(sa.func.count(Booking.id))).scalar_one()


def test_lifecycle(client, db, create_slot):
    slot = create_slot(capacity=2, max_party=2)
    url = f"/api/v1/slots/{slot.id}/bookings"

    created = client.post(url, json=payload())
    assert created.status_code == 201
    body = created.get_json()
    assert set(body) == CREATED_KEYS
    assert body["status"] == "confirmed" and body["party_size"] == 2 and body["waitlist_position"] is None

    repeat = client.post(url, json=payload(party_size=1))
    assert repeat.status_code == 409 and repeat.get_json()["error"]["code"] == "already_booked"

    waiting = client.post(url, json=payload(phone="13900139000", party_size=1)).get_json()
    assert waiting["status"] == "waitlisted" and waiting["waitlist_position"] == 1

    shown = client.get(f"/api/v1/bookings/{body['manage_token']}")
    assert shown.status_code == 200
    detail = shown.get_json()
    assert {"code", "status", "party_size", "waitlist_position", "slot_id", "checked_in_at"} <= set(detail)
    assert detail["slot_id"] == slot.id and detail["checked_in_at"] is None
    assert detail["phone"] == "138****8000"
    assert "13800138000" not in shown.get_data(as_text=True)
    assert "manage_token" not in detail and "name" not in detail

    cancelled = client.delete(f"/api/v1/bookings/{body['manage_token']}")
    assert cancelled.status_code == 200 and cancelled.get_json()["status"] == "cancelled"
    promoted = client.get(f"/api/v1/bookings/{waiting['manage_token']}").get_json()
    assert promoted["status"] == "confirmed" and promoted["waitlist_position"] is None
    again = client.delete(f"/api/v1/bookings/{body['manage_token']}")
    assert again.status_code == 200 and again.get_json()["status"] == "cancelled"


def test_a_strangers_repeat_of_the_phone_reveals_nothing_and_takes_no_seats(app, client, db, create_slot):
    slot = create_slot(capacity=5, max_party=4)
    url = f"/api/v1/slots/{slot.id}/bookings"
    mine = client.post(url, json=payload(party_size=2)).get_json()

    repeat = app.test_client().post(url, json=payload(name="陌生人", party_size=3))
    assert repeat.status_code == 409
    assert set(repeat.get_json()) == {"error"}
    error = repeat.get_json()["error"]
    assert error["code"] == "already_booked" and list(error["fields"]) == ["phone"]
    text = repeat.get_data(as_text=True)
    for secret in (mine["code"], mine["manage_token"], "赵六", "manage_token", "/bookings/"):
        assert secret not in text
    assert stored(db) == 1
    db.session.refresh(slot)
    assert slot.seats_taken == 2


def test_checked_in_at_is_iso_with_offset(client, db, create_slot):
    slot = create_slot()
    token = client.post(f"/api/v1/slots/{slot.id}/bookings", json=payload()).get_json()["manage_token"]
    booking = db.session.execute(sa.select(Booking)).scalar_one()
    booking.checked_in_at = clock.now()
    db.session.commit()
    detail = client.get(f"/api/v1/bookings/{token}").get_json()
    assert detail["checked_in_at"].endswith("+08:00")
    assert client.delete(f"/api/v1/bookings/{token}").status_code == 409  # checked in: too late


@pytest.mark.parametrize("raw,content_type", [
    (b"{not json", "application/json"),
    (b"[1, 2]", "application/json"),
    (b'"hello"', "application/json"),
    (b"", "application/json"),
    (b"name=a&phone=b", "application/x-www-form-urlencoded"),
])
def test_malformed_bodies_are_400(client, db, create_slot, raw, content_type):
    slot = create_slot()
    response = client.post(f"/api/v1/slots/{slot.id}/bookings", data=raw, content_type=content_type)
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "bad_json"
    assert stored(db) == 0


@pytest.mark.parametrize("changes,field", [
    ({"name": 5}, "name"), ({"name": ["a"]}, "name"), ({"name": ""}, "name"),
    ({"name": "长" * 41}, "name"), ({"name": "x" * 5000}, "name"),
    ({"phone": 13800138000}, "phone"), ({"phone": "1" * 5000}, "phone"), ({"phone": None}, "phone"),
    ({"party_size": "2"}, "party_size"), ({"party_size": 2.0}, "party_size"),
    ({"party_size": True}, "party_size"), ({"party_size": 5}, "party_size"),
    ({"party_size": 0}, "party_size"), ({"party_size": 10 ** 30}, "party_size"),
    ({"consent": "yes"}, "consent"), ({"consent": 1}, "consent"), ({"consent": False}, "consent"),
])
def test_wrong_types_and_values_are_422_and_store_nothing(client, db, create_slot, changes, field):
    slot = create_slot()
    response = client.post(f"/api/v1/slots/{slot.id}/bookings", json=payload(**changes))
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "invalid" and list(error["fields"]) == [field]
    assert isinstance(error["fields"][field], list)
    assert stored(db) == 0


def test_missing_fields_are_named(client, db, create_slot):
    slot = create_slot()
    response = client.post(f"/api/v1/slots/{slot.id}/bookings", json={})
    assert set(response.get_json()["error"]["fields"]) == {"name", "phone", "party_size", "consent"}


def test_huge_body_is_413(client, db, create_slot):
    slot = create_slot()
    body = json.dumps(payload(name="x" * 20000))
    response = client.post(f"/api/v1/slots/{slot.id}/bookings", data=body, content_type="application/json")
    assert response.status_code == 413 and response.get_json()["error"]["code"] == "too_large"
    assert stored(db) == 0


def test_missing_expired_and_cancelled_slots(client, db, create_slot):
    assert client.post("/api/v1/slots/999999/bookings", json=payload()).status_code == 404
    expired = create_slot(starts_at=clock.now() - timedelta(hours=1))
    response = client.post(f"/api/v1/slots/{expired.id}/bookings", json=payload())
    assert response.status_code == 409 and response.get_json()["error"]["code"] == "booking_closed"
    cancelled = create_slot(status=SlotStatus.cancelled)
    response = client.post(f"/api/v1/slots/{cancelled.id}/bookings", json=payload())
    assert response.status_code == 409 and response.get_json()["error"]["code"] == "slot_unavailable"
    assert stored(db) == 0


def test_daily_limit_is_409(app, client, db, create_event, create_slot):
    app.config["OPENDAY_PHONE_DAILY_LIMIT"] = 1
    event = create_event()
    day = clock.today() + timedelta(days=2)
    one = create_slot(event=event, starts_at=clock.china_datetime(day, 9))
    two = create_slot(event=event, starts_at=clock.china_datetime(day, 14))
    assert client.post(f"/api/v1/slots/{one.id}/bookings", json=payload()).status_code == 201
    response = client.post(f"/api/v1/slots/{two.id}/bookings", json=payload())
    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "daily_limit"
    assert "phone" in response.get_json()["error"]["fields"]


def test_busy_is_503_with_retry_after(client, db, create_slot, monkeypatch):
    from openday.bookings import service
    from openday.core.db import Busy
    slot = create_slot()

    def busy(*_a, **_k):
        raise Busy()

    monkeypatch.setattr(service, "book", busy)
    response = client.post(f"/api/v1/slots/{slot.id}/bookings", json=payload())
    assert response.status_code == 503
    assert response.headers["Retry-After"] and response.get_json()["error"]["code"] == "busy"


def test_unknown_tokens_are_404(client):
    for method in (client.get, client.delete):
        response = method("/api/v1/bookings/" + "A" * 43)
        assert response.status_code == 404 and response.get_json()["error"]["code"] == "not_found"


@pytest.mark.parametrize("why", ["checked_in", "started"])
def test_a_citizen_cannot_cancel_once_checked_in_or_started(client, db, create_slot, why):
    from openday.bookings import staff
    from openday.bookings.models import CancelledBy
    from openday.bookings.service import cancel_refusal
    slot = create_slot()
    body = client.post(f"/api/v1/slots/{slot.id}/bookings", json=payload()).get_json()
    if why == "checked_in":
        assert staff.check_in(slot.lab_id, body["code"], early=True).outcome == "checked_in"
    else:
        slot.starts_at, slot.ends_at = clock.now() - timedelta(hours=1), clock.now() + timedelta(hours=1)
        db.session.commit()
    token = body["manage_token"]
    page = client.get(f"/bookings/{token}").get_data(as_text=True)
    assert f"/bookings/{token}/cancel" not in page  # the manage page offers no cancel button
    response = client.delete(f"/api/v1/bookings/{token}")
    assert response.status_code == 409 and response.get_json()["error"]["code"] == "not_cancellable"
    assert client.get(f"/api/v1/bookings/{token}").get_json()["status"] == "confirmed"
    booking = db.session.execute(sa.select(Booking).where(Booking.code == body["code"])).scalar_one()
    assert cancel_refusal(booking, booking.slot, CancelledBy.lab) is None  # the lab still may


def test_an_open_booking_offers_its_cancel_button(client, create_slot):
    slot = create_slot()
    token = client.post(f"/api/v1/slots/{slot.id}/bookings", json=payload()).get_json()["manage_token"]
    assert f"/bookings/{token}/cancel" in client.get(f"/bookings/{token}").get_data(as_text=True)

"""Idempotency-Key on POST /api/v1/slots/<id>/bookings (SPEC §6): a retry with the same key gets
the first answer again, token included, and books nothing; another body with it is refused."""
from __future__ import annotations

import hashlib
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
import sqlalchemy as sa

from openday import clock
from openday.bookings.models import Booking, IdempotencyKey
from openday.events.models import Slot


def payload(**changes):
    body = {"name": "赵六", "phone": "13800138000", "party_size": 2, "consent": True}
    body.update(changes)
    return body


def key() -> str:
    return str(uuid.uuid4())


def rows(db, model) -> int:
    db.session.rollback()
    return db.session.execute(sa.select(sa.func.count()).select_from(model)).scalar_one()


def seats_taken(db, slot_id: int) -> int:
    db.session.rollback()
    return db.session.get(Slot, slot_id).seats_taken


def test_the_same_key_gets_the_identical_answer_and_books_nothing_more(client, db, create_slot):
    slot = create_slot(capacity=10)
    url = f"/api/v1/slots/{slot.id}/bookings"
    sent = key()
    first = client.post(url, json=payload(), headers={"Idempotency-Key": sent})
    assert first.status_code == 201
    again = client.post(url, json=payload(), headers={"Idempotency-Key": sent})
    assert again.status_code == first.status_code
    assert again.get_data() == first.get_data()
    assert again.get_json()["manage_token"] == first.get_json()["manage_token"]
    assert rows(db, Booking) == 1 and seats_taken(db, slot.id) == 2
    # without the key, the same request is a stranger's repeat
    plain = client.post(url, json=payload())
    assert plain.status_code == 409 and plain.get_json()["error"]["code"] == "already_booked"


def test_the_replay_is_the_first_answer_even_after_the_booking_changed(client, db, create_slot):
    slot = create_slot(capacity=3, max_party=2)
    url = f"/api/v1/slots/{slot.id}/bookings"
    client.post(url, json=payload(phone="13900139000"))
    sent = key()
    first = client.post(url, json=payload(party_size=1), headers={"Idempotency-Key": sent})
    assert first.get_json()["status"] == "confirmed"
    client.delete(f"/api/v1/bookings/{first.get_json()['manage_token']}")
    again = client.post(url, json=payload(party_size=1), headers={"Idempotency-Key": sent})
    assert (again.status_code, again.get_data()) == (201, first.get_data())
    assert rows(db, Booking) == 2


def test_a_waitlisted_answer_is_replayed_with_its_place(client, db, create_slot):
    slot = create_slot(capacity=1, max_party=1)
    url = f"/api/v1/slots/{slot.id}/bookings"
    client.post(url, json=payload(phone="13900139000", party_size=1))
    sent = key()
    first = client.post(url, json=payload(party_size=1), headers={"Idempotency-Key": sent})
    assert first.get_json()["status"] == "waitlisted" and first.get_json()["waitlist_position"] == 1
    again = client.post(url, json=payload(party_size=1), headers={"Idempotency-Key": sent})
    assert again.get_data() == first.get_data()


@pytest.mark.parametrize("changes", [{"party_size": 1}, {"name": "赵七"}, {"phone": "13900139000"}])
def test_the_same_key_with_another_body_is_422(client, db, create_slot, changes):
    slot = create_slot(capacity=10)
    url = f"/api/v1/slots/{slot.id}/bookings"
    sent = key()
    assert client.post(url, json=payload(), headers={"Idempotency-Key": sent}).status_code == 201
    other = client.post(url, json=payload(**changes), headers={"Idempotency-Key": sent})
    assert other.status_code == 422
    error = other.get_json()["error"]
    assert error["code"] == "idempotency_key_reused" and "Idempotency-Key" in error["fields"]
    assert "manage_token" not in other.get_data(as_text=True)
    assert rows(db, Booking) == 1 and seats_taken(db, slot.id) == 2


def test_the_same_key_on_another_slot_is_422(client, db, create_slot):
    one, two = create_slot(capacity=10), create_slot(capacity=10)
    sent = key()
    assert client.post(f"/api/v1/slots/{one.id}/bookings", json=payload(),
                       headers={"Idempotency-Key": sent}).status_code == 201
    other = client.post(f"/api/v1/slots/{two.id}/bookings", json=payload(),
                        headers={"Idempotency-Key": sent})
    assert other.status_code == 422 and rows(db, Booking) == 1


@pytest.mark.parametrize("bad", ["", "short", "x" * 256, "key with spaces in it", "é" * 20])
def test_malformed_keys_are_400_and_book_nothing(client, db, create_slot, bad):
    slot = create_slot()
    response = client.post(f"/api/v1/slots/{slot.id}/bookings", json=payload(),
                           headers={"Idempotency-Key": bad.encode().decode("latin-1")})
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "bad_idempotency_key"
    assert rows(db, Booking) == 0


def test_only_a_hash_of_the_key_is_stored(client, db, create_slot):
    slot = create_slot()
    sent = key()
    client.post(f"/api/v1/slots/{slot.id}/bookings", json=payload(), headers={"Idempotency-Key": sent})
    db.session.rollback()
    stored = db.session.execute(sa.select(IdempotencyKey)).scalar_one()
    assert stored.key_hash == hashlib.sha256(sent.encode()).hexdigest()
    values = [str(getattr(stored, c.key)) for c in sa.inspect(IdempotencyKey).column_attrs]
    assert not any(sent in value for value in values)


def test_a_refused_request_keeps_nothing_under_its_key(client, db, create_slot):
    slot = create_slot(capacity=10)
    url = f"/api/v1/slots/{slot.id}/bookings"
    first = client.post(url, json=payload(phone="13800138000"))
    sent = key()
    refused = client.post(url, json=payload(), headers={"Idempotency-Key": sent})
    assert refused.status_code == 409 and rows(db, IdempotencyKey) == 0
    client.delete(f"/api/v1/bookings/{first.get_json()['manage_token']}")
    # asked again, it is asked again: the phone is free now
    assert client.post(url, json=payload(), headers={"Idempotency-Key": sent}).status_code == 201


def test_keys_older_than_a_day_are_ignored_and_purged(client, db, create_slot):
    slot = create_slot(capacity=10)
    url = f"/api/v1/slots/{slot.id}/bookings"
    old, recent = key(), key()
    client.post(url, json=payload(), headers={"Idempotency-Key": old})
    client.post(url, json=payload(phone="13900139000"), headers={"Idempotency-Key": recent})
    db.session.rollback()
    db.session.execute(sa.update(IdempotencyKey).where(
        IdempotencyKey.key_hash == hashlib.sha256(old.encode()).hexdigest())
        .values(created_at=clock.now() - timedelta(hours=24, minutes=1)))
    db.session.commit()
    again = client.post(url, json=payload(), headers={"Idempotency-Key": old})
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "already_booked"
    # the old key is free again for a new request; storing it purges what expired
    new = client.post(url, json=payload(phone="13700137000"), headers={"Idempotency-Key": old})
    assert new.status_code == 201
    db.session.rollback()
    kept = dict(db.session.execute(sa.select(IdempotencyKey.key_hash, IdempotencyKey.booking_id)).all())
    booking_of = dict(db.session.execute(sa.select(Booking.phone, Booking.id)).all())
    assert kept == {hashlib.sha256(old.encode()).hexdigest(): booking_of["+8613700137000"],
                    hashlib.sha256(recent.encode()).hexdigest(): booking_of["+8613900139000"]}


THREADS = 8


def race(app, url: str, sent: str, bodies: list[dict]) -> list[tuple[int, bytes]]:
    barrier = threading.Barrier(len(bodies))

    def one(body: dict):
        client = app.test_client()
        barrier.wait(timeout=30)
        response = client.post(url, json=body, headers={"Idempotency-Key": sent})
        return response.status_code, response.get_data()

    with ThreadPoolExecutor(len(bodies)) as pool:
        return list(pool.map(one, bodies))


def test_concurrent_requests_with_one_key_make_one_booking(app, db, create_slot):
    slot_id = create_slot(capacity=10).id
    db.session.rollback()
    answers = race(app, f"/api/v1/slots/{slot_id}/bookings", key(), [payload()] * THREADS)
    assert {status for status, _body in answers} == {201}
    assert len({body for _status, body in answers}) == 1
    assert rows(db, Booking) == 1 and rows(db, IdempotencyKey) == 1
    assert seats_taken(db, slot_id) == 2


def test_concurrent_requests_with_one_key_and_two_bodies_make_one_booking(app, db, create_slot):
    slot_id = create_slot(capacity=10).id
    db.session.rollback()
    bodies = [payload(phone="13800138000" if i % 2 else "13900139000") for i in range(THREADS)]
    answers = race(app, f"/api/v1/slots/{slot_id}/bookings", key(), bodies)
    booked = {body for status, body in answers if status == 201}
    assert len(booked) == 1
    assert sorted(status for status, _body in answers) == [201] * (THREADS // 2) + [422] * (THREADS // 2)
    assert rows(db, Booking) == 1 and seats_taken(db, slot_id) == 2

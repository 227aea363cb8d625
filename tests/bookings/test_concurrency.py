"""SPEC §3: seats are taken atomically whatever the concurrency, on SQLite and on PostgreSQL.

Many threads of one app, then several gunicorn worker processes (each its own create_app()), book
one slot at the same moment through the JSON API. Exactly the seats that fit are confirmed, never
more than capacity; everyone else is waitlisted in arrival order (booking id); nobody sees a 5xx;
the slot's counters equal its bookings; cancellations then promote the right waitlisted bookings.
"""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import sqlalchemy as sa

from openday.bookings.models import Booking

CAPACITY = 10
CLIENTS = 40
ROOT = Path(__file__).resolve().parents[2]


def phone(i: int) -> str:
    return f"1390000{i:04d}"


def key(i: int) -> str:
    return f"client-{i:04d}-0f3c9a7e"


def party(i: int) -> int:
    return 1 + i % 2


def statuses(db, slot_id: int) -> list[tuple[int, int, str]]:
    db.session.rollback()
    return [tuple(row) for row in db.session.execute(
        sa.select(Booking.id, Booking.party_size, Booking.status)
        .where(Booking.slot_id == slot_id).order_by(Booking.id)).all()]


def expected_after_arrivals(rows, capacity: int) -> list[str]:
    """What serial booking in arrival (id) order gives: seats to whoever fits, else the waitlist."""
    left, result = capacity, []
    for _id, size, _status in rows:
        if size <= left:
            left -= size
            result.append("confirmed")
        else:
            result.append("waitlisted")
    return result


def expected_promotions(rows, capacity: int) -> set[int]:
    """After a cancellation: waitlisted in id order, each promoted if it fits (skipping others)."""
    left = capacity - sum(size for _id, size, status in rows if status == "confirmed")
    promoted = set()
    for booking_id, size, status in rows:
        if status == "waitlisted" and size <= left:
            left -= size
            promoted.add(booking_id)
    return promoted


def check_after_arrivals(db, counters, slot_id: int, answers: list[tuple[int, dict]]) -> list:
    assert all(status in (200, 201) for status, _body in answers), \
        sorted({status for status, _ in answers})
    assert len({body["code"] for _status, body in answers}) == CLIENTS
    rows = statuses(db, slot_id)
    assert len(rows) == CLIENTS
    assert [status for *_rest, status in rows] == expected_after_arrivals(rows, CAPACITY)
    taken = counters(slot_id)["seats_taken"]
    assert taken <= CAPACITY
    smallest_waiting = min((size for _i, size, s in rows if s == "waitlisted"), default=None)
    # the slot is full, or the only seat left is too small for every party waiting
    assert taken == CAPACITY or (smallest_waiting and smallest_waiting > CAPACITY - taken)
    # waitlist positions are 1..n in arrival order
    positions = [body["waitlist_position"] for _s, body in sorted(
        answers, key=lambda a: a[1]["code"]) if body["status"] == "waitlisted"]
    assert sorted(positions) == list(range(1, len(positions) + 1))
    return rows


def check_invariants_after_cancels(db, counters, slot_id: int) -> None:
    counters(slot_id)
    rows = statuses(db, slot_id)
    assert expected_promotions(rows, CAPACITY) == set()  # nobody waiting would fit now


# ---- threads -------------------------------------------------------------------------------------

def test_many_threads_never_oversell(app, db, create_slot, counters):
    slot_id = create_slot(capacity=CAPACITY, max_party=2).id
    db.session.rollback()
    barrier = threading.Barrier(CLIENTS)

    def one(i: int):
        client = app.test_client()
        barrier.wait(timeout=30)
        response = client.post(f"/api/v1/slots/{slot_id}/bookings", json={
            "name": f"市民{i}", "phone": phone(i), "party_size": party(i), "consent": True})
        return response.status_code, response.get_json()

    with ThreadPoolExecutor(CLIENTS) as pool:
        answers = list(pool.map(one, range(CLIENTS)))
    assert {status for status, _ in answers} == {201}
    rows = check_after_arrivals(db, counters, slot_id, answers)
    token_of = {body["code"]: body["manage_token"] for _s, body in answers}
    code_of = {row.id: row.code for row in db.session.execute(
        sa.select(Booking.id, Booking.code).where(Booking.slot_id == slot_id))}

    # Cancel the confirmed bookings one by one: each time exactly the waitlisted bookings that
    # fit, in arrival order, are promoted, in the same request.
    client = app.test_client()
    for booking_id, _size, status in rows[:12]:
        if status != "confirmed":
            continue
        before = statuses(db, slot_id)
        current = next(r for r in before if r[0] == booking_id)
        if current[2] != "confirmed":
            continue
        response = client.delete(f"/api/v1/bookings/{token_of[code_of[booking_id]]}")
        assert response.status_code == 200 and response.get_json()["status"] == "cancelled"
        after_cancel = [(i, s, "cancelled" if i == booking_id else st) for i, s, st in before]
        promoted = expected_promotions(after_cancel, CAPACITY)
        now = {i: st for i, _s, st in statuses(db, slot_id)}
        assert {i for i, _s, st in before if st == "waitlisted" and now[i] == "confirmed"} == promoted
        check_invariants_after_cancels(db, counters, slot_id)


def test_concurrent_cancellations_and_bookings_keep_counters(app, db, create_slot, counters):
    """Cancels and new bookings racing on one slot: counters stay exact, nothing over capacity."""
    slot_id = create_slot(capacity=CAPACITY, max_party=2).id
    db.session.rollback()
    first = app.test_client()
    tokens = []
    for i in range(20):
        body = first.post(f"/api/v1/slots/{slot_id}/bookings", json={
            "name": "甲", "phone": phone(i), "party_size": party(i), "consent": True}).get_json()
        tokens.append(body["manage_token"])
    barrier = threading.Barrier(20)

    def one(i: int):
        client = app.test_client()
        barrier.wait(timeout=30)
        if i % 2:
            return client.delete(f"/api/v1/bookings/{tokens[i]}").status_code
        return client.post(f"/api/v1/slots/{slot_id}/bookings", json={
            "name": "乙", "phone": phone(100 + i), "party_size": party(i), "consent": True}).status_code

    with ThreadPoolExecutor(20) as pool:
        codes = list(pool.map(one, range(20)))
    assert set(codes) <= {200, 201}
    check_invariants_after_cancels(db, counters, slot_id)


# ---- processes -----------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def server(app, tmp_path):
    """gunicorn with 3 worker processes on this test's database."""
    port = free_port()
    env = dict(os.environ, OPENDAY_DATABASE_URL=app.config["OPENDAY_DATABASE_URL"],
               SECRET_KEY="test-secret-key-0123456789abcdef", OPENDAY_RATELIMIT_ENABLED="0",
               OPENDAY_SECURE_COOKIES="0")
    log = open(tmp_path / "gunicorn.log", "w")
    process = subprocess.Popen(
        [str(Path(sys.executable).with_name("gunicorn")), "--workers", "3", "--worker-class",
         "gthread", "--threads", "8", "--bind", f"127.0.0.1:{port}", "--timeout", "30", "wsgi:app"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            urllib.request.urlopen(base + "/api/v1/openapi.json", timeout=2).read()
            break
        except (urllib.error.URLError, ConnectionError, OSError):
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                pytest.fail("gunicorn did not start: " + (tmp_path / "gunicorn.log").read_text()[-2000:])
            time.sleep(0.2)
    yield base
    process.send_signal(signal.SIGINT)  # gunicorn's quick shutdown: the test is over
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
    log.close()


def http(method: str, url: str, body: dict | None = None, key: str | None = None) -> tuple[int, dict]:
    data = json.dumps(body).encode() if body is not None else None
    headers = {"Content-Type": "application/json"}
    if key is not None:
        headers["Idempotency-Key"] = key
    request = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


def test_several_processes_never_oversell(app, db, create_slot, counters, server):
    slot_id = create_slot(capacity=CAPACITY, max_party=2).id
    db.session.rollback()
    barrier = threading.Barrier(CLIENTS)

    def one(i: int):
        barrier.wait(timeout=30)
        return http("POST", f"{server}/api/v1/slots/{slot_id}/bookings", {
            "name": f"市民{i}", "phone": phone(i), "party_size": party(i), "consent": True},
            key=key(i))

    with ThreadPoolExecutor(CLIENTS) as pool:
        answers = list(pool.map(one, range(CLIENTS)))
    assert {status for status, _ in answers} == {201}
    rows = check_after_arrivals(db, counters, slot_id, answers)

    # Resubmissions from every client at once, twice each, into any worker: with the key, the
    # first answer again; without it, already_booked and nothing else. No seat moves.
    def resubmit(n: int):
        i, keyed = n % CLIENTS, n < CLIENTS
        body = {"name": f"市民{i}", "phone": phone(i), "party_size": party(i), "consent": True}
        return http("POST", f"{server}/api/v1/slots/{slot_id}/bookings", body,
                    key=key(i) if keyed else None)

    with ThreadPoolExecutor(CLIENTS) as pool:
        again = list(pool.map(resubmit, range(2 * CLIENTS)))
    assert again[:CLIENTS] == answers
    assert {(status, body["error"]["code"]) for status, body in again[CLIENTS:]} == {(409, "already_booked")}
    assert statuses(db, slot_id) == rows

    # Cancel five confirmed bookings from five processes' worth of clients at once.
    confirmed = [body["manage_token"] for _s, body in answers if body["status"] == "confirmed"][:5]
    with ThreadPoolExecutor(5) as pool:
        cancelled = list(pool.map(lambda t: http("DELETE", f"{server}/api/v1/bookings/{t}"), confirmed))
    assert {status for status, _ in cancelled} == {200}
    check_invariants_after_cancels(db, counters, slot_id)
    assert counters(slot_id)["seats_taken"] >= CAPACITY - 1  # the waitlist refilled it

"""SQLITE_BUSY never reaches a citizen as a 500: a write lock held elsewhere (a long import, a
stuck process) gives a clear 503 with Retry-After, and nothing half-written."""
from __future__ import annotations

import sqlite3

import pytest
import sqlalchemy as sa

from openday import database
from openday.bookings.models import Booking
from openday.core import db as kernel_db


@pytest.fixture
def backend() -> str:
    return "sqlite"  # PostgreSQL waits on row locks instead of failing: nothing to show there


@pytest.fixture
def locked(app, db, monkeypatch):
    """Another connection holds SQLite's write lock; our connections wait 0.1 s for it."""
    monkeypatch.setattr(database, "SQLITE_BUSY_TIMEOUT_MS", 100)
    monkeypatch.setattr(kernel_db, "BUSY_DEADLINE_S", 0.5)
    monkeypatch.setattr(kernel_db.time, "sleep", lambda _s: None)
    db.session.remove()
    db.engine.dispose()  # new connections pick up the short busy timeout
    other = sqlite3.connect(app.config["OPENDAY_DATABASE_URL"].removeprefix("sqlite:///"),
                            isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    yield other
    other.execute("ROLLBACK")
    other.close()


def test_locked_database_is_503_through_api_and_form(app, client, db, create_slot, request):
    slot_id = create_slot().id
    form_url = f"/slots/{slot_id}/book"
    token = client.csrf_token(form_url)  # reading works while another writer holds the lock (WAL)
    other = request.getfixturevalue("locked")

    response = client.post(f"/api/v1/slots/{slot_id}/bookings", json={
        "name": "周九", "phone": "13800138000", "party_size": 1, "consent": True})
    assert response.status_code == 503
    assert response.headers["Retry-After"] and response.get_json()["error"]["code"] == "busy"

    page = client.post(form_url, data={"csrf_token": token, "name": "周九", "phone": "13800138000",
                                       "party_size": "1", "consent": "y"})
    assert page.status_code == 503 and page.headers["Retry-After"]
    assert "系统繁忙" in page.get_data(as_text=True)

    other.execute("ROLLBACK")
    other.execute("BEGIN")  # released (the fixture's ROLLBACK ends this one)
    db.session.remove()
    assert db.session.execute(sa.select(sa.func.count(Booking.id))).scalar_one() == 0
    again = client.post(f"/api/v1/slots/{slot_id}/bookings", json={
        "name": "周九", "phone": "13800138000", "party_size": 1, "consent": True})
    assert again.status_code == 201

"""Logs never carry a phone number or a manage token (SPEC §7).

Two layers: the app's own logging, captured at DEBUG (so SQLAlchemy's statement log with its
parameters is on too) through a whole booking lifecycle; and the access and error logs of the
real gunicorn set-up of `make run`, whose paths contain manage tokens.
"""
from __future__ import annotations

import json
import logging
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from openday.bookings.models import Booking

ROOT = Path(__file__).resolve().parents[2]
PHONE = "13912345678"
NAME = "隐私测试人"
PHONE_LIKE = re.compile(r"1[3-9][0-9](?:[\s-]?[0-9]){8}")


def everything_logged(records: list[logging.LogRecord]) -> str:
    formatter = logging.Formatter("%(name)s %(levelname)s %(message)s")
    return "\n".join(formatter.format(record) for record in records)


def assert_clean(text: str, tokens: list[str]) -> None:
    for token in tokens:
        assert token not in text, f"a manage token reached the log:\n{text[:3000]}"
    assert PHONE not in text and "139-1234-5678" not in text, f"a phone reached the log:\n{text[:3000]}"
    assert NAME not in text, "a citizen's name reached the log"


def test_a_whole_booking_lifecycle_logs_no_phone_token_or_name(
        app, db, client, caplog, create_slot, create_user, login):
    slot = create_slot(capacity=4)
    lab_user = create_user(role="lab", lab=slot.event.lab)
    caplog.set_level(logging.DEBUG)

    # A citizen books on the web (phone typed with dashes), opens the manage page and calendar.
    page = client.submit(f"/slots/{slot.id}/book", {"name": NAME, "phone": "139-1234-5678",
                                                    "party_size": "2", "consent": "y"})
    assert page.status_code == 303, page.get_data(as_text=True)[:2000]
    booking = db.session.execute(db.select(Booking).where(Booking.phone == "+86" + PHONE)).scalar_one()
    tokens = [booking.manage_token]
    assert client.get(page.headers["Location"]).status_code == 200
    assert client.get(f"/bookings/{booking.manage_token}.ics").status_code == 200
    # The same phone again, and a bad one: both go through validation and its messages.
    client.submit(f"/slots/{slot.id}/book", {"name": NAME, "phone": PHONE, "party_size": "2", "consent": "y"})
    client.submit(f"/slots/{slot.id}/book", {"name": NAME, "phone": PHONE + "9", "party_size": "2", "consent": "y"})

    # Through the API: book, read, cancel.
    created = client.post(f"/api/v1/slots/{slot.id}/bookings",
                          json={"name": NAME, "phone": "+86 139 1234 5679", "party_size": 1, "consent": True})
    assert created.status_code == 201, created.get_json()
    api_token = created.get_json()["manage_token"]
    tokens.append(api_token)
    assert client.get(f"/api/v1/bookings/{api_token}").status_code == 200
    assert client.delete(f"/api/v1/bookings/{api_token}").status_code == 200

    # The lab sees the roster, exports it and checks the booking in.
    login(lab_user)
    assert client.get(f"/lab/slots/{slot.id}/roster").status_code == 200
    assert client.get(f"/lab/slots/{slot.id}/roster.csv").status_code == 200
    client.submit("/lab/checkin", {"code": booking.code, "early": "y"})
    client.submit("/logout", {}, form_url="/")

    # Another citizen books on the web and cancels there.
    client.submit(f"/slots/{slot.id}/book", {"name": NAME, "phone": "13912345671", "party_size": "1",
                                             "consent": "y"})
    other = db.session.execute(db.select(Booking).where(Booking.phone == "+8613912345671")).scalar_one()
    tokens.append(other.manage_token)
    manage = f"/bookings/{other.manage_token}"
    assert client.submit(f"{manage}/cancel", {}).status_code == 303

    text = everything_logged(caplog.records)
    assert "openday" in text or "sqlalchemy" in text  # something was captured at all
    assert_clean(text, tokens)
    assert "13912345679" not in text and "13912345671" not in text
    assert not PHONE_LIKE.search(text), PHONE_LIKE.search(text)


def test_database_errors_do_not_quote_personal_data(app, db, create_slot):
    """A constraint error's message (which a traceback in the error log repeats) has no parameters."""
    import sqlalchemy as sa
    slot = create_slot()
    row = {"slot_id": slot.id, "code": "ABCDEFGH", "manage_token": "t" * 43, "name": NAME,
           "phone": PHONE, "party_size": 0, "status": "confirmed", "slot_day": slot.starts_at.date()}
    with pytest.raises(sa.exc.IntegrityError) as error:
        db.session.execute(sa.insert(Booking).values(**row))   # party_size 0 breaks a CHECK
    db.session.rollback()
    assert PHONE not in str(error.value) and NAME not in str(error.value)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def fetch(url: str, method: str = "GET", body: bytes | None = None) -> int:
    request = urllib.request.Request(url, data=body, method=method,
                                     headers={"Content-Type": "application/json"} if body else {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


@pytest.fixture
def backend() -> str:
    return "sqlite"  # gunicorn reads the same SQLite file the fixtures wrote


def test_gunicorn_access_and_error_logs_carry_no_token_or_phone(app, db, tmp_path, create_slot,
                                                                book):
    slot = create_slot(capacity=2)
    booking = book(slot, phone=PHONE, name=NAME)
    token, slot_id = booking.manage_token, slot.id
    db.session.remove()
    access, errors = tmp_path / "access.log", tmp_path / "error.log"
    port = free_port()
    env = {**os.environ, "SECRET_KEY": "gunicorn-log-test-" + "x" * 20,
           "OPENDAY_DATABASE_URL": app.config["OPENDAY_DATABASE_URL"],
           "OPENDAY_BIND": f"127.0.0.1:{port}", "OPENDAY_WORKERS": "1", "OPENDAY_THREADS": "2",
           "OPENDAY_ACCESS_LOG": str(access), "OPENDAY_RATELIMIT_ENABLED": "0",
           "OPENDAY_SECURE_COOKIES": "0"}
    server = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", "openday/gunicorn_conf.py",
                               "--error-logfile", str(errors), "--log-level", "debug", "wsgi:app"],
                              cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                fetch(base + "/static/favicon.svg")
                break
            except OSError:
                time.sleep(0.1)
        assert fetch(f"{base}/bookings/{token}") == 200
        assert fetch(f"{base}/bookings/{token}.ics") == 200
        assert fetch(f"{base}/api/v1/bookings/{token}") == 200
        assert fetch(f"{base}/bookings/not-a-real-token-{PHONE}") == 404
        created = fetch(f"{base}/api/v1/slots/{slot_id}/bookings", "POST",
                        json.dumps({"name": NAME, "phone": "13912345670", "party_size": 1,
                                    "consent": True}).encode())
        assert created == 201
    finally:
        server.terminate()
        server.wait(timeout=15)
    logged = access.read_text(encoding="utf-8")
    assert "/bookings/[token]" in logged and "/api/v1/bookings/[token]" in logged
    assert_clean(logged + errors.read_text(encoding="utf-8"), [token])


def test_redaction_also_covers_tracebacks_and_flask_error_lines():
    import openday.gunicorn_conf as conf

    try:
        raise ValueError(f"bad phone {PHONE} for /bookings/SeCrEtToKeN123456789")
    except ValueError:
        record = logging.LogRecord("openday", logging.ERROR, __file__, 1,
                                   "Exception on %s [%s]", ("/bookings/SeCrEtToKeN123456789", "GET"),
                                   sys.exc_info())
    assert conf.REDACT.filter(record) is True
    text = logging.Formatter().format(record)
    assert "SeCrEtToKeN" not in text and PHONE not in text
    assert "Exception on /bookings/[token] [GET]" in text and "[phone]" in text


def test_redaction_leaves_file_paths_and_words_readable_and_takes_every_token():
    import secrets

    import openday.gunicorn_conf as conf

    # A traceback names source files under openday/bookings/ and templates/bookings/.
    for path in ['File "/srv/openday/openday/bookings/ratelimit.py", line 28, in phone_key',
                 "/srv/openday/openday/bookings/__pycache__/service.cpython-311.pyc",
                 "templates/bookings/confirmation_waitlisted.html",
                 "jinja2 loaded templates/bookings/manage.html"]:
        assert conf.redact(path) == path
    token = secrets.token_urlsafe(32)
    for line, expected in [
            (f"GET /bookings/{token}", "GET /bookings/[token]"),
            (f"GET /bookings/{token}.ics HTTP/1.1", "GET /bookings/[token].ics HTTP/1.1"),
            (f"POST /bookings/{token}/cancel", "POST /bookings/[token]/cancel"),
            (f"DELETE /api/v1/bookings/{token}?x=1", "DELETE /api/v1/bookings/[token]?x=1"),
            (f"referer https://kaifangri.cn/bookings/{token[:-1]}", "referer https://kaifangri.cn/bookings/[token]"),
            ("/bookings/abcdefghijklmnopqrstuvwxyz", "/bookings/[token]")]:  # token-length, all lowercase
        assert conf.redact(line) == expected


def test_redaction_takes_numbers_abroad_as_booking_phones_are_stored():
    import openday.gunicorn_conf as conf

    for phone in ("+85291234567", "+8613812345678", "+447911123456", "+886912345678"):
        assert conf.redact(f"IntegrityError (phone)=({phone}) slot 7") == (
            "IntegrityError (phone)=([phone]) slot 7")
    assert conf.redact("GET /search?page=2 200 1234") == "GET /search?page=2 200 1234"

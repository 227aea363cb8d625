"""Faults degrade, never 500 (SPEC §8): a database that is down, restarting or unreachable
answers 503 with Retry-After; a rate-limit store that is down falls back to this process's
memory and says so once. The servers that are stopped here are private ones (tests/servers.py),
never the shared PostgreSQL and Redis."""
from __future__ import annotations

import logging
import threading
import time
from itertools import count

import psycopg
import pytest
import redis
import sqlalchemy as sa
from sqlalchemy import exc as sa_exc

from openday import create_app
from openday.bookings.models import Booking, BookingStatus
from openday.database import fault_reason
from openday.events.models import Slot
from openday.extensions import db as _db
from tests.conftest import PASSWORD, FormClient, make_app
from tests.servers import closed_port, start_private_postgres, start_private_redis

SETTINGS = {"TESTING": True, "SECRET_KEY": "test-secret-key-0123456789", "SERVER_NAME": None,
            # Unhandled errors become 500 answers, as in production, instead of reaching the
            # test: a 500 is what must never be seen.
            "PROPAGATE_EXCEPTIONS": False}
_phones = count(10_000_000)


def next_phone() -> str:
    return f"139{next(_phones):08d}"


def booking_body(phone: str | None = None) -> dict:
    return {"name": "周九", "phone": phone or next_phone(), "party_size": 1, "consent": True}


@pytest.fixture
def private_pg():
    with start_private_postgres() as server:
        yield server


@pytest.fixture
def app(request, tmp_path, app_config):
    """SQLite, or a private PostgreSQL when the test asks for ``private_pg``."""
    if "private_pg" in request.fixturenames:
        url = request.getfixturevalue("private_pg").create_database("openday")
        app = create_app({**SETTINGS, "OPENDAY_DATABASE_URL": url, "RATELIMIT_ENABLED": False,
                          **app_config})
        with app.app_context():
            _db.create_all()
    else:
        app = make_app("sqlite", tmp_path, request, **{**SETTINGS, **app_config})
    app.test_client_class = FormClient

    @app.before_request
    def forget_cached_user():  # as conftest's app: requests share the test's app context
        from flask import g
        g.pop("_login_user", None)
        g.pop("csrf_token", None)

    with app.app_context():
        yield app
        _db.session.remove()
        _db.engine.dispose()


# ---- which errors are faults -----------------------------------------------------------------

def _wrapped(kind, orig):
    return kind("SELECT 1", {}, orig)


def _sqlstate(sqlstate: str, message: str) -> psycopg.Error:
    """The error psycopg raises for a server's answer with that SQLSTATE."""
    return psycopg.errors.lookup(sqlstate)(message)


@pytest.mark.parametrize("error, reason", [
    (_wrapped(sa_exc.OperationalError, psycopg.OperationalError(
        'connection failed: connection to server at "127.0.0.1", port 1 failed: Connection refused')),
     "connection refused"),
    (_wrapped(sa_exc.OperationalError, psycopg.OperationalError(
        "consuming input failed: server closed the connection unexpectedly")), "connection lost"),
    (_wrapped(sa_exc.OperationalError, _sqlstate("57P01", "terminating connection due to administrator "
                                                 "command")), "connection lost"),
    (_wrapped(sa_exc.OperationalError, _sqlstate("57P03", "the database system is starting up")),
     "starting up"),
    (_wrapped(sa_exc.OperationalError, _sqlstate("53300", "sorry, too many clients already")),
     "too many connections"),
    (_wrapped(sa_exc.OperationalError, _sqlstate("08P01", "protocol violation")), "connection lost"),
    (_wrapped(sa_exc.InterfaceError, psycopg.InterfaceError("the connection is closed")),
     "connection lost"),
    (sa_exc.TimeoutError("QueuePool limit of size 10 overflow 20 reached"), "pool exhausted"),
    (sa_exc.DisconnectionError("gone"), "connection lost"),
])
def test_lost_refused_or_exhausted_connections_are_faults(error, reason):
    assert fault_reason(error) == reason


@pytest.mark.parametrize("error", [
    _wrapped(sa_exc.IntegrityError, psycopg.errors.UniqueViolation("duplicate key")),
    _wrapped(sa_exc.OperationalError, __import__("sqlite3").OperationalError("no such table: slot")),
    _wrapped(sa_exc.InterfaceError, __import__("sqlite3").InterfaceError("Error binding parameter 1")),
    _wrapped(sa_exc.OperationalError, _sqlstate("57014", "canceling statement due to statement timeout")),
    _wrapped(sa_exc.ProgrammingError, psycopg.errors.SyntaxError("syntax error")),
])
def test_constraints_and_bugs_are_not_faults(error):
    assert fault_reason(error) is None


def test_a_bug_in_a_query_is_still_a_500(app, client):
    @app.get("/broken-query")
    def broken_query():
        _db.session.execute(sa.text("SELECT * FROM no_such_table"))

    assert client.get("/broken-query").status_code == 500


# ---- the database is unreachable ---------------------------------------------------------------

@pytest.fixture
def unreachable_app():
    """The app as `gunicorn wsgi:app` builds it in a worker, its database URL on a closed port:
    create_app connects to nothing, so it starts, and every request that needs the database
    finds it unreachable (wsgi.py refuses such a URL only for commands, see there)."""
    url = f"postgresql://postgres@127.0.0.1:{closed_port()}/openday"
    app = create_app({**SETTINGS, "OPENDAY_DATABASE_URL": url, "RATELIMIT_ENABLED": False})
    yield app
    with app.app_context():
        _db.engine.dispose()


@pytest.mark.parametrize("path", ["/", "/events/1", "/slots/1/book", "/search?city=430100"])
def test_unreachable_database_pages_are_503_with_retry_after(unreachable_app, path):
    response = unreachable_app.test_client().get(path)
    assert response.status_code == 503
    assert int(response.headers["Retry-After"]) > 0
    assert response.mimetype == "text/html"
    assert "服务暂时不可用" in response.get_data(as_text=True)


@pytest.mark.parametrize("method, path, body", [
    ("get", "/api/v1/slots?city=430100", None),
    ("get", "/api/v1/slots/1", None),
    ("post", "/api/v1/slots/1/bookings", booking_body("13800138000")),
    ("get", "/api/v1/stats?campaign=2026", None),
])
def test_unreachable_database_api_answers_unavailable(unreachable_app, method, path, body):
    response = getattr(unreachable_app.test_client(), method)(path, json=body)
    assert response.status_code == 503
    assert int(response.headers["Retry-After"]) > 0
    error = response.get_json()["error"]
    assert error["code"] == "unavailable" and error["message"]
    assert "127.0.0.1" not in response.get_data(as_text=True)  # no host, port or URL


def test_signed_in_user_sees_the_503_page_when_the_database_goes(app, client, create_user,
                                                                  login, monkeypatch):
    login(create_user(role="admin"))
    _db.session.remove()
    engine = _db.engine

    def refuse(*_args, **_kwargs):
        raise sa_exc.OperationalError("connect", {}, psycopg.OperationalError(
            "connection failed: Connection refused"))

    monkeypatch.setattr(engine.pool, "connect", refuse)
    response = client.get("/")
    assert response.status_code == 503 and response.headers["Retry-After"]
    monkeypatch.undo()
    assert client.get("/").status_code == 200  # the next request, the database back, works


# ---- a write transaction whose connection is cut -------------------------------------------------

def test_connection_cut_before_commit_is_tried_once_more(app, private_pg):
    from openday.core import db as service

    calls = []

    def work():
        calls.append(len(calls))
        if len(calls) == 1:  # the administrator ends this session mid-transaction (57P01)
            pid = _db.session.execute(sa.text("SELECT pg_backend_pid()")).scalar_one()
            with psycopg.connect(private_pg.url("openday"), autocommit=True) as other:
                other.execute("SELECT pg_terminate_backend(%s)", (pid,))
        return _db.session.execute(sa.text("SELECT 41 + 1")).scalar_one()

    assert service.write_transaction(work) == 42
    assert calls == [0, 1]


def test_connection_lost_during_commit_is_not_retried(app, monkeypatch):
    """It may have committed: the caller answers 503 rather than write it twice or acknowledge
    what it cannot vouch for."""
    from openday.core import db as service

    calls = []

    def lost_commit():
        raise sa_exc.OperationalError("COMMIT", {}, psycopg.OperationalError(
            "consuming input failed: server closed the connection unexpectedly"))

    monkeypatch.setattr(_db.session, "commit", lost_commit)
    with pytest.raises(sa_exc.OperationalError):
        service.write_transaction(lambda: calls.append(1))
    assert calls == [1]


# ---- PostgreSQL restarted under a booking rush --------------------------------------------------

class Rush:
    """Booking threads posting to the API, each answer kept (status, body)."""

    def __init__(self, app, slot_ids: list[int], threads: int = 4) -> None:
        self.app = app
        self.slot_ids = slot_ids
        self.answers: list[tuple[int, dict | None, dict]] = []
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.threads = [threading.Thread(target=self._run, args=(n,), daemon=True)
                        for n in range(threads)]

    def _run(self, n: int) -> None:
        client = self.app.test_client()
        i = 0
        while not self.stopping.is_set():
            slot_id = self.slot_ids[(n + i) % len(self.slot_ids)]
            i += 1
            try:
                response = client.post(f"/api/v1/slots/{slot_id}/bookings", json=booking_body())
                answer = (response.status_code, response.get_json(silent=True), dict(response.headers))
            except Exception as exc:  # a crash in the app is as bad as a 500
                answer = (-1, {"exception": repr(exc)}, {})
            with self.lock:
                self.answers.append(answer)

    def statuses(self) -> list[int]:
        with self.lock:
            return [status for status, _body, _headers in self.answers]

    def wait_for(self, predicate, what: str, within: float = 60) -> None:
        deadline = time.monotonic() + within
        while not predicate(self.statuses()):
            assert time.monotonic() < deadline, f"gave up waiting for {what}: {self.summary()}"
            time.sleep(0.05)

    def summary(self) -> dict[int, int]:
        found: dict[int, int] = {}
        for status in self.statuses():
            found[status] = found.get(status, 0) + 1
        return found

    def __enter__(self) -> Rush:
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stopping.set()
        for thread in self.threads:
            thread.join(timeout=60)


def test_postgresql_restart_under_booking_load_is_503_never_500(app, private_pg, create_slot):
    slots = [create_slot(capacity=60, max_party=1) for _ in range(3)]
    slot_ids = [slot.id for slot in slots]
    _db.session.remove()

    with Rush(app, slot_ids) as rush:
        rush.wait_for(lambda seen: seen.count(201) >= 10, "bookings before the restart")
        private_pg.stop("fast")
        before = len(rush.statuses())
        rush.wait_for(lambda seen: seen[before:].count(503) >= 10, "503s while the server is down")
        page = app.test_client().get(f"/events/{slots[0].event_id}")
        health = app.test_client().get("/healthz")
        private_pg.start()
        back = len(rush.statuses())
        rush.wait_for(lambda seen: seen[back:].count(201) >= 10, "bookings after the restart")

    assert page.status_code == 503 and page.headers["Retry-After"]
    assert health.status_code == 503 and health.get_json()["database"] != "ok"
    summary = rush.summary()
    assert set(summary) <= {201, 503}, summary  # never a 500 (nor a crash, -1)
    for status, body, headers in rush.answers:
        if status == 503:
            assert int(headers["Retry-After"]) > 0
            assert body["error"]["code"] == "unavailable"

    acknowledged = {body["code"]: body for status, body, _h in rush.answers if status == 201}
    stored = {booking.code: booking for booking in _db.session.execute(sa.select(Booking)).scalars()}
    missing = set(acknowledged) - set(stored)
    assert not missing, f"{len(missing)} bookings acknowledged (201) but not in the database"
    for code, body in acknowledged.items():
        assert stored[code].status == body["status"]
    for slot in _db.session.execute(sa.select(Slot).where(Slot.id.in_(slot_ids))).scalars():
        confirmed = [b for b in stored.values()
                     if b.slot_id == slot.id and b.status == BookingStatus.confirmed]
        assert slot.seats_taken <= slot.capacity
        assert slot.seats_taken == sum(b.party_size for b in confirmed)


# ---- the rate-limit store (Redis) is down ----------------------------------------------------------

FALLBACK = "rate-limit store unreachable"
RECOVERED = "rate-limit store answers again"


def _switches(caplog, words: str) -> int:
    return sum(1 for record in caplog.records
               if record.name == "openday.ratelimit" and words in record.getMessage())


def _exercise(client, slot_id: int, user) -> list[int]:
    """One of each rate-limited request: form and API booking, login, lab registration, stats."""
    statuses = []
    phone = next_phone()
    statuses.append(client.submit(f"/slots/{slot_id}/book", {
        "name": "周九", "phone": phone, "party_size": "1", "consent": "y"}).status_code)
    statuses.append(client.post(f"/api/v1/slots/{slot_id}/bookings", json=booking_body()).status_code)
    login_page = client.submit("/login", {"email": user.email, "password": PASSWORD})
    statuses.append(login_page.status_code)
    client.submit("/logout", {}, form_url="/")
    statuses.append(client.submit("/labs/register", {"name": "某检测所"}).status_code)
    statuses.append(client.get("/api/v1/stats?campaign=2026").status_code)
    return statuses


EXPECTED = [303, 201, 302, 200, 200]  # booked, booked, signed in, form errors, the figures


@pytest.fixture
def private_redis():
    with start_private_redis() as server:
        yield server


@pytest.fixture
def app_config(request) -> dict:
    """Rate limits on, counted in Redis: on a closed port, or in ``private_redis`` when asked."""
    if "private_redis" in request.fixturenames:
        url = request.getfixturevalue("private_redis").url
    elif "closed_redis" in request.fixturenames:
        url = f"redis://127.0.0.1:{closed_port()}"
    else:
        return {}
    # No RATELIMIT_KEY_PREFIX: the process-wide limiter keeps the first one it is given, which
    # would leak into test_shared_limits. The private Redis holds only this test's keys anyway.
    return {"RATELIMIT_ENABLED": True, "RATELIMIT_STORAGE_URI": url,
            "OPENDAY_LOGIN_ACCOUNT_LIMIT": "2 per 15 minutes"}


@pytest.fixture
def closed_redis():
    """Marks a test whose rate-limit store is a Redis URL on a closed port (see app_config)."""


def test_redis_on_a_closed_port_falls_back_to_memory(closed_redis, app, client, create_slot,
                                                      create_user, caplog):
    slot_id = create_slot(capacity=50).id
    user = create_user(role="admin")
    caplog.set_level(logging.INFO)

    for _round in range(3):
        assert _exercise(client, slot_id, user) == EXPECTED
    assert _switches(caplog, FALLBACK) == 1  # once, not per request

    # Limits still hold, counted in this process: the third wrong password is refused.
    wrong = [client.submit("/login", {"email": user.email, "password": "wrong"}).status_code
             for _ in range(3)]
    assert wrong == [200, 200, 429]


def test_redis_stopped_and_restarted_mid_service(private_redis, app, client, create_slot,
                                                 create_user, caplog):
    slot_id = create_slot(capacity=50).id
    user = create_user(role="admin")
    caplog.set_level(logging.INFO)
    keys = redis.Redis.from_url(private_redis.url)

    assert client.post(f"/api/v1/slots/{slot_id}/bookings", json=booking_body()).status_code == 201
    assert keys.keys("*"), "the limits are not counted in Redis"

    private_redis.stop()
    for _round in range(3):
        assert _exercise(client, slot_id, user) == EXPECTED
    assert _switches(caplog, FALLBACK) == 1

    private_redis.start()  # the same port, empty
    deadline = time.monotonic() + 60
    while not keys.keys("*"):
        assert time.monotonic() < deadline, "the limiter never went back to Redis"
        assert client.post(f"/api/v1/slots/{slot_id}/bookings", json=booking_body()).status_code == 201
        time.sleep(0.2)
    assert _switches(caplog, RECOVERED) == 1
    assert _switches(caplog, FALLBACK) == 1

"""`openday backup` / `openday restore` (SPEC §10) on SQLite and PostgreSQL.

Threads keep booking while the backup is taken; the backup is restored into a fresh database,
`openday check` passes on it, and every booking acknowledged before the backup started is there.
"""
from __future__ import annotations

import itertools
import threading
import uuid

import psycopg
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from openday import backup as backups, create_app
from openday.bookings import service
from openday.bookings.models import Booking
from openday.extensions import db as _db
from tests.conftest import PG_ADMIN_URL

THREADS = 4
BEFORE = 60   # bookings acknowledged before the backup starts


@pytest.fixture
def fresh_url(backend, tmp_path):
    """An empty database of the test's backend, of this test's own (dropped afterwards)."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'restored.db'}"
        return
    name = f"openday_ops_restore_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    yield PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def app_on(url: str):
    return create_app({"TESTING": True, "SECRET_KEY": "test-secret-key-0123456789",
                       "OPENDAY_DATABASE_URL": url, "RATELIMIT_ENABLED": False})


def run(app, *args):
    # The command runs in whichever app context is current (the fixture's pushes the source app).
    with app.app_context():
        result = app.test_cli_runner().invoke(args=["openday", *args])
    return result.exit_code, result.output


class Bookers:
    """Threads that book one seat after another (a new phone each) until told to stop, keeping
    the codes of the bookings whose book() returned, in the order acknowledged."""

    def __init__(self, app, slot_ids: list[int]) -> None:
        self.app, self.slot_ids = app, slot_ids
        self.acknowledged: list[str] = []
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.enough = threading.Event()
        self.phones = itertools.count(10_000_000)
        self.errors: list[BaseException] = []
        self.threads = [threading.Thread(target=self.work, args=(i,)) for i in range(THREADS)]

    def work(self, index: int) -> None:
        try:
            with self.app.app_context():
                while not self.stop.is_set():
                    with self.lock:
                        number = next(self.phones)
                    slot_id = self.slot_ids[number % len(self.slot_ids)]
                    request = service.BookingRequest(name="访客", phone=f"139{number:08d}",
                                                     party_size=1, consent=True)
                    try:
                        booking = service.book(slot_id, request)
                    except service.Busy:
                        continue  # SQLite's writer lock timed out under the load: try the next one
                    with self.lock:
                        self.acknowledged.append(booking.code)
                        if len(self.acknowledged) >= BEFORE:
                            self.enough.set()
                    _db.session.remove()
        except BaseException as exc:  # reported by the test, not lost in the thread
            self.errors.append(exc)
            self.enough.set()

    def __enter__(self):
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join()


def codes(app) -> set[str]:
    with app.app_context():
        found = set(_db.session.execute(sa.select(Booking.code)).scalars())
        _db.session.remove()
        return found


def test_backup_while_booking_then_restore_into_a_fresh_database(
        app, db, create_slot, fresh_url, tmp_path, backend):
    slot_ids = [create_slot(capacity=5000, max_party=1).id for _ in range(3)]
    db.session.remove()
    if backend == "sqlite":
        # Schema and slots into the main file, so the bookings to come live in the WAL: where a
        # copy of the file alone loses acknowledged bookings.
        raw = db.engine.raw_connection()
        raw.cursor().execute("PRAGMA wal_checkpoint(TRUNCATE)")
        raw.close()
    path = tmp_path / "openday.backup"
    with Bookers(app, slot_ids) as bookers:
        assert bookers.enough.wait(120), "the booking threads did not get going"
        with bookers.lock:
            before = set(bookers.acknowledged)   # all acknowledged before the backup starts
        code, output = run(app, "backup", str(path))   # the threads keep booking meanwhile
    assert not bookers.errors, bookers.errors
    assert code == 0, output
    assert f"to {path}" in output
    assert ("SQLite online backup" if backend == "sqlite" else "pg_dump custom format") in output

    restored = app_on(fresh_url)
    code, output = run(restored, "restore", str(path))
    assert code == 0, output
    assert "Restored" in output and make_url(fresh_url).database in output

    found = codes(restored)
    assert before <= found, f"{len(before - found)} acknowledged bookings missing from the backup"
    assert found <= codes(app)        # nothing in the copy that the source never had
    code, output = run(restored, "check")
    assert code == 0, output
    assert output.startswith("OK:")
    with restored.app_context():
        _db.engine.dispose()


def test_restore_refuses_a_database_in_use_unless_forced(app, db, create_slot, tmp_path):
    slot = create_slot()
    service.book(slot.id, service.BookingRequest(name="李四", phone="13800138000", party_size=2,
                                                 consent=True))
    db.session.remove()
    path = tmp_path / "copy.backup"
    assert run(app, "backup", str(path))[0] == 0

    code, output = run(app, "restore", str(path))
    assert code != 0
    assert "not empty" in output and "--force" in output

    code, output = run(app, "restore", "--force", str(path))
    assert code == 0, output
    assert "1 bookings" in output
    assert len(codes(app)) == 1


def test_backup_does_not_overwrite_a_file_unless_forced(app, db, tmp_path):
    path = tmp_path / "taken.backup"
    path.write_bytes(b"keep me")
    code, output = run(app, "backup", str(path))
    assert code != 0 and "--force" in output
    assert path.read_bytes() == b"keep me"
    assert run(app, "backup", "--force", str(path))[0] == 0
    assert backups.backup_format(path) in ("sqlite", "postgresql")
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".partial")] == []


def test_restore_refuses_a_backup_of_the_other_database(app, db, tmp_path, backend):
    other = tmp_path / "other.backup"
    other.write_bytes(backups.PGDUMP_MAGIC + b"\0" * 32 if backend == "sqlite"
                      else backups.SQLITE_MAGIC + b"\0" * 32)
    code, output = run(app, "restore", "--force", str(other))
    assert code != 0
    assert "backup but OPENDAY_DATABASE_URL is" in output


def test_the_password_reaches_libpq_through_the_environment_only():
    url = make_url("postgresql+psycopg://open day:s3cr%3At@db.internal:6432/openday?sslmode=require")
    uri, env = backups.libpq_target(url)
    assert "s3cr" not in uri
    assert uri == "postgresql://open%20day@db.internal:6432/openday?sslmode=require"
    assert env["PGPASSWORD"] == "s3cr:t"


def test_pg_tools_are_found():
    assert backups.pg_tool("pg_dump").endswith("pg_dump")
    assert backups.pg_tool("pg_restore").endswith("pg_restore")

"""Engine set-up for the two supported databases.

SQLite: WAL so readers never wait for the writer, foreign keys on, a busy timeout, and
transactions we begin ourselves so a booking can ask for ``BEGIN IMMEDIATE``.
PostgreSQL: psycopg 3.
"""
from __future__ import annotations

import sqlalchemy as sa
from flask import Flask
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError

from openday.extensions import db

SQLITE_BUSY_TIMEOUT_MS = 10_000
PG_CONNECT_TIMEOUT_S = 5
RETRY_AFTER_S = 5  # a restarting PostgreSQL is back within seconds; a booker waits no longer


class DatabaseConfigError(RuntimeError):
    """A database URL that cannot work; its message is one line for the console."""


def normalise_url(raw: str) -> URL:
    try:
        url = make_url(raw)
    except ArgumentError as exc:
        raise DatabaseConfigError(f"OPENDAY_DATABASE_URL is not a database URL: {exc}") from None
    if url.drivername in ("postgresql", "postgres"):
        url = url.set(drivername="postgresql+psycopg")
    if url.get_backend_name() not in ("sqlite", "postgresql"):
        raise DatabaseConfigError(
            f"OPENDAY_DATABASE_URL names '{url.get_backend_name()}'; openday runs on sqlite or postgresql")
    try:
        url.get_dialect()
    except NoSuchModuleError:
        raise DatabaseConfigError(f"OPENDAY_DATABASE_URL: no driver for '{url.drivername}'") from None
    return url


def configure(app: Flask) -> None:
    url = normalise_url(app.config["OPENDAY_DATABASE_URL"])
    app.config["SQLALCHEMY_DATABASE_URI"] = url.render_as_string(hide_password=False)
    options = dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
    if url.get_backend_name() == "sqlite":
        options.setdefault("connect_args", {}).update(
            {"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000, "check_same_thread": False})
    else:
        options.setdefault("pool_size", 10)
        options.setdefault("max_overflow", 20)
        # A server that does not answer (rather than refusing) must not hold a request until
        # gunicorn kills the worker: give up connecting after a few seconds and answer 503.
        options.setdefault("connect_args", {}).setdefault("connect_timeout", PG_CONNECT_TIMEOUT_S)
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options


def _sqlite_connect(dbapi_connection, _record) -> None:
    # Let SQLAlchemy's "begin" event emit BEGIN itself (pysqlite's own is deferred and late).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA synchronous=NORMAL")  # safe with WAL: a crash loses no committed data
    cursor.close()


def _sqlite_begin(connection) -> None:
    # BEGIN IMMEDIATE: take the write lock before reading seats, or two bookers both see a free seat.
    immediate = connection.get_execution_options().get("sqlite_immediate", False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def install_engine_hooks(app: Flask) -> None:
    with app.app_context():
        engine = db.engine
        if engine.dialect.name == "sqlite" and not getattr(engine, "_openday_hooks", False):
            sa.event.listen(engine, "connect", _sqlite_connect)
            sa.event.listen(engine, "begin", _sqlite_begin)
            engine._openday_hooks = True


def write_transaction_options() -> dict:
    """Execution options for a session connection that is about to change seat counts."""
    return {"sqlite_immediate": True}


def check_connection(app: Flask) -> None:
    """Fail start-up with one readable line when the configured database cannot be reached."""
    with app.app_context():
        try:
            with db.engine.connect() as connection:
                connection.exec_driver_sql("SELECT 1")
        except Exception as exc:  # any driver's error: the message is what the operator needs
            reason = str(getattr(exc, "orig", exc)).strip().splitlines()[0] if str(exc) else type(exc).__name__
            url = make_url(app.config["SQLALCHEMY_DATABASE_URI"]).render_as_string(hide_password=True)
            raise DatabaseConfigError(f"cannot open the database {url}: {reason}") from None


# ---- faults: the database is down, restarting or refusing connections -----------------------------

# PostgreSQL's own words for "this connection is gone or was refused": connection exceptions
# (class 08), the administrator or a crash ending the session (57P01..57P03) and a full server.
_LOST_SQLSTATES = {"57P01": "shutting down", "57P02": "crashed", "57P03": "starting up",
                   "53300": "too many connections"}
_LOST_WORDS = (
    ("connection refused", "connection refused"),
    ("could not connect", "connection refused"),
    ("server closed the connection", "connection lost"),
    ("terminating connection", "connection lost"),
    ("connection is closed", "connection lost"),
    ("connection is lost", "connection lost"),
    ("consuming input failed", "connection lost"),
    ("the database system is starting up", "starting up"),
    ("the database system is shutting down", "shutting down"),
    ("timeout expired", "timeout"),
    ("database is locked", "busy"),  # SQLite: a read that outwaited the busy timeout
)


def fault_reason(exc: BaseException) -> str | None:
    """Why the database cannot serve right now, in a few fixed words ("connection refused",
    "connection lost", "starting up", "timeout", …), or None when ``exc`` is not that kind of
    fault but a bug or bad data (IntegrityError, a missing table, a syntax error), which stays a
    500. Never the driver's message itself: that names hosts, ports and users."""
    if isinstance(exc, sa_exc.TimeoutError):
        return "pool exhausted"
    if isinstance(exc, sa_exc.DisconnectionError):
        return "connection lost"
    if not isinstance(exc, (sa_exc.OperationalError, sa_exc.InterfaceError)):
        return None
    orig = exc.orig
    sqlstate = getattr(orig, "sqlstate", None) or ""
    text = str(orig).lower()
    for words, reason in _LOST_WORDS:
        if words in text:
            return reason
    if sqlstate in _LOST_SQLSTATES:
        return _LOST_SQLSTATES[sqlstate]
    if sqlstate.startswith("08") or exc.connection_invalidated:
        return "connection lost"
    # psycopg's errors without a SQLSTATE come from the client library itself: the connection
    # could not be made, or broke, or is closed (the server sent no error: it is not there).
    # sqlite3's InterfaceError is a bad parameter, a bug: it stays a 500.
    if sqlstate == "" and type(orig).__module__.startswith("psycopg"):
        return "connection lost"
    return None

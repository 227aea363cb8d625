"""Engine set-up for the two supported databases.

SQLite: WAL so readers never wait for the writer, foreign keys on, a busy timeout, and
transactions we begin ourselves so a booking can ask for ``BEGIN IMMEDIATE``.
PostgreSQL: psycopg 3.
"""
from __future__ import annotations

import sqlalchemy as sa
from flask import Flask
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError

from openday.extensions import db

SQLITE_BUSY_TIMEOUT_MS = 10_000


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

"""Unbound extension objects, bound to an app by ``register_extensions`` (cookiecutter-flask
style)."""
from __future__ import annotations

import logging
import os
import threading
from datetime import UTC, datetime

import flask_limiter
import sqlalchemy as sa
from flask import Flask
from flask_babel import Babel
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    metadata = sa.MetaData(naming_convention={  # stable names for Alembic and SQLite batch mode
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    })


class UTCDateTime(sa.types.TypeDecorator):
    """Aware datetimes in, aware UTC datetimes out, on SQLite (which drops offsets) and PostgreSQL."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTCDateTime column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


RATELIMIT_STORE_TIMEOUT_S = 1


class Limiter(flask_limiter.Limiter):
    """Flask-Limiter that counts in this process's memory while its store (Redis) is down, so a
    Redis outage never turns bookings and logins into 500s (SPEC §8), and says so once per
    switch on openday's log rather than on Flask-Limiter's silent one.

    Flask-Limiter keeps the switch in ``_storage_dead``; it is watched here (a property) because
    that is the one place every change of state passes through, whichever code path noticed.
    """

    log = logging.getLogger("openday.ratelimit")
    _switch = threading.Lock()
    _dead = False

    @property
    def _storage_dead(self) -> bool:
        return self._dead

    @_storage_dead.setter
    def _storage_dead(self, dead: bool) -> None:
        with self._switch:
            if dead and not self._dead:
                self.log.warning("rate-limit store unreachable: limits are counted in this "
                                 "process's memory until it answers again")
            elif self._dead and not dead:
                self.log.warning("rate-limit store answers again: limits are shared through it")
            self._dead = dead

    def init_app(self, app: Flask) -> None:
        uri = app.config.get("RATELIMIT_STORAGE_URI") or ""
        if uri.startswith(("redis://", "rediss://", "redis+")):
            # redis-py waits forever by default; a store that hangs must cost a request a second
            # at most before the memory fallback takes over.
            app.config.setdefault("RATELIMIT_STORAGE_OPTIONS", {
                "socket_connect_timeout": RATELIMIT_STORE_TIMEOUT_S,
                "socket_timeout": RATELIMIT_STORE_TIMEOUT_S})
        super().init_app(app)
        self._dead = False  # one Limiter serves every app of a process (tests): a new store starts alive


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
csrf = CSRFProtect()
babel = Babel()
login_manager = LoginManager()
limiter = Limiter(key_func=get_remote_address, default_limits=[])


MIGRATIONS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "migrations")


def register_extensions(app: Flask) -> None:
    """Bind the database, migrations, CSRF, the limiter and login to ``app``. Babel is bound with
    its locale selector by ``web.register_locale``."""
    from openday import database
    from openday.accounts.session import load_user

    db.init_app(app)
    migrate.init_app(app, db, directory=MIGRATIONS)
    database.install_engine_hooks(app)
    csrf.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "accounts.login"
    login_manager.login_message = None  # the login page explains itself
    # "basic", not "strong": staff checking people in on a phone change networks (and IPs) all day.
    login_manager.session_protection = "basic"
    login_manager.user_loader(load_user)

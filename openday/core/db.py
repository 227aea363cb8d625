"""Write transactions and locks, for every service that changes rows.

A write transaction (:func:`write_transaction`) starts as ``BEGIN IMMEDIATE`` on SQLite, so the
write lock is held before anything is read; on PostgreSQL the rows it changes are locked with
``SELECT … FOR UPDATE`` (:func:`lock_rows`) or an advisory lock (:func:`advisory_lock`).
``database is locked`` and PostgreSQL's lock/serialisation failures are retried a few times, then
raise :class:`Busy` (answered as 503 with ``Retry-After``), never a 500.

Advisory locks live in PostgreSQL's two-int key space, the first int naming the kind of object
(:data:`LOCK_NAMESPACES`), as in pretix's ``locking.py``: a phone and a slot id that happen to be
the same number never wait for each other, and a hash collision within a kind only serialises two
writers that could have run side by side.
"""
from __future__ import annotations

import hashlib
import logging
import random
import time
from collections.abc import Callable
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from openday.core.errors import RuleError
from openday.core.i18n import _
from openday.database import fault_reason, write_transaction_options
from openday.extensions import db

__all__ = ["BUSY_DEADLINE_S", "Busy", "LOCK_NAMESPACES", "WRITE_ATTEMPTS", "advisory_lock",
           "lock_key", "lock_row", "lock_rows", "write_transaction"]

log = logging.getLogger(__name__)
T = TypeVar("T")

WRITE_ATTEMPTS = 4
BUSY_DEADLINE_S = 12  # no new attempt after this long (gunicorn kills a request at 30 s)

LOCK_NAMESPACES = {"phone": 1, "slot": 2, "lab_registration": 3, "campaign": 4, "idempotency": 5}


class Busy(RuleError):
    """The database stayed locked through every retry: try again in a moment (HTTP 503)."""

    status = 503
    code = "busy"
    retry_after = 2

    def __init__(self) -> None:
        super().__init__("busy", _("预约人数较多，系统繁忙，请稍后再试。"))


def _is_busy(exc: BaseException) -> bool:
    if isinstance(exc, PoolTimeout):
        return True
    if not isinstance(exc, DBAPIError) or isinstance(exc, IntegrityError):
        return False
    orig = exc.orig
    if getattr(orig, "sqlstate", None) in ("40001", "40P01", "55P03"):  # serialization, deadlock, lock
        return True
    text = str(orig).lower()
    return "database is locked" in text or "database table is locked" in text


def _is_lost(exc: BaseException) -> bool:
    """A connection that broke under us, as when PostgreSQL restarts or a pooled connection was
    cut. Not a refused one: a server that is not there now will not be 200 ms later."""
    return fault_reason(exc) == "connection lost"


def _end_transaction() -> None:
    """A write transaction must be the first thing on its connection: finish whatever ran before
    (a read by the view, or the caller's own writes, which are kept)."""
    if db.session().in_transaction():
        db.session.commit()


def write_transaction(work: Callable[[], T], attempts: int = WRITE_ATTEMPTS) -> T:
    """Run ``work()`` in a write transaction (BEGIN IMMEDIATE on SQLite) and commit it.

    ``work`` is retried from scratch when the database is locked or PostgreSQL reports a
    deadlock/serialisation failure; after ``attempts`` tries it raises :class:`Busy`. Any other
    error rolls back and propagates.
    """
    started = time.monotonic()
    reconnected = False
    for attempt in range(attempts):
        if attempt and time.monotonic() - started > BUSY_DEADLINE_S:
            break  # SQLite already waited its busy timeout each time: answer before the worker times out
        _end_transaction()
        committing = False
        try:
            db.session.connection(execution_options=write_transaction_options())
            result = work()
            committing = True
            db.session.commit()
            return result
        except (DBAPIError, PoolTimeout) as exc:
            db.session.rollback()
            if not committing and not reconnected and _is_lost(exc):
                # The connection died before COMMIT was sent, so nothing was written: one more
                # try on a fresh connection (a restarted server is often back). A connection
                # lost *during* COMMIT is never retried: it may have committed, and the caller
                # answers 503 rather than acknowledge what it cannot vouch for.
                reconnected = True
                log.info("database connection lost before commit: trying once more")
                time.sleep(0.2)
                continue
            if not _is_busy(exc):
                raise
            log.info("database busy (attempt %d of %d)", attempt + 1, attempts)
            time.sleep(0.05 * (2 ** attempt) * (0.5 + random.random()))
        except BaseException:
            db.session.rollback()
            raise
    raise Busy()


def lock_rows(model, *conditions) -> list:
    """The rows of ``model`` matching ``conditions``, re-read and (PostgreSQL) row-locked for the
    rest of the transaction, in id order so two writers never lock the same rows crosswise."""
    return list(db.session.execute(
        sa.select(model).where(*conditions).order_by(model.id).with_for_update(of=model)
        .execution_options(populate_existing=True)).scalars())


def lock_row(model, row_id: int):
    """One row by id, re-read and (PostgreSQL) row-locked; None if there is none."""
    found = lock_rows(model, model.id == row_id)
    return found[0] if found else None


def lock_key(kind: str, value: Any) -> tuple[int, int]:
    """The advisory lock of one object: (the kind's namespace, a signed 32-bit hash of ``value``)."""
    digest = hashlib.blake2b(str(value).encode(), digest_size=4).digest()
    return LOCK_NAMESPACES[kind], int.from_bytes(digest, "big", signed=True)


def advisory_lock(kind: str, value: Any) -> None:
    """Hold the advisory lock of ``(kind, value)`` until the transaction ends (PostgreSQL). On
    SQLite the write transaction's BEGIN IMMEDIATE already serialises every writer."""
    if db.session.get_bind().dialect.name != "postgresql":
        return
    namespace, key = lock_key(kind, value)
    db.session.execute(sa.select(sa.func.pg_advisory_xact_lock(
        sa.cast(namespace, sa.Integer), sa.cast(key, sa.Integer))))

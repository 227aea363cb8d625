"""Background jobs (SPEC §10, §11): a Huey queue and ``flask --app wsgi openday worker``.

The store follows OPENDAY_QUEUE_URL as the database follows its URL: a SQLite file in instance/
by default (one server, nothing to run), Redis for several servers. The worker is Huey's own
consumer, in this process, with its scheduler: it runs the tasks the app enqueues (delivering the
outbox as soon as a transaction wrote to it) and the periodic jobs of :data:`PERIODIC_JOBS`.

Nothing depends on a task being enqueued: the outbox rows are the truth, and the delivery job also
runs every minute, so a queue that was down when a booking committed only delays its SMS.
"""
from __future__ import annotations

import importlib
import logging
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import click
import sqlalchemy as sa
from flask import Flask, current_app
from flask.cli import with_appcontext
from huey import MemoryHuey, RedisHuey, SqliteHuey, crontab

from openday import clock
from openday.cli import openday_cli
from openday.extensions import db

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Job:
    """A periodic job: ``target`` is "module:function", called with no arguments in an app
    context; ``schedule`` is Huey's crontab (UTC; every minute when empty)."""

    name: str
    target: str
    schedule: dict = field(default_factory=dict)


# Add a periodic job here, one line each. Each runs once when a worker starts, then on its
# schedule, so its function decides for itself whether there is anything to do yet.
PERIODIC_JOBS: tuple[Job, ...] = (
    Job("deliver-messages", "openday.messages.jobs:deliver"),  # retries, held and stale rows
    Job("queue-reminders", "openday.messages.jobs:reminders", {"minute": "*/5"}),
    Job("purge-personal-data", "openday.messages.jobs:purge", {"hour": "19", "minute": "7"}),
    Job("ballot-draws", "openday.bookings.ballot:draw_due_ballots"),  # every minute
    # 10:05 in Beijing (the schedule is UTC): the day after the visit, in waking hours.
    Job("feedback-invitations", "openday.feedback.service:send_feedback_invitations",
        {"hour": "2", "minute": "5"}),
)

# The delivery task's name, the same in the app (which enqueues) and the worker (which runs).
DELIVER = "openday.deliver"


def _call(target: str):
    module, _, name = target.partition(":")
    return getattr(importlib.import_module(module), name)


def build_queue(app: Flask):
    """The Huey instance for ``app``'s OPENDAY_QUEUE_URL, with every task registered."""
    url = app.config.get("OPENDAY_QUEUE_URL") or ""
    name = app.config.get("OPENDAY_QUEUE_NAME") or "openday"
    options = {"results": False, "utc": True}
    if not url:
        huey = SqliteHuey(name, filename=str(Path(app.instance_path) / "queue.db"), **options)
    elif url.startswith("sqlite:///"):
        huey = SqliteHuey(name, filename=url[len("sqlite:///"):], **options)
    elif url.startswith(("redis://", "rediss://", "unix://")):
        huey = RedisHuey(name, url=url, **options)
    elif url == "memory://":
        huey = MemoryHuey(name, **options)
    else:
        raise RuntimeError(f"OPENDAY_QUEUE_URL must be empty (a SQLite file in instance/), "
                           f"sqlite:///path, redis://host:port/db or memory:// (got {url!r}).")

    def in_app(function):
        def run():
            with app.app_context():
                try:
                    return function()
                finally:
                    db.session.remove()
        return run

    def deliver():
        from openday.messages.jobs import deliver as deliver_job
        outcome = deliver_job()
        _follow_up(huey, outcome.next_due)

    # The wrapper Huey returns enqueues the task when called, or later with .schedule(delay=).
    huey.openday_deliver = huey.task(name=DELIVER)(in_app(deliver))
    huey.openday_jobs = {}
    for job in PERIODIC_JOBS:
        target = job.target

        def run_job(target=target):
            result = _call(target)()
            if hasattr(result, "next_due"):
                _follow_up(huey, result.next_due)
        huey.openday_jobs[job.name] = huey.periodic_task(
            crontab(**job.schedule), name=job.name)(in_app(run_job))
    return huey


_follow_lock = threading.Lock()
_follow_at: dict[int, float] = {}


def _follow_up(huey, next_due) -> None:
    """A retry (or a lease running out) due before the next minute's sweep: schedule a delivery
    for then, once per worker for a given moment."""
    if next_due is None:
        return
    delay = max((next_due - clock.now()).total_seconds(), 0) + 0.2
    if delay > 60:
        return
    at = time.monotonic() + delay
    with _follow_lock:
        known = _follow_at.get(id(huey))
        if known is not None and time.monotonic() < known <= at + 0.5:
            return
        _follow_at[id(huey)] = at
    huey.openday_deliver.schedule(delay=delay)


def queue(app: Flask | None = None):
    app = app or current_app
    found = app.extensions.get("openday_queue")
    if found is None:
        found = app.extensions["openday_queue"] = build_queue(app)
    return found


# ---- telling the worker ---------------------------------------------------------------------

class _Kicker:
    """After a commit that wrote messages: one delivery now, and at most one more per second
    (the rush commits hundreds a second; one delivery run takes every row due)."""

    WINDOW = 1.0

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.window_ends = 0.0
        self.tail_scheduled = False

    def kick(self, app: Flask) -> None:
        now = time.monotonic()
        with self.lock:
            if now >= self.window_ends:
                self.window_ends, self.tail_scheduled, delay = now + self.WINDOW, False, None
            elif not self.tail_scheduled:
                self.tail_scheduled, delay = True, self.window_ends - now
            else:
                return
        deliver = queue(app).openday_deliver
        if delay is None:
            deliver()
        else:
            deliver.schedule(delay=delay)


_kicker = _Kicker()


def kick(app: Flask) -> None:
    try:
        _kicker.kick(app)
    except Exception:  # noqa: BLE001 — a queue that is down must not fail the booking
        log.warning("could not enqueue message delivery; the worker's sweep will send it",
                    exc_info=True)


def _after_commit(session) -> None:
    from openday.messages.service import SESSION_FLAG
    if session.info.pop(SESSION_FLAG, False):
        kick(current_app._get_current_object())


def _after_rollback(session) -> None:
    from openday.messages.service import SESSION_FLAG
    session.info.pop(SESSION_FLAG, None)


def init_app(app: Flask) -> None:
    if not sa.event.contains(sa.orm.Session, "after_commit", _after_commit):
        sa.event.listen(sa.orm.Session, "after_commit", _after_commit)
        sa.event.listen(sa.orm.Session, "after_rollback", _after_rollback)


# ---- the command --------------------------------------------------------------------------------

@openday_cli.command("worker")
@click.option("--threads", type=int, default=None,
              help="Tasks run at once (default OPENDAY_WORKER_THREADS).")
@with_appcontext
def worker_command(threads: int | None) -> None:
    """Run background jobs: deliver messages, reminders, the purge (Ctrl-C stops it)."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    app = current_app._get_current_object()
    huey = queue(app)
    consumer = huey.create_consumer(
        workers=threads or app.config["OPENDAY_WORKER_THREADS"], worker_type="thread",
        periodic=True, initial_delay=0.1, backoff=1.15, max_delay=1.0, scheduler_interval=1)
    # Each job once now, then on its schedule: what came due while no worker ran.
    for job in huey.openday_jobs.values():
        job()
    click.echo(f"openday worker: queue {type(huey).__name__}, "
               f"{len(PERIODIC_JOBS)} periodic jobs", err=True)
    consumer.run()

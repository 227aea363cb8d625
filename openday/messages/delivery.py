"""Delivering the outbox: claim due rows under a lease, send, mark.

Never twice, as far as it can be promised. A worker claims rows in a write transaction (``FOR
UPDATE SKIP LOCKED`` on PostgreSQL; SQLite's write lock serialises claims) and marks them
``sending`` with ``lease_until`` *before* any network call, so two workers never hold the same
row. The answer is recorded only if the row is still ours (same attempt number). A worker killed
between the gateway's answer and that record leaves a ``sending`` row whose lease runs out; it is
then sent again, with the same ``id``. That one case is where a network cannot give "exactly
once": the SMS relay (and the mail system, by Message-ID) drops an ``id`` it already passed on,
and that is what makes delivery at most once end to end (deploy/README.md).

A gateway that answers anything but 2xx, or not at all, is tried again after a wait that doubles
each time (OPENDAY_MESSAGE_RETRY_SECONDS, capped at an hour) until OPENDAY_MESSAGE_MAX_ATTEMPTS,
then the row is ``failed``. SMS keep quiet hours (not sent 21:00–08:00 Beijing, held to 08:00)
unless urgent (a same-day change, or a lookup its holder just asked for), and a phone gets at most
OPENDAY_SMS_DAILY_CEILING SMS a day: past it a message is ``skipped`` (it stays on the page).
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from openday import clock
from openday.core.db import write_transaction
from openday.extensions import db
from openday.messages import channels
from openday.bookings.models import Booking, BookingStatus
from openday.messages.models import Channel, Message, MessageKind, MessageStatus

log = logging.getLogger(__name__)
# Rows claimed at once. Their lease (OPENDAY_MESSAGE_LEASE_SECONDS) must cover sending them one
# after another: a failing gateway costs one timeout per batch (the rest wait, untried).
BATCH = 20
_STALE_ONCE_CANCELLED = {MessageKind.confirmed, MessageKind.promoted, MessageKind.reminder,
                         MessageKind.slot_changed}
MAX_BACKOFF = timedelta(hours=1)


@dataclass(frozen=True)
class Claimed:
    id: int
    uid: str
    channel: str
    recipient: str
    subject: str | None
    body: str
    attempts: int


@dataclass
class Outcome:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    deferred: int = 0
    skipped: int = 0                   # over the daily ceiling
    stale: int = 0                     # its booking was cancelled before it went
    next_due: datetime | None = None   # the soonest row still to try, if any
    seen: int = 0                      # rows the last claim looked at
    errors: list[str] = field(default_factory=list)


def quiet_hours() -> tuple[int, int] | None:
    raw = (current_app.config.get("OPENDAY_SMS_QUIET_HOURS") or "").strip()
    if not raw:
        return None
    start, _, end = raw.partition("-")
    return int(start), int(end)


def quiet_until(now: datetime) -> datetime | None:
    """When the quiet hours around ``now`` end, or None if ``now`` is not in them."""
    hours = quiet_hours()
    if hours is None:
        return None
    start, end = hours
    local = clock.local(now)
    inside = (start <= local.hour or local.hour < end) if start > end else start <= local.hour < end
    if not inside:
        return None
    day = local.date() if local.hour < end else local.date() + timedelta(days=1)
    return clock.china_datetime(day, end)


def _sent_today(recipient: str, now: datetime, exclude: int) -> int:
    local = clock.local(now)
    day_start = clock.china_datetime(local.date(), 0)
    return db.session.execute(
        sa.select(sa.func.count(Message.id)).where(
            Message.recipient == recipient, Message.channel == Channel.sms, Message.id != exclude,
            sa.or_(sa.and_(Message.status == MessageStatus.sent, Message.sent_at >= day_start),
                   Message.status == MessageStatus.sending))).scalar_one()


def _claim(now: datetime, limit: int, outcome: Outcome) -> list[Claimed]:
    config = current_app.config
    lease = timedelta(seconds=config["OPENDAY_MESSAGE_LEASE_SECONDS"])
    ceiling = config["OPENDAY_SMS_DAILY_CEILING"]
    due = db.session.execute(
        sa.select(Message).where(
            Message.channel.in_(_ways()),
            sa.or_(sa.and_(Message.status == MessageStatus.pending,
                           Message.next_attempt_at <= now),
                   sa.and_(Message.status == MessageStatus.sending, Message.lease_until <= now)))
        .order_by(Message.next_attempt_at, Message.id).limit(limit)
        .with_for_update(skip_locked=True)).scalars().all()
    outcome.seen = len(due)
    claimed = []
    for message in due:
        if message.kind in _STALE_ONCE_CANCELLED and message.booking_id is not None:
            booking = db.session.get(Booking, message.booking_id)
            if booking is not None and booking.status == BookingStatus.cancelled:
                # Held (quiet hours) or retried past its booking's end: "you are booked" after
                # "it is cancelled" would mislead.
                message.status, message.lease_until = MessageStatus.skipped, None
                message.last_error = "booking cancelled before it was sent"
                outcome.stale += 1
                continue
        if message.channel == Channel.sms:
            held = None if message.urgent else quiet_until(now)
            if held is not None:
                message.status, message.next_attempt_at, message.lease_until = (
                    MessageStatus.pending, held, None)
                outcome.deferred += 1
                continue
            if _sent_today(message.recipient or "", now, message.id) >= ceiling:
                message.status, message.lease_until = MessageStatus.skipped, None
                message.last_error = "daily ceiling reached"
                outcome.skipped += 1
                continue
        message.status = MessageStatus.sending
        message.lease_until = now + lease
        message.attempts += 1
        db.session.flush()  # counted as sending by the ceiling check of the next row
        claimed.append(Claimed(message.id, message.uid, message.channel, message.recipient or "",
                               message.subject, message.body, message.attempts))
    return claimed


def _send(message: Claimed) -> str | None:
    config = current_app.config
    timeout = config["OPENDAY_SMS_TIMEOUT_SECONDS"]
    if not message.recipient:
        return "no recipient (purged)"
    if message.channel == Channel.sms:
        return channels.send_sms(config["OPENDAY_SMS_WEBHOOK_URL"], message.recipient,
                                 message.body, message.uid, timeout)
    return channels.send_mail(config["OPENDAY_SMTP_URL"], config["OPENDAY_MAIL_FROM"],
                              message.recipient, message.subject or "", message.body,
                              message.uid, timeout)


def _result(message: Claimed, error: str | None, now: datetime,
            backoff_of: Claimed | None = None) -> tuple[dict, str]:
    """The row's new values and the outcome's counter; ``backoff_of``: not tried, because the
    same gateway just failed another message, so it waits as that one does, attempt not counted."""
    config = current_app.config
    if backoff_of is not None:
        wait = timedelta(seconds=config["OPENDAY_MESSAGE_RETRY_SECONDS"]
                         * 2 ** (backoff_of.attempts - 1))
        return ({"status": MessageStatus.pending, "lease_until": None,
                 "attempts": message.attempts - 1,
                 "next_attempt_at": now + min(wait, MAX_BACKOFF)}, "retried")
    if error is None:
        return ({"status": MessageStatus.sent, "sent_at": now, "lease_until": None,
                 "last_error": None}, "sent")
    if message.attempts >= config["OPENDAY_MESSAGE_MAX_ATTEMPTS"]:
        return {"status": MessageStatus.failed, "lease_until": None,
                "last_error": error[:200]}, "failed"
    wait = timedelta(seconds=config["OPENDAY_MESSAGE_RETRY_SECONDS"] * 2 ** (message.attempts - 1))
    return ({"status": MessageStatus.pending, "lease_until": None, "last_error": error[:200],
             "next_attempt_at": now + min(wait, MAX_BACKOFF)}, "retried")


def _record(results: list[tuple[Claimed, dict, str]], outcome: Outcome) -> None:
    """Every answer of a batch in one write transaction (one per message would double the
    writes a rush of bookings queues behind on SQLite), each only if the row is still ours."""
    def work() -> list[int]:
        return [db.session.execute(
            sa.update(Message).where(Message.id == message.id,
                                     Message.status == MessageStatus.sending,
                                     Message.attempts == message.attempts)
            .values(values).execution_options(synchronize_session=False)).rowcount
            for message, values, _counter in results]

    for (message, _values, counter), changed in zip(results, write_transaction(work)):
        if changed:
            setattr(outcome, counter, getattr(outcome, counter) + 1)
        else:
            # The lease ran out while we were sending and another worker took the row: its
            # attempt (with the same id) is the one that counts.
            log.warning("message %d: lease lost during delivery", message.id)


def _ways() -> list[str]:
    """The channels that can deliver now: SMS wait, kept, while no gateway is configured."""
    has_gateway = current_app.config.get("OPENDAY_SMS_WEBHOOK_URL")
    return [Channel.mail] + ([Channel.sms] if has_gateway else [])


def _next_due() -> datetime | None:
    return db.session.execute(sa.select(sa.func.min(sa.case(
        (Message.status == MessageStatus.sending, Message.lease_until),
        else_=Message.next_attempt_at))).where(
        Message.channel.in_(_ways()),
        Message.status.in_((MessageStatus.pending, MessageStatus.sending)))).scalar()


def deliver_due(now: datetime | None = None, limit: int = BATCH) -> Outcome:
    """Send what is due, batch after batch, until nothing due is left."""
    outcome = Outcome()
    while True:
        moment = now or clock.now()
        batch = write_transaction(lambda moment=moment: _claim(moment, limit, outcome))
        results, failing = [], {}
        for message in batch:
            if message.channel in failing:
                # That gateway just failed: do not spend a timeout on each of the rest.
                values, counter = _result(message, None, clock.now(), failing[message.channel])
            else:
                error = _send(message)
                if error:
                    log.info("message %d (%s) not delivered: %s", message.id, message.channel,
                             error)
                    outcome.errors.append(error)
                    failing[message.channel] = message
                values, counter = _result(message, error, clock.now())
            results.append((message, values, counter))
        if results:
            _record(results, outcome)
        if outcome.seen < limit:
            break
    outcome.next_due = _next_due()
    db.session.commit()
    return outcome

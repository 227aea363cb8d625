"""The worker's periodic jobs (listed in ``openday.worker.PERIODIC_JOBS``); each one decides for
itself whether there is anything to do now, so running one twice or late is harmless."""
from __future__ import annotations

import logging
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app

from openday import clock
from openday.bookings.models import Booking
from openday.bookings.purge import purge_personal_data
from openday.core.db import write_transaction
from openday.events.models import Campaign, Slot
from openday.extensions import db
from openday.messages import delivery, service
from openday.messages.models import Message, OneTimeLink

log = logging.getLogger(__name__)


def deliver() -> delivery.Outcome:
    outcome = delivery.deliver_due()
    if outcome.sent or outcome.retried or outcome.failed:
        log.info("messages: %d sent, %d to retry, %d failed, %d held, %d over the ceiling, "
                 "%d no longer true", outcome.sent, outcome.retried, outcome.failed,
                 outcome.deferred, outcome.skipped, outcome.stale)
    return outcome


def reminders() -> int:
    queued = service.queue_reminders()
    if queued:
        log.info("reminders: %d queued", queued)
        deliver()
    return queued


def purge() -> int:
    """The PIPL purge (SPEC §7) of every campaign past its retention (which also empties the
    messages about its bookings, ``messages.service.forget_campaign``), and of lookups older
    than the retention."""
    days = current_app.config["OPENDAY_RETENTION_DAYS"]
    last_day = clock.today() - timedelta(days=days + 1)
    years = db.session.execute(
        sa.select(Campaign.year).where(Campaign.ends_on <= last_day, sa.exists().where(
            Slot.campaign_id == Campaign.id, Booking.slot_id == Slot.id,
            Booking.purged_at.is_(None)))).scalars().all()
    db.session.commit()
    purged = 0
    for year in years:
        purged += purge_personal_data(year).bookings
        log.info("purge: personal data of the %d campaign removed", year)

    def work() -> None:
        # Messages about no booking ("find my bookings" texts) and their links, once old.
        old = clock.now() - timedelta(days=days)
        db.session.execute(sa.delete(Message).where(Message.booking_id.is_(None),
                                                    Message.user_id.is_(None),
                                                    Message.created_at < old)
                           .execution_options(synchronize_session=False))
        db.session.execute(sa.delete(OneTimeLink).where(OneTimeLink.expires_at < old)
                           .execution_options(synchronize_session=False))

    write_transaction(work)
    return purged

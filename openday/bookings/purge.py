"""The PIPL purge (SPEC §7): a finished campaign's bookings lose the citizens' names, phones and
remarks (which may say how a person's health needs help: "坐轮椅").

``flask --app wsgi openday purge-personal-data --campaign <year>`` (``bookings.commands``) runs it.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import sqlalchemy as sa
from flask import current_app

from openday import clock
from openday.bookings.models import Booking
from openday.core.db import write_transaction
from openday.core.errors import RuleError
from openday.events.models import Campaign, Slot
from openday.extensions import db
from openday.signals import personal_data_purged


@dataclass
class PurgeResult:
    year: int
    ends_on: date            # the campaign's last day (Beijing date)
    purge_from: date         # first day (Beijing) the purge runs without --force
    bookings: int = 0        # bookings whose name and phone were removed now


class PurgeRefused(RuleError):
    """Asked too early (before the campaign end + OPENDAY_RETENTION_DAYS) without ``force``."""

    status = 409
    code = "too_early"

    def __init__(self, result: PurgeResult) -> None:
        super().__init__(self.code, f"the {result.year} campaign ends on {result.ends_on}; its "
                         f"personal data is kept until it is OPENDAY_RETENTION_DAYS old, on "
                         f"{result.purge_from}")
        self.result = result


def purge_personal_data(year: int, force: bool = False, retention_days: int | None = None) -> PurgeResult:
    """Remove citizens' names and phones from the bookings of campaign ``year``.

    The booking rows stay, with their status, party size and check-in time, and so do the slots'
    counters: every total and the CSV exports read the same afterwards. Already purged bookings are
    left alone, so running it twice is harmless. Raises ``LookupError`` for an unknown year and
    :class:`PurgeRefused` before the campaign's last day + the retention period unless ``force``.
    One write transaction (retried when the database is busy).
    """
    campaign = db.session.execute(sa.select(Campaign).where(Campaign.year == year)).scalar_one_or_none()
    if campaign is None:
        raise LookupError(f"no campaign for the year {year}")
    days = current_app.config["OPENDAY_RETENTION_DAYS"] if retention_days is None else retention_days
    result = PurgeResult(year=year, ends_on=campaign.ends_on,
                         purge_from=campaign.ends_on + timedelta(days=days + 1))
    if clock.today() < result.purge_from and not force:
        raise PurgeRefused(result)
    campaign_id = campaign.id

    def work() -> int:
        slots = sa.select(Slot.id).where(Slot.campaign_id == campaign_id)
        count = db.session.execute(
            sa.update(Booking)
            .where(Booking.slot_id.in_(slots), Booking.purged_at.is_(None))
            .values(name=None, phone=None, remarks=None, purged_at=clock.now())
            .execution_options(synchronize_session=False)).rowcount
        personal_data_purged.send(campaign_id)
        return count

    result.bookings = write_transaction(work)
    return result

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from openday import clock
from openday.extensions import UTCDateTime, db

if TYPE_CHECKING:
    from openday.events.models import Slot


class BookingStatus(StrEnum):
    entered = "entered"   # a ballot entry before the draw (SPEC §12): no seats taken
    confirmed = "confirmed"
    waitlisted = "waitlisted"
    cancelled = "cancelled"


class CancelledBy(StrEnum):
    citizen = "citizen"
    lab = "lab"          # the lab cancelled the slot
    event = "event"      # the lab cancelled the whole event


class Booking(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)  # also the arrival order for the waitlist
    slot_id: Mapped[int] = mapped_column(sa.ForeignKey("slot.id"))
    code: Mapped[str] = mapped_column(sa.String(8), unique=True)
    manage_token: Mapped[str] = mapped_column(sa.String(43), unique=True)
    # Personal data: NULL after the PIPL purge, which keeps the row (and so the counts).
    name: Mapped[str | None] = mapped_column(sa.String(40))
    phone: Mapped[str | None] = mapped_column(sa.String(16))  # E.164: +8613812345678
    party_size: Mapped[int]
    # What the citizen tells the hosting lab ("坐轮椅"); shown on its roster and export only.
    remarks: Mapped[str | None] = mapped_column(sa.String(200))
    status: Mapped[str] = mapped_column(sa.String(10))
    # The Beijing date of the slot, copied so the per-phone daily cap is one indexed lookup.
    slot_day: Mapped[date] = mapped_column(sa.Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    consented_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    checked_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # How many of the party came (1..party_size), set with checked_in_at: visits count these.
    arrived: Mapped[int | None]
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_by: Mapped[str | None] = mapped_column(sa.String(10))
    purged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # SHA-256 of the value the booking form's submission carried (never the value): a second tap
    # of the same form, sent before the first answer's cookie arrived, finds its booking by it.
    submission_hash: Mapped[str | None] = mapped_column(sa.String(64))
    # The language the booking was made in: its messages are written in it (SPEC §11).
    locale: Mapped[str | None] = mapped_column(sa.String(8))
    # The citizen asked for no reminder (the manage page's switch); other messages still go.
    reminders_off: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    # An entry's place in its slot's draw (1 = drawn first), None for a first-come booking: the
    # waitlist of a drawn slot is served in drawn order, then in arrival order (see
    # ``bookings.service.queue_order``).
    draw_rank: Mapped[int | None] = mapped_column()

    slot: Mapped[Slot] = relationship()

    # Not stored: the place in line when the booking service already knows it (a booking just
    # waitlisted under its slot's lock is last in line), so the answer to a rush of bookers
    # costs no count. Only set on the object book() returns, and forgotten as soon as the
    # session expires or refreshes it (the line may have moved since).
    known_position = None
    # Not stored either: what the booker was told when this booking was made (the API's 201
    # body), set on the object book() returns; for a retry with the same Idempotency-Key, the
    # receipt kept with the key, so the retry is answered exactly as the first request was.
    receipt = None

    __table_args__ = (
        sa.CheckConstraint("party_size >= 1", name="party_positive"),
        sa.CheckConstraint("arrived IS NULL OR (arrived >= 1 AND arrived <= party_size)",
                           name="arrived_within_party"),
        sa.CheckConstraint("status IN ('entered', 'confirmed', 'waitlisted', 'cancelled')",
                           name="status_known"),
        # One active booking per phone per slot; a cancelled one frees the phone for a new try.
        sa.Index("uq_booking_active_phone", "slot_id", "phone", unique=True,
                 sqlite_where=sa.text("status != 'cancelled'"),
                 postgresql_where=sa.text("status != 'cancelled'")),
        sa.Index("ix_booking_slot_status", "slot_id", "status", "id"),
        sa.Index("ix_booking_phone_day", "phone", "slot_day"),
    )

    def __repr__(self) -> str:
        return f"<Booking {self.code} {self.status}>"


@sa.event.listens_for(Booking, "expire")
def _forget_position_on_expire(target: Booking, _attrs) -> None:
    target.known_position = None


@sa.event.listens_for(Booking, "refresh")
def _forget_position_on_refresh(target: Booking, _context, _attrs) -> None:
    target.known_position = None


class IdempotencyKey(db.Model):
    """A booking request's ``Idempotency-Key`` and the answer it got, for 24 hours (SPEC §6): a
    client that retries with the same key (the first answer lost on the way) is answered again,
    token included, instead of being told its own booking is someone else's. Only the key's
    SHA-256 is stored, never the key; ``request_hash`` says which request it was sent with, so the
    same key with another body is refused rather than answered with a booking it did not ask for.
    """

    key_hash: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    request_hash: Mapped[str] = mapped_column(sa.String(64))
    booking_id: Mapped[int] = mapped_column(sa.ForeignKey("booking.id"), index=True)
    # The body as first sent (JSON). The manage token in it is no more exposed here than in
    # booking.manage_token.
    receipt: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now, index=True)

"""Visitors' feedback (SPEC §13): one rating, and perhaps a comment, per checked-in booking."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from openday import clock
from openday.extensions import UTCDateTime, db

COMMENT_MAX = 500


class Feedback(db.Model):
    """A visitor's rating of a visit. It keeps the slot and lab it is about (copies of the
    booking's), so that a lab's and a region's comments are read without touching bookings, and
    never the visitor's name or phone: whoever reads a comment cannot tell who wrote it."""

    id: Mapped[int] = mapped_column(primary_key=True)
    booking_id: Mapped[int] = mapped_column(sa.ForeignKey("booking.id"), unique=True)
    slot_id: Mapped[int] = mapped_column(sa.ForeignKey("slot.id"), index=True)
    lab_id: Mapped[int] = mapped_column(sa.ForeignKey("lab.id"), index=True)
    rating: Mapped[int]
    comment: Mapped[str | None] = mapped_column(sa.Text)  # plain text, shown escaped
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)

    __table_args__ = (
        sa.CheckConstraint("rating BETWEEN 1 AND 5", name="rating_range"),
    )


class FeedbackInvitation(db.Model):
    """That a checked-in visitor was invited to rate the visit (once, the day after it)."""

    booking_id: Mapped[int] = mapped_column(sa.ForeignKey("booking.id"), primary_key=True)
    invited_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)

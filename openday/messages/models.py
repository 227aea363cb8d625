"""The outbox (SPEC §11): every message is a row, written in the transaction of the change that
causes it, and delivered by the worker; one-time links for "find my bookings" and password
resets."""
from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from openday import clock
from openday.extensions import UTCDateTime, db


class Channel(StrEnum):
    sms = "sms"
    mail = "mail"
    page = "page"   # no gateway: kept and shown on the booking's page only


class MessageStatus(StrEnum):
    pending = "pending"
    sending = "sending"   # claimed by a worker until lease_until
    sent = "sent"
    failed = "failed"     # gave up after the last attempt
    skipped = "skipped"   # not sent: over the phone's daily ceiling, or no mail server


class MessageKind(StrEnum):
    confirmed = "confirmed"
    promoted = "promoted"
    slot_cancelled = "slot_cancelled"
    event_cancelled = "event_cancelled"
    slot_changed = "slot_changed"
    reminder = "reminder"
    lookup = "lookup"               # find my bookings
    lab_approved = "lab_approved"
    lab_rejected = "lab_rejected"
    password_reset = "password_reset"
    entered = "entered"                   # a ballot entry received
    drawn_won = "drawn_won"               # the draw confirmed it
    drawn_waitlisted = "drawn_waitlisted" # the draw put it in line
    feedback_invite = "feedback_invite"   # the day after a checked-in visit


class Message(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    # The webhook's "id": the same on every attempt, so a relay drops a repeat (see delivery).
    uid: Mapped[str] = mapped_column(sa.String(64), unique=True)
    kind: Mapped[str] = mapped_column(sa.String(20))
    channel: Mapped[str] = mapped_column(sa.String(5))
    # E.164 phone or email; NULL once the booking's personal data is purged.
    recipient: Mapped[str | None] = mapped_column(sa.String(254))
    booking_id: Mapped[int | None] = mapped_column(sa.ForeignKey("booking.id"), index=True)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    lab_id: Mapped[int | None] = mapped_column(sa.ForeignKey("lab.id"))
    locale: Mapped[str] = mapped_column(sa.String(8), default="zh_Hans")
    subject: Mapped[str | None] = mapped_column(sa.String(200))
    body: Mapped[str] = mapped_column(sa.Text)
    # A same-day change: sent in quiet hours too (the citizen may be on the way).
    urgent: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    status: Mapped[str] = mapped_column(sa.String(8), default=MessageStatus.pending)
    attempts: Mapped[int] = mapped_column(default=0, server_default=sa.text("0"))
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(sa.String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)

    __table_args__ = (
        sa.CheckConstraint("channel IN ('sms', 'mail', 'page')", name="channel_known"),
        sa.CheckConstraint(
            "status IN ('pending', 'sending', 'sent', 'failed', 'skipped')", name="status_known"),
        # What the worker scans for: due rows by status and time.
        sa.Index("ix_message_due", "status", "next_attempt_at"),
        # The per-phone daily ceiling counts one recipient's recent rows.
        sa.Index("ix_message_recipient_sent", "recipient", "sent_at"),
    )

    def __repr__(self) -> str:
        return f"<Message {self.id} {self.kind} {self.channel} {self.status}>"


class LinkPurpose(StrEnum):
    lookup = "lookup"
    password_reset = "password_reset"


class OneTimeLink(db.Model):
    """A mailed or texted link that works once before it expires. Only the token's SHA-256 is
    stored: a copy of the database opens nobody's bookings or account."""

    id: Mapped[int] = mapped_column(primary_key=True)
    purpose: Mapped[str] = mapped_column(sa.String(16))
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    phone: Mapped[str | None] = mapped_column(sa.String(16))
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

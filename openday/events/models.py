from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from openday import clock
from openday.extensions import UTCDateTime, db
from openday.labs.models import Lab, LabStatus


class EventKind(StrEnum):
    tour = "tour"
    lecture = "lecture"
    free_testing = "free_testing"
    quiz = "quiz"
    training = "training"


class EventStatus(StrEnum):
    draft = "draft"
    published = "published"
    cancelled = "cancelled"


class SlotStatus(StrEnum):
    open = "open"
    cancelled = "cancelled"


class SlotMode(StrEnum):
    """How a slot's seats are given (SPEC §12): first come, first served, or by a public draw."""

    first_come = "first_come"
    ballot = "ballot"


# ---- what the public sees ------------------------------------------------------------------------
#
# Two rules, each written once. *Public*: the page of an event or a slot is shown (its lab approved,
# the event not a draft; a cancelled one says it was cancelled). *Listed*: a slot is in the
# listings, search, the API's list and the totals (public, and the event published, the slot open);
# ``Slot.listed`` keeps it as a column, in step through the events service.

PUBLIC_EVENT_STATUSES = (EventStatus.published, EventStatus.cancelled)


def public_rule(event_status: str, lab_status: str) -> bool:
    """Whether the public may see an event and its slots."""
    return lab_status == LabStatus.approved and event_status in PUBLIC_EVENT_STATUSES


def public_condition() -> sa.ColumnElement[bool]:
    """:func:`public_rule` in SQL (Event and Lab joined)."""
    return sa.and_(Lab.status == LabStatus.approved, Event.status.in_(PUBLIC_EVENT_STATUSES))


def public_status(slot_status: str, event_status: str) -> str:
    """A public slot's state as the API names it: open, or cancelled (the slot or its event)."""
    if slot_status == SlotStatus.cancelled or event_status == EventStatus.cancelled:
        return "cancelled"
    return "open"


def listed_rule(event_status: str, slot_status: str, lab_status: str) -> bool:
    """Whether a slot is listed (what ``Slot.listed`` must say)."""
    return (event_status == EventStatus.published and slot_status == SlotStatus.open
            and lab_status == LabStatus.approved)


def listed_condition() -> sa.ColumnElement[bool]:
    """:func:`listed_rule` in SQL (Event, Slot and Lab joined)."""
    return sa.and_(Event.status == EventStatus.published, Slot.status == SlotStatus.open,
                   Lab.status == LabStatus.approved)


class Campaign(db.Model):
    """One national open-day edition; exactly one is current."""

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(unique=True)
    edition: Mapped[int]
    theme: Mapped[str] = mapped_column(sa.String(100))
    starts_on: Mapped[date]
    ends_on: Mapped[date]
    registration_opens_at: Mapped[datetime] = mapped_column(UTCDateTime)
    registration_closes_at: Mapped[datetime] = mapped_column(UTCDateTime)
    is_current: Mapped[bool] = mapped_column(default=False)

    __table_args__ = (
        sa.CheckConstraint("ends_on >= starts_on", name="window_ordered"),
        sa.CheckConstraint("registration_closes_at > registration_opens_at",
                           name="registration_ordered"),
        sa.Index("uq_campaign_current", "is_current", unique=True,
                 sqlite_where=sa.text("is_current"), postgresql_where=sa.text("is_current")),
    )

    def __repr__(self) -> str:
        return f"<Campaign {self.year}>"


class Event(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    lab_id: Mapped[int] = mapped_column(sa.ForeignKey("lab.id"), index=True)
    campaign_id: Mapped[int] = mapped_column(sa.ForeignKey("campaign.id"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(20))
    title: Mapped[str] = mapped_column(sa.String(120))
    summary: Mapped[str] = mapped_column(sa.String(300), default="")
    description: Mapped[str] = mapped_column(sa.Text, default="")
    venue_type: Mapped[str] = mapped_column(sa.String(20), default="lab")  # lab/school/company/community/other
    venue_name: Mapped[str] = mapped_column(sa.String(120), default="")
    venue_address: Mapped[str] = mapped_column(sa.String(200))
    province_adcode: Mapped[str] = mapped_column(sa.String(6))
    city_adcode: Mapped[str] = mapped_column(sa.String(6))
    district_adcode: Mapped[str] = mapped_column(sa.String(6))
    lat: Mapped[float | None]
    lon: Mapped[float | None]
    # True when the lab set the venue's point itself (coordinates or a map link); otherwise
    # lat/lon are where the address was geocoded, often only its district's centre, and
    # distances to it are shown as approximate.
    point_exact: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    audience: Mapped[str] = mapped_column(sa.String(100), default="public")  # comma-separated codes
    accessibility: Mapped[str] = mapped_column(sa.String(500), default="")
    testing_items: Mapped[str] = mapped_column(sa.String(500), default="")
    what_to_bring: Mapped[str] = mapped_column(sa.String(500), default="")
    status: Mapped[str] = mapped_column(sa.String(10), default=EventStatus.draft)
    cancel_reason: Mapped[str | None] = mapped_column(sa.String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now, onupdate=clock.now)

    lab: Mapped[Lab] = relationship()
    campaign: Mapped[Campaign] = relationship()
    slots: Mapped[list[Slot]] = relationship(back_populates="event", order_by="Slot.starts_at")

    __table_args__ = (
        sa.CheckConstraint("kind IN ('tour', 'lecture', 'free_testing', 'quiz', 'training')",
                           name="kind_known"),
        sa.CheckConstraint("status IN ('draft', 'published', 'cancelled')", name="status_known"),
        sa.Index("ix_event_city_status", "city_adcode", "status"),
        sa.Index("ix_event_lat_lon", "lat", "lon"),
    )

    def is_public(self) -> bool:
        return public_rule(self.status, self.lab.status)

    def __repr__(self) -> str:
        return f"<Event {self.id} {self.kind}>"


class SlotRules:
    """What a slot's own values say about it, for the ORM's Slot and for the pages that read a
    slot as plain columns (events.service.PageSlot, the booking page's): one rule each."""

    # Reads capacity, seats_taken, starts_at, booking_closes_at, mode, draw_at and drawn_at.
    __slots__ = ()

    @property
    def seats_left(self) -> int:
        return max(self.capacity - self.seats_taken, 0)

    @property
    def closes_at(self) -> datetime:
        return self.booking_closes_at or self.starts_at

    @property
    def is_ballot(self) -> bool:
        return self.mode == SlotMode.ballot

    def takes_entries(self, now: datetime) -> bool:
        """Whether a booking now is a ballot entry (the draw is ahead and has not run)."""
        return self.is_ballot and self.drawn_at is None and now < self.draw_at


class Slot(SlotRules, db.Model):
    """One dated occurrence of an Event.

    Besides its own facts a slot keeps the counters the booking service maintains (seats taken,
    bookings confirmed and waitlisted, people checked in, walk-ins), and copies of its event's
    campaign, lab, city, kind and visibility (``listed``), so that search and the national totals
    read one indexed table instead of counting millions of bookings. The events service keeps the
    copies in step when an event changes.
    """

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("event.id"), index=True)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    capacity: Mapped[int]
    max_party: Mapped[int] = mapped_column(default=4)
    booking_closes_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # None: when it starts
    status: Mapped[str] = mapped_column(sa.String(10), default=SlotStatus.open)
    cancel_reason: Mapped[str | None] = mapped_column(sa.String(500))
    # The time before the last reschedule and the lab's note on it, shown to those booked.
    previous_starts_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    previous_ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    rescheduled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reschedule_note: Mapped[str | None] = mapped_column(sa.String(300))

    seats_taken: Mapped[int] = mapped_column(default=0)        # people in confirmed bookings
    confirmed_count: Mapped[int] = mapped_column(default=0)    # confirmed bookings
    waitlisted_count: Mapped[int] = mapped_column(default=0)   # waitlisted bookings
    waitlisted_people: Mapped[int] = mapped_column(default=0)
    checked_in_people: Mapped[int] = mapped_column(default=0)
    walk_ins: Mapped[int] = mapped_column(default=0)

    # A ballot (SPEC §12, ``bookings.ballot``): entries until ``draw_at``, then one draw, whose
    # seed and entries' hash are published; after it the slot books first come, first served.
    mode: Mapped[str] = mapped_column(sa.String(10), default=SlotMode.first_come,
                                      server_default=SlotMode.first_come.value)
    draw_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    drawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    draw_seed: Mapped[str | None] = mapped_column(sa.String(64))
    entries_sha256: Mapped[str | None] = mapped_column(sa.String(64))
    entered_count: Mapped[int] = mapped_column(default=0, server_default="0")  # entries not drawn yet
    draw_entries: Mapped[int] = mapped_column(default=0, server_default="0")   # entries the draw ordered
    draw_winners: Mapped[int] = mapped_column(default=0, server_default="0")   # of them confirmed
    # Visitors' ratings (SPEC §13, ``feedback``), summed here so the totals stay one slot scan.
    rating_count: Mapped[int] = mapped_column(default=0, server_default="0")
    rating_sum: Mapped[int] = mapped_column(default=0, server_default="0")

    campaign_id: Mapped[int] = mapped_column(sa.ForeignKey("campaign.id"))
    lab_id: Mapped[int] = mapped_column(sa.ForeignKey("lab.id"))
    city_adcode: Mapped[str] = mapped_column(sa.String(6))
    kind: Mapped[str] = mapped_column(sa.String(20))
    listed: Mapped[bool] = mapped_column(default=False)  # event published, slot open, lab approved

    event: Mapped[Event] = relationship(back_populates="slots")

    __table_args__ = (
        sa.CheckConstraint("capacity > 0", name="capacity_positive"),
        sa.CheckConstraint("seats_taken >= 0 AND seats_taken <= capacity",
                           name="seats_within_capacity"),
        sa.CheckConstraint("max_party >= 1 AND max_party <= capacity", name="party_fits"),
        sa.CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        sa.CheckConstraint("status IN ('open', 'cancelled')", name="status_known"),
        sa.CheckConstraint("walk_ins >= 0 AND checked_in_people >= 0 AND confirmed_count >= 0 "
                           "AND waitlisted_count >= 0 AND waitlisted_people >= 0",
                           name="counters_not_negative"),
        sa.CheckConstraint("mode IN ('first_come', 'ballot')", name="mode_known"),
        sa.CheckConstraint("mode = 'first_come' OR draw_at IS NOT NULL", name="ballot_draw_at"),
        sa.CheckConstraint("entered_count >= 0 AND draw_winners <= draw_entries "
                           "AND rating_count >= 0 AND rating_sum >= rating_count "
                           "AND rating_sum <= 5 * rating_count", name="ballot_rating_counters"),
        sa.Index("ix_slot_city_listed_start", "city_adcode", "listed", "starts_at"),
        sa.Index("ix_slot_listed_start", "listed", "starts_at"),
        sa.Index("ix_slot_campaign_lab", "campaign_id", "lab_id"),
        sa.Index("ix_slot_lab_start", "lab_id", "starts_at"),
    )

    @property
    def public_status(self) -> str:
        """What the public is told: "cancelled" when the slot or its event was, else "open"."""
        return public_status(self.status, self.event.status)

    def is_public(self) -> bool:
        return self.event.is_public()

    def __repr__(self) -> str:
        return f"<Slot {self.id} {self.starts_at:%Y-%m-%d %H:%M}>"

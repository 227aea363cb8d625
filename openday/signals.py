"""Every signal openday sends, and the receivers the app factory connects.

A signal lets a lower domain tell a higher one that something changed without importing it (labs
cannot import events: events import labs). Receivers are connected by :func:`connect_signals`, not
as a side effect of importing their module.
"""
from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

# Sender: the Lab, after its status changed, inside the reviewer's transaction before it commits,
# so what depends on the status (its slots' ``listed``) follows in the same commit.
lab_status_changed = _signals.signal("lab-status-changed")
# Sender: the Lab a regulator reviewed; ``action`` (approve, reject, suspend, reinstate) and
# ``reason``, inside the review's transaction.
lab_reviewed = _signals.signal("lab-reviewed")

# The booking engine's news, each inside the write transaction that made it, so what the messages
# outbox writes on hearing it commits (or rolls back) with the change.
# Sender: a new confirmed Booking; ``slot``: its Slot, locked.
booking_confirmed = _signals.signal("booking-confirmed")
# Sender: a new ballot entry (Booking, status entered); ``slot``: its Slot, locked.
booking_entered = _signals.signal("booking-entered")
# Sender: an entry the draw just decided (confirmed or waitlisted), inside the draw's transaction.
ballot_drawn = _signals.signal("ballot-drawn")
# Sender: a checked-in Booking invited to rate its visit, inside the invitation's transaction.
feedback_invited = _signals.signal("feedback-invited")
# Sender: the Slot; ``bookings``: the waitlisted bookings just confirmed.
bookings_promoted = _signals.signal("bookings-promoted")
# Sender: the Slot; ``bookings``: its bookings just cancelled by ``by`` (lab or event).
bookings_cancelled = _signals.signal("bookings-cancelled")
# Sender: the Campaign id whose bookings' personal data the PIPL purge just removed, inside its
# transaction: copies elsewhere (the messages sent to those phones) go with it.
personal_data_purged = _signals.signal("personal-data-purged")

# Sender: the Slot, after its time moved, inside the lab's transaction before it commits; keyword
# ``booking_ids``: the active bookings on it, whose citizens are to be told (bookings.staff).
slot_rescheduled = _signals.signal("slot-rescheduled")


def connect_signals() -> None:
    """Connect every receiver (connecting one twice is a no-op, so each app factory may call it)."""
    from openday.events.service import refresh_lab_slots

    lab_status_changed.connect(refresh_lab_slots)
    lab_reviewed.connect(_lab_reviewed)
    booking_confirmed.connect(_booking_confirmed)
    bookings_promoted.connect(_bookings_promoted)
    bookings_cancelled.connect(_bookings_cancelled)
    personal_data_purged.connect(_personal_data_purged)
    slot_rescheduled.connect(_slot_rescheduled)
    booking_entered.connect(_booking_entered)
    ballot_drawn.connect(_ballot_drawn)
    feedback_invited.connect(_feedback_invited)


def _lab_reviewed(lab, action: str, reason: str | None = None) -> None:
    from openday.messages import service
    service.lab_reviewed(lab, action, reason)


def _booking_confirmed(booking, slot) -> None:
    from openday.messages import service
    service.booking_confirmed(booking, slot)


def _bookings_promoted(slot, bookings) -> None:
    from openday.messages import service
    service.bookings_promoted(slot, bookings)


def _bookings_cancelled(slot, bookings, by) -> None:
    from openday.messages import service
    service.bookings_cancelled(slot, bookings, by)


def _personal_data_purged(campaign_id: int) -> None:
    from openday.messages import service
    service.forget_campaign(campaign_id)


def _slot_rescheduled(slot, booking_ids) -> None:
    # The messages service reads the slot's active bookings itself, in the same transaction.
    from openday.messages import service
    service.slot_changed(slot, slot.previous_starts_at)


def _booking_entered(booking, slot) -> None:
    from openday.messages import service
    service.entry_received(booking, slot)


def _ballot_drawn(booking) -> None:
    from openday.messages import service
    service.ballot_drawn(booking)


def _feedback_invited(booking) -> None:
    from openday.messages import service
    service.feedback_invited(booking)

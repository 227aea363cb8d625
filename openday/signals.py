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

# Sender: the Slot, after its time moved, inside the lab's transaction before it commits; keyword
# ``booking_ids``: the active bookings on it, whose citizens are to be told (bookings.staff).
slot_rescheduled = _signals.signal("slot-rescheduled")


def connect_signals() -> None:
    """Connect every receiver (connecting one twice is a no-op, so each app factory may call it)."""
    from openday.events.service import refresh_lab_slots

    lab_status_changed.connect(refresh_lab_slots)

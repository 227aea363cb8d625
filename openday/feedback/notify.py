"""What visitors are told about feedback, in one place (SPEC §11, §13).

The messages outbox is built apart; :func:`invite_to_rate` is where it connects. It is called by
``service.send_feedback_invitations`` inside the transaction that records the invitation, once per
checked-in booking, the day after the visit, so a message written here is written exactly once.
"""
from __future__ import annotations

from openday.bookings.models import Booking


def invite_to_rate(booking: Booking) -> None:
    """Invite a checked-in visitor to rate yesterday's visit (the manage page has the form)."""

"""What visitors are told about feedback (SPEC §11, §13).

:func:`invite_to_rate` is called by ``service.send_feedback_invitations`` inside the transaction
that records the invitation, once per checked-in booking, the day after the visit; the messages
outbox hears it through a signal, so its row is written exactly once, with the invitation.
"""
from __future__ import annotations

from openday.bookings.models import Booking
from openday.signals import feedback_invited


def invite_to_rate(booking: Booking) -> None:
    """Invite a checked-in visitor to rate yesterday's visit (the manage page has the form)."""
    feedback_invited.send(booking)

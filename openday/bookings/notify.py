"""What citizens are told about their ballot entries (SPEC §11, §12).

The draw calls :func:`tell_drawn` inside its transaction, once per entrant, after the entrant's
outcome is set (``booking.status`` confirmed: won; waitlisted: in line). The messages outbox
hears it through a signal (bookings sit below messages), so its row commits with the draw.
"""
from __future__ import annotations

from openday.bookings.models import Booking
from openday.signals import ballot_drawn


def tell_drawn(booking: Booking) -> None:
    """The draw has decided ``booking``: won (confirmed) or waitlisted in drawn order."""
    ballot_drawn.send(booking)

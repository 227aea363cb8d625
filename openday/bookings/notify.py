"""What citizens must be told about their ballot entries, in one place (SPEC §11, §12).

The messages outbox and its worker are built apart; until they are connected here, telling is a
no-op that the draw already calls at the right moment: inside the draw's transaction, once per
entrant, after the entrant's outcome is set (``booking.status`` confirmed: won; waitlisted: in
line at ``waitlist_position``). A message written here is therefore written exactly when the
draw commits, and never when it rolls back.
"""
from __future__ import annotations

from openday.bookings.models import Booking


def tell_drawn(booking: Booking) -> None:
    """The draw has decided ``booking``: won (confirmed) or waitlisted in drawn order."""

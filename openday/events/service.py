"""Events and slots: the rules labs publish by, shared by the HTML views and the API."""
from __future__ import annotations

import sqlalchemy as sa

from openday.events.models import Campaign, Event, EventStatus, Slot, SlotStatus
from openday.extensions import db


def current_campaign() -> Campaign | None:
    return db.session.execute(db.select(Campaign).where(Campaign.is_current)).scalar_one_or_none()


def slot_copies(event: Event, slot_status: str = SlotStatus.open) -> dict:
    """The event's facts that each of its slots keeps a copy of (see ``Slot``)."""
    return {
        "campaign_id": event.campaign_id,
        "lab_id": event.lab_id,
        "city_adcode": event.city_adcode,
        "kind": event.kind,
        "listed": event.status == EventStatus.published and slot_status == SlotStatus.open,
    }


def refresh_slot_copies(event: Event) -> None:
    """Bring every slot of an event in step after the event changed (kind, city, status)."""
    db.session.flush()
    copies = slot_copies(event)
    listed = copies.pop("listed")
    db.session.execute(
        sa.update(Slot).where(Slot.event_id == event.id)
        .values(**copies, listed=sa.and_(sa.literal(listed), Slot.status == SlotStatus.open)),
        execution_options={"synchronize_session": "fetch"})

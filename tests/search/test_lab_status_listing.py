"""A lab's review status reaches its slots' ``listed`` copy: search counts on the slot alone."""
from __future__ import annotations

import sqlalchemy as sa

from openday.events.models import EventStatus, Slot, SlotStatus
from openday.labs import service as labs


def listed_ids(client) -> list[int]:
    response = client.get("/api/v1/slots?city=长沙")
    assert response.status_code == 200
    body = response.get_json()
    assert body["total"] == len(body["items"])
    return sorted(item["id"] for item in body["items"])


def test_suspending_a_lab_hides_its_slots_and_reinstating_shows_them(
        client, db, create_lab, create_event, create_slot):
    lab = create_lab(name="长沙被审核的机构")
    other = create_slot(event=create_event(lab=create_lab(name="长沙别的机构")))
    shown = create_slot(event=create_event(lab=lab))
    cancelled = create_slot(event=shown.event)
    cancelled.status, cancelled.listed = SlotStatus.cancelled, False
    draft = create_slot(event=create_event(lab=lab, status=EventStatus.draft))
    db.session.commit()
    assert listed_ids(client) == sorted([other.id, shown.id])

    labs.review(lab, "suspend", "资质认定证书已过期")
    assert listed_ids(client) == [other.id]
    assert db.session.execute(sa.select(Slot.id).where(Slot.lab_id == lab.id, Slot.listed)).all() == []
    assert client.get(f"/api/v1/slots/{shown.id}").status_code == 404

    labs.review(lab, "reinstate")
    assert listed_ids(client) == sorted([other.id, shown.id])
    db.session.expire_all()  # the draft's and the cancelled slot's stay unlisted
    assert (db.session.get(Slot, cancelled.id).listed, db.session.get(Slot, draft.id).listed) == (
        False, False)
    assert client.get(f"/api/v1/slots/{shown.id}").status_code == 200

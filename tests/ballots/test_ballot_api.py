"""The ballot and feedback in the JSON API match the OpenAPI document (SPEC §6)."""
from __future__ import annotations

from datetime import timedelta

from openday import clock
from openday.bookings import ballot, staff
from tests.api.test_openapi import check


def test_ballot_slot_and_feedback_answers_match_the_document(client, db, create_slot, monkeypatch):
    document = client.get("/api/v1/openapi.json").get_json()
    slot = create_slot(capacity=2, max_party=2, mode="ballot",
                       draw_at=clock.now() + timedelta(hours=1))
    slot_id, lab_id, starts_at, draw_at = slot.id, slot.lab_id, slot.starts_at, slot.draw_at
    before = client.get(f"/api/v1/slots/{slot_id}").get_json()
    check(document, "SlotDetail", before)
    assert before["mode"] == "ballot" and before["draw"] is None
    listed = client.get("/api/v1/slots?city=长沙").get_json()["items"]
    assert [item["mode"] for item in listed] == ["ballot"]
    body = {"name": "钱七", "phone": "13800138000", "party_size": 2, "consent": True}
    entered = client.post(f"/api/v1/slots/{slot_id}/bookings", json=body)
    assert entered.status_code == 201 and entered.get_json()["status"] == "entered"
    check(document, "BookingCreated", entered.get_json())
    token = entered.get_json()["manage_token"]
    check(document, "Booking", client.get(f"/api/v1/bookings/{token}").get_json())
    ballot.draw_slot(slot_id, draw_at + timedelta(seconds=1))
    after = client.get(f"/api/v1/slots/{slot_id}").get_json()
    check(document, "SlotDetail", after)
    assert after["draw"]["order"] == [entered.get_json()["code"]]
    assert after["draw"]["winners"] == 1 and "SHA-256" in after["draw_rule"]

    later = starts_at + timedelta(minutes=10)
    monkeypatch.setattr(clock, "now", lambda: later)  # check-in opens on the slot's day
    assert staff.check_in(lab_id, entered.get_json()["code"]).outcome == "checked_in"
    url = f"/api/v1/bookings/{token}/feedback"
    check(document, "FeedbackRequest", {"rating": 5, "comment": "好"})
    made = client.post(url, json={"rating": 5, "comment": "好"})
    check(document, "Feedback", made.get_json())
    for bad in (client.post(url, json={"rating": 5}), client.post(url, json={"rating": 9}),
                client.post(url, data=b"{", content_type="application/json")):
        assert 400 <= bad.status_code < 500
        check(document, "Error", bad.get_json())
    stats = client.get("/api/v1/stats?group_by=city").get_json()
    check(document, "Stats", stats)
    assert stats["totals"]["entries"] == 1 and stats["totals"]["winners"] == 1
    assert stats["groups"][0]["rating"] == 5.0 and stats["groups"][0]["ratings"] == 1

"""Rescheduling a slot (its bookings follow, the citizens see the change), duplicating an event
with its slots to another day, and the printed sign-in sheet and door poster."""
from __future__ import annotations

from datetime import time, timedelta

import pytest
import sqlalchemy as sa

from openday import clock
from openday.audit.models import AuditEntry
from openday.bookings import staff
from openday.core.errors import RuleError
from openday.events.models import Event, Slot
from openday.signals import slot_rescheduled


@pytest.fixture
def lab(create_lab):
    return create_lab(name="长沙市食品检验所")


@pytest.fixture
def user(create_user, lab, login):
    user = create_user(role="lab", lab=lab)
    login(user)
    return user


@pytest.fixture
def event(create_event, lab):
    return create_event(lab=lab, title="走进食品检测实验室")


@pytest.fixture
def slot(create_slot, event):
    return create_slot(event=event, capacity=6)


def audit(db, action):
    return db.session.execute(sa.select(AuditEntry).where(AuditEntry.action == action)).scalars().all()


def test_rescheduling_moves_the_bookings_tells_the_signal_and_shows_on_the_manage_page(
        client, db, user, slot, book):
    booking = book(slot, 2)
    cancelled = book(slot, 1)
    from openday.bookings import service
    service.cancel(cancelled)
    old_start, old_end = slot.starts_at, slot.ends_at
    told = []
    receiver = lambda sender, booking_ids: told.append((sender.id, booking_ids))  # noqa: E731
    slot_rescheduled.connect(receiver)
    try:
        new_day = clock.local(slot.starts_at).date() + timedelta(days=1)
        response = client.submit(f"/lab/slots/{slot.id}/reschedule",
                                 {"day": new_day.isoformat(), "start_time": "14:30",
                                  "duration": "90", "note": "讲解员调班"})
    finally:
        slot_rescheduled.disconnect(receiver)
    assert response.status_code == 302
    db.session.expire_all()
    assert clock.local(slot.starts_at).strftime("%Y-%m-%d %H:%M") == f"{new_day} 14:30"
    assert slot.ends_at - slot.starts_at == timedelta(minutes=90)
    assert (slot.previous_starts_at, slot.previous_ends_at) == (old_start, old_end)
    assert booking.slot_day == new_day
    assert told == [(slot.id, [booking.id])]
    [entry] = audit(db, "slot.reschedule")
    assert entry.reason.endswith(f"{new_day} 14:30–16:00; 讲解员调班")
    client.submit("/logout", {}, form_url="/")
    page = client.get(f"/bookings/{booking.manage_token}").get_data(as_text=True)
    assert "场次时间已调整" in page and "讲解员调班" in page
    assert f"{clock.local(old_start):%H:%M}" in page and "14:30" in page


def test_a_reschedule_into_the_past_outside_the_campaign_or_onto_another_slot_is_refused(
        app, db, slot, create_slot, event, campaign):
    other = create_slot(event=event, starts_in=timedelta(days=3))
    local = clock.local(other.starts_at)
    past = clock.today() - timedelta(days=1)
    cases = [(past, time(10, 0)), (campaign.ends_on + timedelta(days=3), time(10, 0)),
             (local.date(), time(local.hour, local.minute))]
    for day, start in cases:
        with pytest.raises(RuleError) as error:
            staff.reschedule_slot(slot, day, start, 60)
        assert "starts_at" in error.value.fields
    assert audit(db, "slot.reschedule") == []


def test_the_reschedule_form_says_what_is_wrong(client, user, slot):
    page = client.submit(f"/lab/slots/{slot.id}/reschedule",
                         {"day": clock.today().isoformat(), "start_time": "25:99", "duration": "60"})
    assert page.status_code == 200 and "请按 09:30 的格式填写开始时间" in page.get_data(as_text=True)


def test_duplicating_an_event_copies_its_open_slots_to_another_day(client, db, user, event,
                                                                    create_slot, book):
    # Fixed times of day: two slots three hours apart must not straddle midnight.
    first_day = clock.today() + timedelta(days=2)
    slot = create_slot(event=event, starts_at=clock.china_datetime(first_day, 9), capacity=6)
    second = create_slot(event=event, starts_at=clock.china_datetime(first_day, 12), capacity=9,
                         max_party=3)
    book(slot, 2)
    day = clock.local(slot.starts_at).date() + timedelta(days=5)
    response = client.submit(f"/lab/events/{event.id}/duplicate",
                             {"day": day.isoformat(), "status": "published"})
    assert response.status_code == 302
    copy = db.session.execute(sa.select(Event).where(Event.id != event.id)).scalar_one()
    assert response.headers["Location"].endswith(f"/lab/events/{copy.id}/edit")
    assert (copy.title, copy.status, copy.lab_id) == (event.title, "published", event.lab_id)
    slots = db.session.execute(sa.select(Slot).where(Slot.event_id == copy.id)
                               .order_by(Slot.starts_at)).scalars().all()
    assert [clock.local(s.starts_at).date() for s in slots] == [day, day]
    assert [f"{clock.local(s.starts_at):%H:%M}" for s in slots] == [
        f"{clock.local(slot.starts_at):%H:%M}", f"{clock.local(second.starts_at):%H:%M}"]
    assert [(s.capacity, s.max_party, s.seats_taken, s.listed) for s in slots] == [
        (6, 4, 0, True), (9, 3, 0, True)]
    [entry] = audit(db, "event.duplicate")
    assert entry.object_id == copy.id and entry.reason.startswith(f"from event {event.id}, 2 slots")


def test_a_duplicate_as_draft_and_a_day_outside_the_campaign(client, db, user, event, slot,
                                                             campaign):
    day = clock.local(slot.starts_at).date() + timedelta(days=1)
    client.submit(f"/lab/events/{event.id}/duplicate", {"day": day.isoformat(), "status": "draft"})
    copy = db.session.execute(sa.select(Event).where(Event.id != event.id)).scalar_one()
    assert copy.status == "draft" and not copy.slots[0].listed
    late = (campaign.ends_on + timedelta(days=2)).isoformat()
    page = client.submit(f"/lab/events/{event.id}/duplicate", {"day": late, "status": "draft"})
    assert "场次须在开放日期间" in page.get_data(as_text=True)


def test_a_pending_lab_duplicates_only_as_a_draft(app, db, create_lab, create_event, create_slot):
    pending = create_lab(status="pending", name="待审核所")
    event = create_event(lab=pending, status="draft")
    slot = create_slot(event=event)
    with pytest.raises(RuleError):
        staff.duplicate_event(event, clock.local(slot.starts_at).date() + timedelta(days=1),
                              publish=True)


def test_the_sign_in_sheet_masks_phones_unless_asked_and_is_audited(client, db, user, slot, book):
    book(slot, 2, name="张三", phone="13812345678")
    waiting = book(slot, 4, name="李四")
    book(slot, 4, name="王五")  # waitlisted: not expected at the door
    assert waiting.status == "confirmed"
    masked = client.get(f"/lab/slots/{slot.id}/sign-in-sheet")
    page = masked.get_data(as_text=True)
    assert masked.headers["Cache-Control"] == "private, no-store"
    assert "张三" in page and "138****5678" in page and "13812345678" not in page
    assert "王五" not in page and "签名" in page and "site-header" not in page
    full = client.get(f"/lab/slots/{slot.id}/sign-in-sheet?phones=full").get_data(as_text=True)
    assert "13812345678" in full
    reasons = [e.reason for e in audit(db, "roster.export")]
    assert reasons == ["sign-in sheet, 2 rows, masked phones", "sign-in sheet, 2 rows, full phones"]


def test_the_poster_has_the_title_times_and_a_qr_to_the_public_page(client, user, event, slot):
    page = client.get(f"/lab/events/{event.id}/poster").get_data(as_text=True)
    assert "走进食品检测实验室" in page and "<svg" in page and "qr-code" in page
    assert f"/events/{event.id}" in page
    assert f"{clock.local(slot.starts_at):%H:%M}" in page


def test_another_lab_cannot_print_reschedule_or_duplicate(client, create_user, create_lab, login,
                                                          event, slot):
    login(create_user(role="lab", lab=create_lab(name="别家", city="310100", district="310104")))
    for url in (f"/lab/slots/{slot.id}/sign-in-sheet", f"/lab/events/{event.id}/poster",
                f"/lab/slots/{slot.id}/reschedule", f"/lab/events/{event.id}/duplicate"):
        assert client.get(url).status_code == 404, url


@pytest.mark.parametrize("lang, words", [
    ("en", ["Scan to check in", "Lost booking code", "Print sign-in sheet", "Reschedule session",
            "Duplicate event", "Door poster", "Signature", "Change password"]),
    ("zh_Hant", ["掃碼簽到", "找不到預約碼", "打印簽到表", "調整場次時間", "複製活動", "門口海報",
                 "簽名", "修改密碼"])])
def test_the_new_lab_pages_speak_each_language(client, user, event, slot, lang, words):
    pages = "".join(client.get(f"{url}?lang={lang}").get_data(as_text=True) for url in (
        "/lab/checkin", f"/lab/slots/{slot.id}/roster", f"/lab/slots/{slot.id}/reschedule",
        f"/lab/events/{event.id}/duplicate", f"/lab/events/{event.id}/poster",
        f"/lab/slots/{slot.id}/sign-in-sheet", "/account/password"))
    for word in words:
        assert word in pages, word


def test_rescheduling_writes_a_slot_changed_message_for_each_active_booking(client, db, user, slot,
                                                                            book):
    from openday.messages.models import Message, MessageKind

    kept, moved_away = book(slot, 1), book(slot, 1)
    from openday.bookings import service
    service.cancel(moved_away)
    new_day = clock.local(slot.starts_at).date() + timedelta(days=1)
    staff.reschedule_slot(slot, new_day, time(14, 30), 60)
    told = db.session.execute(sa.select(Message.booking_id).where(
        Message.kind == MessageKind.slot_changed)).scalars().all()
    assert told == [kept.id]

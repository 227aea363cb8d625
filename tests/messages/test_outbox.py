"""The outbox in the app's own process: written in the change's transaction, shown on the manage
page, and the delivery rules (quiet hours, the daily ceiling, opt-out) against the local relay."""
from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from openday import clock
from openday.bookings import service as bookings
from openday.messages import delivery, service
from openday.messages.models import Message, MessageStatus
from tests.phones import next_phone


def all_messages(db) -> list[Message]:
    db.session.expire_all()
    found = list(db.session.execute(sa.select(Message).order_by(Message.id)).scalars())
    db.session.commit()
    return found


def at_beijing(monkeypatch, day, hour: int, minute: int = 0):
    moment = clock.china_datetime(day, hour, minute)
    monkeypatch.setattr(clock, "now", lambda: moment)
    return moment


def test_a_rolled_back_booking_writes_no_message(db, book, create_slot, monkeypatch):
    slot = create_slot()

    def fail(_booking):
        raise RuntimeError("the transaction fails after the message was added")

    monkeypatch.setattr(bookings, "receipt", fail)
    with pytest.raises(RuntimeError):
        book(slot)
    assert all_messages(db) == []
    monkeypatch.undo()
    booking = book(slot)
    [message] = all_messages(db)
    assert message.booking_id == booking.id and message.kind == "confirmed"


@pytest.mark.parametrize("app_config", [{"OPENDAY_SMS_WEBHOOK_URL": ""}])
def test_without_a_gateway_the_message_is_kept_on_the_manage_page(client, db, book, create_slot):
    booking = book(create_slot())
    [message] = all_messages(db)
    assert message.channel == "page" and message.status == MessageStatus.sent
    html = client.get(f"/bookings/{booking.manage_token}").get_data(as_text=True)
    assert 'id="booking-messages"' in html and message.body in html
    assert "仅在本页显示" in html
    assert delivery.deliver_due().sent == 0  # nothing for the worker


def test_the_manage_page_lists_what_was_texted(client, db, sms, book, create_slot):
    booking = book(create_slot())
    assert delivery.deliver_due().sent == 1
    html = client.get(f"/bookings/{booking.manage_token}").get_data(as_text=True)
    assert "短信已发送" in html and f"预约码 {booking.code}" in html


def test_quiet_hours_hold_sms_until_eight_but_not_a_same_day_change(
        app, db, sms, book, create_slot, monkeypatch):
    app.config["OPENDAY_SMS_QUIET_HOURS"] = "21-8"
    day = clock.today() + timedelta(days=3)
    at_beijing(monkeypatch, day, 22, 30)
    later = book(create_slot(starts_at=clock.china_datetime(day + timedelta(days=2), 10)))
    outcome = delivery.deliver_due()
    assert outcome.sent == 0 and outcome.deferred == 1
    [held] = all_messages(db)
    assert held.status == MessageStatus.pending
    assert clock.local(held.next_attempt_at) == clock.china_datetime(day + timedelta(days=1), 8)
    assert outcome.next_due == held.next_attempt_at

    # 07:00 the next day: a booking for 09:00 that day is held like any other, but the lab
    # cancelling that session is a same-day change, texted at once.
    next_day = day + timedelta(days=1)
    at_beijing(monkeypatch, next_day, 7)
    today_slot = create_slot(starts_at=clock.china_datetime(next_day, 9))
    early = book(today_slot)
    assert delivery.deliver_due().sent == 0
    from openday.bookings import staff
    staff.cancel_slot(today_slot, "停电")
    assert delivery.deliver_due().sent == 1
    [text] = [p["text"] for p in sms.to(early.phone)]
    assert text.startswith("【开放日】抱歉") and "场次已取消" in text
    assert not sms.to(later.phone)

    # 08:00: the held confirmation goes; the cancelled booking's one never does.
    at_beijing(monkeypatch, next_day, 8)
    outcome = delivery.deliver_due()
    assert outcome.sent == 1 and outcome.stale == 1
    assert len(sms.to(later.phone)) == 1 and len(sms.to(early.phone)) == 1


def test_a_phone_gets_at_most_the_daily_ceiling_of_sms(app, db, sms, book, create_slot):
    app.config["OPENDAY_SMS_DAILY_CEILING"] = 2
    phone = next_phone()
    made = [book(create_slot(), phone=phone) for _ in range(3)]
    outcome = delivery.deliver_due()
    assert outcome.sent == 2 and outcome.skipped == 1
    assert len(sms.to("+86" + phone)) == 2
    skipped = [m for m in all_messages(db) if m.status == MessageStatus.skipped]
    assert [m.booking_id for m in skipped] == [made[2].id]
    assert skipped[0].last_error == "daily ceiling reached"


def test_opting_out_of_reminders_from_the_manage_page(app, client, db, book, create_slot,
                                                      monkeypatch):
    tomorrow = clock.china_datetime(clock.today() + timedelta(days=1), 10)
    kept, quiet = book(create_slot(starts_at=tomorrow)), book(create_slot(starts_at=tomorrow))
    page = f"/bookings/{quiet.manage_token}"
    assert "不再接收提醒短信" in client.get(page).get_data(as_text=True)
    response = client.submit(f"{page}/reminders", {"wanted": "off"}, form_url=page)
    assert response.status_code == 303
    assert "恢复活动前一天的提醒" in client.get(page).get_data(as_text=True)
    app.config["OPENDAY_REMINDER_HOUR"] = 0
    assert service.queue_reminders() == 1
    assert service.queue_reminders() == 0  # once per phone and day, however often it runs
    reminders = [m for m in all_messages(db) if m.kind == "reminder"]
    assert [m.booking_id for m in reminders] == [kept.id]


def test_reminders_wait_for_the_evening_before(app, db, book, create_slot, monkeypatch):
    day = clock.today() + timedelta(days=5)
    book(create_slot(starts_at=clock.china_datetime(day, 10)))
    at_beijing(monkeypatch, day - timedelta(days=1), 17, 59)
    assert service.queue_reminders() == 0
    at_beijing(monkeypatch, day - timedelta(days=1), 18, 0)
    assert service.queue_reminders() == 1


def test_texts_follow_the_bookings_language(client, db, sms, create_slot):
    slot = create_slot()
    form_url = f"/slots/{slot.id}/book?lang=en"
    client.get(form_url)
    phone = next_phone()
    response = client.submit(f"/slots/{slot.id}/book", {
        "name": "Ann", "phone": phone, "party_size": "1", "consent": "y"}, form_url=form_url)
    assert response.status_code == 303
    [message] = all_messages(db)
    assert message.locale == "en"
    assert message.body.startswith("【开放日】") and "预约" not in message.body
    assert len(message.body.split(" http")[0]) <= 70


def test_the_personal_data_purge_empties_the_messages_too(app, db, book, create_slot, campaign):
    from openday.bookings.purge import purge_personal_data
    booking = book(create_slot())
    [message] = all_messages(db)
    assert message.recipient == booking.phone
    purge_personal_data(campaign.year, force=True)
    [message] = all_messages(db)
    assert message.recipient is None and message.body == "" and message.kind == "confirmed"


def test_the_workers_purge_job_purges_a_campaign_past_its_retention(
        app, db, book, create_slot, create_campaign, create_event, monkeypatch):
    from openday.bookings.models import Booking
    from openday.messages import jobs
    old = create_campaign(year=2020, starts_on=clock.today() - timedelta(days=200),
                          is_current=False)
    slot = create_slot(event=create_event(campaign_id=old.id))
    booking = book(slot)
    assert jobs.purge() == 1
    db.session.expire_all()
    assert db.session.get(Booking, booking.id).phone is None
    assert all_messages(db)[0].recipient is None
    assert jobs.purge() == 0

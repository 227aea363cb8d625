"""The outbox delivered by real ``openday worker`` processes to a local SMS relay and SMTP server:
every kind of message once, through a gateway outage, and after the worker is SIGKILLed
mid-delivery (SPEC §11)."""
from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from openday import clock
from openday.bookings import service as bookings, staff
from openday.core.db import write_transaction
from openday.labs import service as labs
from openday.messages import service as messages
from openday.messages.models import Message, MessageStatus
from tests.messages.conftest import PUBLIC_URL
from tests.messages.gateways import wait_for
from tests.phones import next_phone


def rows(db, **where) -> list[Message]:
    db.session.expire_all()
    query = sa.select(Message).order_by(Message.id)
    for key, value in where.items():
        query = query.where(getattr(Message, key) == value)
    found = list(db.session.execute(query).scalars())
    db.session.commit()
    return found


def sent(db, **where) -> list[Message]:
    return [m for m in rows(db, **where) if m.status == MessageStatus.sent]


@pytest.mark.parametrize("queue_url", ["sqlite-queue", "redis-queue"], indirect=True)
def test_confirmation_is_texted_once_with_the_manage_link(db, sms, book, create_slot,
                                                          start_worker):
    start_worker()
    phone = next_phone()
    booking = book(create_slot(), phone=phone)
    payloads = wait_for(lambda: sms.to("+86" + phone), what="the confirmation SMS")
    text = payloads[0]["text"]
    assert text.startswith("【开放日】预约成功")
    assert booking.code in text
    assert f"{PUBLIC_URL}/bookings/{booking.manage_token}" in text
    assert len(text.split(" http")[0]) <= 70
    message = wait_for(lambda: sent(db, booking_id=booking.id), what="marked sent")[0]
    assert payloads[0]["id"] == message.uid
    assert len(sms.posts_of(message.uid)) == 1 and message.attempts == 1


def test_every_booking_kind_is_delivered_once(app, db, sms, book, create_slot, create_event,
                                              start_worker):
    start_worker()

    def delivered(booking, kind: str) -> Message:
        return wait_for(lambda: [m for m in sent(db, booking_id=booking.id) if m.kind == kind],
                        what=f"{kind} sent")[0]

    slot = create_slot(capacity=1)
    first, waiting = book(slot), book(slot)
    delivered(first, "confirmed")
    bookings.cancel(first)                       # the waitlisted one is promoted
    delivered(waiting, "promoted")
    staff.cancel_slot(db.session.get(type(slot), slot.id), "设备检修")
    delivered(waiting, "slot_cancelled")
    event = create_event(title="水质检测开放日")
    on_event = book(create_slot(event=event))
    delivered(on_event, "confirmed")
    staff.cancel_event(db.session.get(type(event), event.id), "场地调整")
    delivered(on_event, "event_cancelled")
    moved = book(create_slot())
    delivered(moved, "confirmed")

    def move() -> None:
        target = db.session.get(type(slot), moved.slot_id)
        before = target.starts_at
        target.starts_at = before + timedelta(hours=1)
        target.ends_at = target.ends_at + timedelta(hours=1)
        messages.slot_changed(target, before)
    write_transaction(move)
    changed = delivered(moved, "slot_changed")
    assert "时间变更" in sms.delivered[changed.uid]["text"]

    expected = {(first.id, "confirmed"), (waiting.id, "promoted"),
                (waiting.id, "slot_cancelled"), (on_event.id, "confirmed"),
                (on_event.id, "event_cancelled"), (moved.id, "confirmed"),
                (moved.id, "slot_changed")}
    assert {(m.booking_id, m.kind) for m in rows(db)} == expected  # nothing more
    for message in rows(db):
        assert message.status == MessageStatus.sent
        assert len(sms.posts_of(message.uid)) == 1
        assert sms.delivered[message.uid]["text"].startswith("【开放日】")
    # the citizen who cancelled is not texted about their own cancellation
    assert not [m for m in rows(db, booking_id=first.id) if m.kind.endswith("cancelled")]


def test_a_confirmation_not_yet_sent_when_the_lab_cancels_is_dropped(db, sms, book, create_slot,
                                                                     start_worker):
    slot = create_slot()
    booking = book(slot)
    staff.cancel_slot(slot, "设备检修")          # before any worker ran
    start_worker()
    wait_for(lambda: sent(db, booking_id=booking.id), what="the cancellation")
    kinds = {m.kind: m.status for m in rows(db, booking_id=booking.id)}
    assert kinds == {"confirmed": MessageStatus.skipped, "slot_cancelled": MessageStatus.sent}
    assert len(sms.to(booking.phone)) == 1


def test_reminder_the_evening_before_is_one_per_phone(db, sms, book, create_slot, start_worker):
    tomorrow = clock.china_datetime(clock.today() + timedelta(days=1), 10)
    phone = next_phone()
    a = book(create_slot(starts_at=tomorrow), phone=phone)
    b = book(create_slot(starts_at=tomorrow + timedelta(hours=3)), phone=phone)
    start_worker(OPENDAY_REMINDER_HOUR=0)        # any hour today is "the evening before"
    wait_for(lambda: [m for m in sent(db) if m.kind == "reminder"], what="the reminder")
    reminders = [m for m in rows(db) if m.kind == "reminder"]
    assert len(reminders) == 1 and reminders[0].booking_id in (a.id, b.id)
    assert "2" in sms.delivered[reminders[0].uid]["text"]


def test_lab_review_mail_reaches_its_users(db, smtp, create_lab, create_user, start_worker):
    start_worker()
    approved, rejected = create_lab(status="pending"), create_lab(status="pending")
    yes, no = create_user(lab=approved), create_user(lab=rejected)
    labs.review(approved, "approve")
    labs.review(rejected, "reject", "证书编号与资质认定系统不符")
    wait_for(lambda: smtp.to(yes.email) and smtp.to(no.email), what="both mails")
    assert "审核已通过" in smtp.to(yes.email)[0]["Subject"]
    mail = smtp.to(no.email)[0]
    assert "未通过" in mail["Subject"] and "证书编号与资质认定系统不符" in mail.get_content()
    assert "/bookings/" not in mail.get_content()
    wait_for(lambda: len(sent(db, channel="mail")) == 2, what="marked sent")
    assert len(smtp.to(yes.email)) == 1 and len(smtp.to(no.email)) == 1


def test_a_gateway_outage_is_retried_until_delivered_once(db, sms, book, create_slot,
                                                          start_worker):
    sms.fail_next = 3
    start_worker()
    phone = next_phone()
    booking = book(create_slot(), phone=phone)
    message = wait_for(lambda: sent(db, booking_id=booking.id), timeout=90,
                       what="delivery after the outage")[0]
    assert message.attempts == 4
    assert len(sms.posts_of(message.uid)) == 4
    assert len(sms.to("+86" + phone)) == 1


def test_a_worker_killed_mid_delivery_never_sends_twice(db, sms, book, create_slot,
                                                        start_worker):
    sms.hold.clear()
    worker = start_worker()
    phone = next_phone()
    booking = book(create_slot(), phone=phone)
    wait_for(sms.held.is_set, what="the gateway holding the first attempt")
    worker.kill()                                 # after the gateway got it, before the answer
    sms.hold.set()
    [message] = rows(db, booking_id=booking.id)
    assert message.status == MessageStatus.sending
    start_worker()                                # its lease runs out; sent again, same id
    message = wait_for(lambda: sent(db, booking_id=booking.id), what="the retry")[0]
    assert message.attempts == 2
    assert len(sms.posts_of(message.uid)) == 2    # the relay saw the id twice…
    assert len(sms.to("+86" + phone)) == 1        # …and passed it on once


def test_two_workers_share_the_outbox_without_sending_twice(db, sms, book, create_slot,
                                                            start_worker):
    start_worker()
    start_worker()
    slot = create_slot(capacity=40)
    made = [book(slot) for _ in range(25)]
    wait_for(lambda: len(sent(db)) == len(made), what="all sent")
    for message in sent(db):
        assert len(sms.posts_of(message.uid)) == 1

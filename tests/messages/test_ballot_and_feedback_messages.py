"""The ballot's and feedback's messages go through the outbox (SPEC §11–§13): an entry is
acknowledged, the draw tells every entrant how it went, a checked-in visitor is invited to rate
once, the day after — each row written in the transaction of the change that causes it."""
from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from openday import clock
from openday.bookings import ballot, staff
from openday.feedback import service as feedback
from openday.messages.models import Message, MessageKind


def told(db, kind: str) -> dict[int, str]:
    db.session.expire_all()
    rows = db.session.execute(sa.select(Message.booking_id, Message.body)
                              .where(Message.kind == kind)).all()
    db.session.commit()
    return dict(rows)


def test_entrants_hear_of_their_entry_and_of_the_draw(db, create_slot, book, monkeypatch):
    slot = create_slot(capacity=2, max_party=2, mode="ballot",
                       draw_at=clock.now() + timedelta(hours=1))
    entries = [book(slot, party_size=2) for _ in range(3)]
    entered = told(db, MessageKind.entered)
    assert set(entered) == {entry.id for entry in entries}
    assert all(body.startswith("【开放日】已报名抽签") for body in entered.values())
    assert told(db, MessageKind.confirmed) == {}  # an entry is not a booking yet

    assert ballot.draw_slot(slot.id, slot.draw_at)
    won, waiting = told(db, MessageKind.drawn_won), told(db, MessageKind.drawn_waitlisted)
    assert len(won) == 1 and len(waiting) == 2 and not set(won) & set(waiting)
    assert set(won) | set(waiting) == {entry.id for entry in entries}
    [winner] = won.values()
    assert "抽签中签" in winner
    assert sorted("候补第 1 位" in body for body in waiting.values()) == [False, True]

    assert not ballot.draw_slot(slot.id, slot.draw_at)  # drawn once: nobody told twice
    assert len(told(db, MessageKind.drawn_won)) == 1


def test_a_checked_in_visitor_is_invited_to_rate_once(db, create_slot, book, monkeypatch):
    day = clock.today() + timedelta(days=1)
    slot = create_slot(starts_at=clock.china_datetime(day, 9), hours=2)
    came, _absent = book(slot), book(slot)
    monkeypatch.setattr(clock, "now", lambda: clock.china_datetime(day, 9, 30))
    assert staff.check_in(slot.lab_id, came.code).outcome == "checked_in"
    monkeypatch.setattr(clock, "now", lambda: clock.china_datetime(day + timedelta(days=1), 10))
    assert feedback.send_feedback_invitations() == 1
    assert feedback.send_feedback_invitations() == 0
    invited = told(db, MessageKind.feedback_invite)
    assert list(invited) == [came.id]
    assert invited[came.id].startswith("【开放日】感谢参加") and came.manage_token in invited[came.id]

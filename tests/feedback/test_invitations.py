"""SPEC §11, §13: one invitation to rate, the day after the visit, through feedback.notify."""
from __future__ import annotations

from datetime import timedelta

import pytest

from openday import clock
from openday.feedback import notify, service


@pytest.fixture
def invited(monkeypatch):
    calls: list[str] = []
    monkeypatch.setattr(notify, "invite_to_rate", lambda booking: calls.append(booking.code))
    return calls


def test_invitations_go_the_day_after_to_checked_in_visitors_once(app, db, create_slot, book,
                                                                  visited, at, invited):
    day = clock.today() + timedelta(days=1)
    slot = create_slot(starts_at=clock.china_datetime(day, 9), hours=2)
    came, rated, absent = visited(slot), visited(slot), book(slot)
    at(clock.china_datetime(day, 20))  # the evening of the visit: not yet
    assert service.due_feedback_invitations(clock.now()) == []
    service.leave_feedback(rated, 5)
    at(clock.china_datetime(day + timedelta(days=1), 9))
    assert [b.code for b in service.due_feedback_invitations(clock.now())] == [came.code]
    assert absent.code not in invited
    assert service.send_feedback_invitations() == 1
    assert invited == [came.code]
    assert service.send_feedback_invitations() == 0  # once
    assert service.due_feedback_invitations(clock.now()) == []
    assert invited == [came.code]


def test_no_invitation_once_rating_has_closed(app, db, create_slot, visited, at, invited):
    slot = create_slot()
    visited(slot)
    at(slot.ends_at + timedelta(days=31))
    assert service.due_feedback_invitations(clock.now()) == []
    assert service.send_feedback_invitations() == 0 and invited == []


def test_the_worker_command_sends_what_is_due(app, db, create_slot, visited, at, invited, runner):
    slot = create_slot()
    came = visited(slot)
    at(slot.ends_at + timedelta(days=1, hours=12))
    result = runner.invoke(args=["openday", "invite-to-rate"])
    assert result.exit_code == 0 and "1 invitation(s)" in result.output
    assert invited == [came.code]

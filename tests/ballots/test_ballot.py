"""SPEC §12: a ballot slot takes entries until its draw, draws once by a published rule, then
books first come, first served."""
from __future__ import annotations

import hashlib
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
import sqlalchemy as sa

from openday import clock
from openday.bookings import ballot, service
from openday.bookings.commands import check_invariants
from openday.bookings.models import Booking
from openday.events.models import Slot
from tests.ballots.conftest import DRAW_IN
from tests.phones import next_phone


def independent_order(seed: str, digest: str, codes: list[str]) -> list[str]:
    """The published rule, written again from its words (not the app's code): the codes sorted by
    SHA-256(seed ":" entries_sha256 ":" code) as hex, ascending."""
    return sorted(codes, key=lambda c: hashlib.sha256(f"{seed}:{digest}:{c}".encode()).hexdigest())


def independent_hash(codes: list[str]) -> str:
    return hashlib.sha256("\n".join(sorted(codes)).encode()).hexdigest()


def expected_outcome(order: list[str], party: dict[str, int], capacity: int) -> dict[str, str]:
    left, outcome = capacity, {}
    for code in order:
        if party[code] <= left:
            left -= party[code]
            outcome[code] = "confirmed"
        else:
            outcome[code] = "waitlisted"
    return outcome


def rows(db, slot_id: int) -> dict[str, Booking]:
    db.session.rollback()  # a fresh snapshot: what the other threads committed
    return {b.code: b for b in db.session.execute(
        sa.select(Booking).where(Booking.slot_id == slot_id)).scalars()}


def draw_time(slot) -> object:
    return slot.draw_at + timedelta(seconds=1)


def test_ballot_slot_through_entries_draw_and_first_come(app, db, ballot_slot, book, client, told):
    slot = ballot_slot(capacity=6, max_party=3)
    parties = [3, 2, 1, 3, 2, 1, 2, 3]
    entries = [book(slot, party_size=p) for p in parties]
    assert {e.status for e in entries} == {"entered"}
    assert all(service.waitlist_position(e) is None for e in entries)
    db.session.refresh(slot)
    assert (slot.seats_taken, slot.confirmed_count, slot.entered_count) == (0, 0, len(parties))
    assert ballot.published_draw(slot.id) is None
    assert client.get(f"/api/v1/slots/{slot.id}").get_json()["draw"] is None
    assert ballot.draw_due_ballots(clock.now()) == []  # not due yet

    assert ballot.draw_due_ballots(draw_time(slot)) == [slot.id]
    api = client.get(f"/api/v1/slots/{slot.id}").get_json()
    assert api["mode"] == "ballot" and api["draw_at"].endswith("+08:00")
    draw = api["draw"]
    codes = [e.code for e in entries]
    assert sorted(draw["order"]) == sorted(codes)
    # re-computed from what is published, by the rule's words
    assert independent_hash(draw["order"]) == draw["entries_sha256"]
    assert independent_order(draw["seed"], draw["entries_sha256"], codes) == draw["order"]
    assert len(draw["seed"]) == 64

    party = {e.code: e.party_size for e in entries}
    outcome = expected_outcome(draw["order"], party, 6)
    stored = rows(db, slot.id)
    assert {code: b.status for code, b in stored.items()} == outcome
    assert [stored[c].draw_rank for c in draw["order"]] == list(range(1, len(codes) + 1))
    waiting = [c for c in draw["order"] if outcome[c] == "waitlisted"]
    assert [service.waitlist_position(stored[c]) for c in waiting] == list(
        range(1, len(waiting) + 1))
    assert told == [(c, outcome[c]) for c in sorted(codes, key=lambda c: stored[c].id)]
    db.session.refresh(slot)
    assert slot.draw_entries == len(codes)
    assert slot.draw_winners == list(outcome.values()).count("confirmed")
    assert slot.entered_count == 0
    assert check_invariants().ok

    # after the draw: first come, first served, behind the drawn waitlist
    late = book(slot, party_size=1)
    late_status = late.status  # before the cancellation below, which may promote it
    left = 6 - sum(party[c] for c in codes if outcome[c] == "confirmed")
    assert late_status == ("confirmed" if left >= 1 else "waitlisted")
    if late_status == "waitlisted":
        assert service.waitlist_position(late) == len(waiting) + 1
    # a winner cancels: the first drawn in line that fits is promoted, before the late booking
    winner = next(stored[c] for c in draw["order"] if outcome[c] == "confirmed")
    promoted = service.cancel(winner)
    free = left + winner.party_size - (1 if late_status == "confirmed" else 0)
    line = waiting + ([late.code] if late_status == "waitlisted" else [])
    sizes = {**party, late.code: 1}
    want = []
    for code in line:
        if sizes[code] <= free:
            free -= sizes[code]
            want.append(code)
    assert [b.code for b in promoted] == want
    assert check_invariants().ok
    assert ballot.verify_draw(slot.id).ok


def test_entry_is_one_per_phone_and_counts_toward_the_daily_cap(app, db, ballot_slot, create_slot,
                                                               book):
    app.config["OPENDAY_PHONE_DAILY_LIMIT"] = 2
    day = clock.today() + timedelta(days=2)
    slot = ballot_slot(starts_at=clock.china_datetime(day, 9))
    phone = next_phone()
    book(slot, phone=phone)
    with pytest.raises(service.AlreadyBooked) as refused:
        book(slot, phone=phone)
    assert "code" not in refused.value.fields and refused.value.status == 409
    other = create_slot(starts_at=clock.china_datetime(day, 12))
    book(other, phone=phone)  # second of the day
    third = create_slot(starts_at=clock.china_datetime(day, 15))
    with pytest.raises(service.DailyLimitReached):
        book(third, phone=phone)


def test_cancelled_entry_frees_the_phone_and_leaves_the_draw(app, db, ballot_slot, book):
    slot = ballot_slot()
    phone = next_phone()
    entry = book(slot, phone=phone)
    service.cancel(entry)
    again = book(slot, phone=phone)
    assert again.status == "entered"
    ballot.draw_slot(slot.id, draw_time(slot))
    assert ballot.published_draw(slot.id).order == [again.code]
    assert check_invariants().ok


def test_draw_runs_once(app, db, ballot_slot, book):
    slot = ballot_slot()
    for _ in range(4):
        book(slot)
    assert ballot.draw_slot(slot.id, draw_time(slot)) is True
    first = ballot.published_draw(slot.id)
    assert ballot.draw_slot(slot.id, draw_time(slot)) is False
    assert ballot.draw_due_ballots(draw_time(slot)) == []
    assert ballot.published_draw(slot.id) == first


def test_booking_after_draw_time_runs_a_draw_no_worker_ran(app, db, ballot_slot, book,
                                                          monkeypatch, told):
    slot = ballot_slot(capacity=3, max_party=3)
    entries = [book(slot, party_size=3), book(slot, party_size=3)]
    later = draw_time(slot)
    monkeypatch.setattr(clock, "now", lambda: later)
    late = book(slot, party_size=1)
    draw = ballot.published_draw(slot.id)
    assert sorted(draw.order) == sorted(e.code for e in entries)  # the late one is not an entry
    assert late.draw_rank is None
    assert late.status == "waitlisted"  # the winner's party of 3 filled the room
    assert service.waitlist_position(late) == 2
    assert len(told) == 2


def test_two_drawers_at_once_draw_once(app, db, ballot_slot, book, told):
    slot = ballot_slot(capacity=4, max_party=2)
    for i in range(10):
        book(slot, party_size=1 + i % 2)
    when, slot_id = draw_time(slot), slot.id
    db.session.commit()
    barrier = threading.Barrier(2)

    def drawer(_i: int) -> list[int]:
        with app.app_context():
            barrier.wait(timeout=30)
            return ballot.draw_due_ballots(when)

    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(drawer, range(2)))
    assert sorted(results) == [[], [slot_id]]
    assert len(told) == 10  # each entrant told once
    assert ballot.verify_draw(slot.id).ok
    assert check_invariants().ok


def test_entries_under_a_rush_and_a_draw_racing_them(app, db, ballot_slot):
    slot = ballot_slot(capacity=5, max_party=2)
    when = draw_time(slot)
    db.session.commit()
    clients = 24
    barrier = threading.Barrier(clients + 1)

    slot_id = slot.id

    def enter(i: int) -> tuple[int, dict]:
        response = app.test_client().post(f"/api/v1/slots/{slot_id}/bookings", json={
            "name": f"市民{i}", "phone": f"1391111{i:04d}", "party_size": 1 + i % 2,
            "consent": True})
        return response.status_code, response.get_json()

    def one(i: int):
        barrier.wait(timeout=30)
        if i == clients:  # the draw, arriving in the middle of the rush
            with app.app_context():
                return ballot.draw_slot(slot_id, when)
        return enter(i)

    with ThreadPoolExecutor(clients + 1) as pool:
        answers = list(pool.map(one, range(clients + 1)))
    drew, bookings = answers[-1], answers[:-1]
    assert drew is True
    assert {status for status, _ in bookings} == {201}
    stored = rows(db, slot.id)
    draw = ballot.published_draw(slot.id)
    entered = {code for code, b in stored.items() if b.draw_rank is not None}
    assert entered == set(draw.order)  # every entry made before the draw is in it, no other
    for _status, body in bookings:
        if body["code"] not in entered:
            assert body["status"] in ("confirmed", "waitlisted")  # first come after the draw
        else:
            assert body["status"] == "entered"
    assert ballot.verify_draw(slot.id).ok
    report = check_invariants()
    assert report.ok, report.problems
    counters = db.session.get(Slot, slot_id)
    assert counters.draw_entries == len(entered) and counters.entered_count == 0


def test_verify_draw_finds_a_tampered_order(app, db, ballot_slot, book, runner):
    slot = ballot_slot()
    entries = [book(slot) for _ in range(3)]
    ballot.draw_slot(slot.id, draw_time(slot))
    ok = runner.invoke(args=["openday", "verify-draw", str(slot.id)])
    assert ok.exit_code == 0 and "OK" in ok.output
    order = ballot.published_draw(slot.id).order
    assert sorted(order) == sorted(e.code for e in entries)
    # the first two swapped, as someone who favoured the second might
    for code, rank in ((order[0], 2), (order[1], 1)):
        db.session.execute(sa.update(Booking).where(Booking.code == code).values(draw_rank=rank))
    db.session.commit()
    bad = ballot.verify_draw(slot.id)
    assert not bad.ok
    result = runner.invoke(args=["openday", "verify-draw", str(slot.id)])
    assert result.exit_code == 1


def test_draw_command_draws_what_is_due(app, db, ballot_slot, book, runner, monkeypatch):
    slot = ballot_slot()
    book(slot)
    result = runner.invoke(args=["openday", "draw", "--slot", str(slot.id)])
    assert "nothing to draw" in result.output
    later = slot.draw_at + DRAW_IN
    monkeypatch.setattr(clock, "now", lambda: later)
    result = runner.invoke(args=["openday", "draw"])
    assert result.exit_code == 0, result.output
    assert f"slot {slot.id}: drew 1 entries" in result.output

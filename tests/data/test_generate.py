"""`openday generate`: synthetic national data that keeps every invariant."""
from __future__ import annotations

import sqlalchemy as sa

from openday.core.phone import normalise_phone

from openday.bookings.models import Booking
from openday.demo import is_valid_credit_code
from openday.events.models import Campaign, Event, EventKind, Slot
from openday.labs.models import Lab


def scalar(db, statement):
    return db.session.execute(statement).scalar_one()


def test_generate_20_labs_then_check_passes(runner, db):
    result = runner.invoke(args=["openday", "generate", "--labs", "20", "--seed", "7"])
    assert result.exit_code == 0, result.output
    assert "Generated 20 labs" in result.output
    assert scalar(db, sa.select(sa.func.count(Lab.id))) == 20
    events = scalar(db, sa.select(sa.func.count(Event.id)))
    slots = scalar(db, sa.select(sa.func.count(Slot.id)))
    assert 40 <= events <= 140          # about 5 an approved lab
    assert 2 * events <= slots <= 4 * events   # about 3 an event
    assert scalar(db, sa.select(sa.func.count(Booking.id))) > slots
    check = runner.invoke(args=["openday", "check"])
    assert check.exit_code == 0, check.output
    assert check.output.startswith("OK:")


def test_generated_data_is_spread_and_uneven(runner, db):
    runner.invoke(args=["openday", "generate", "--labs", "60", "--seed", "3"])
    provinces = set(db.session.execute(sa.select(Lab.province_adcode)).scalars())
    assert len(provinces) >= 12
    kinds = set(db.session.execute(sa.select(Event.kind)).scalars())
    assert kinds == {k.value for k in EventKind}
    assert all(is_valid_credit_code(c) for c in db.session.execute(sa.select(Lab.credit_code)).scalars())
    current = db.session.execute(sa.select(Campaign).where(Campaign.is_current)).scalar_one()
    slots = db.session.execute(sa.select(Slot).where(Slot.listed)).scalars().all()
    assert all(current.starts_on <= s.starts_at.date() <= current.ends_on for s in slots)
    full = [s for s in slots if s.seats_taken == s.capacity]
    waiting = [s for s in slots if s.waitlisted_count > 0]
    partly = [s for s in slots if 0 < s.seats_taken < s.capacity]
    assert full and waiting and partly
    assert all(10 <= s.capacity <= 60 for s in slots)


def test_generated_phones_are_valid_and_unique_per_slot(runner, db):
    runner.invoke(args=["openday", "generate", "--labs", "20"])
    phones = db.session.execute(sa.select(Booking.slot_id, Booking.phone)).all()
    # in E.164, as the booking service stores them
    assert all(normalise_phone(p) == p and p[3] == "1" and p[4] in "345678" for _s, p in phones)
    assert len(set(phones)) == len(phones)
    busiest = db.session.execute(
        sa.select(sa.func.count(Booking.id)).group_by(Booking.phone, Booking.slot_day)
        .order_by(sa.func.count().desc()).limit(1)).scalar_one()
    assert busiest <= 6


def test_generating_twice_adds_more_and_the_app_keeps_booking(runner, db, book):
    runner.invoke(args=["openday", "generate", "--labs", "5"])
    runner.invoke(args=["openday", "generate", "--labs", "5", "--seed", "2"])
    assert scalar(db, sa.select(sa.func.count(Lab.id))) == 10
    assert runner.invoke(args=["openday", "check"]).exit_code == 0
    # ids were assigned by the generator: the sequences must have moved past them
    slot = db.session.execute(sa.select(Slot).where(Slot.listed, Slot.seats_taken + 2 <= Slot.capacity)
                              .order_by(Slot.starts_at.desc()).limit(1)).scalar_one()
    highest = scalar(db, sa.select(sa.func.max(Booking.id)))
    booking = book(slot, 2, phone="19900000001", name="李雷")
    assert booking.id > highest
    assert runner.invoke(args=["openday", "check"]).exit_code == 0


def test_rows_written_by_the_fast_path_read_back_like_orm_rows(runner, db, backend, create_slot):
    """On SQLite the generator binds values itself: they must be stored exactly as SQLAlchemy
    stores them, or comparisons in SQL (starts_at > :now) would silently go wrong."""
    orm_slot = create_slot()
    runner.invoke(args=["openday", "generate", "--labs", "3"])
    if backend == "sqlite":
        raw = db.session.execute(sa.text(
            "SELECT s.starts_at, b.created_at, b.slot_day, s.listed FROM slot s "
            "JOIN booking b ON b.slot_id = s.id WHERE s.id != :id LIMIT 1"), {"id": orm_slot.id}).one()
        reference = db.session.execute(sa.text("SELECT starts_at FROM slot WHERE id = :id"),
                                       {"id": orm_slot.id}).scalar_one()
        assert len(raw.starts_at) == len(reference) == len("2026-09-01 01:30:00.000000")
        assert raw.created_at[10] == " " and len(raw.created_at) == len(reference)
        assert len(raw.slot_day) == 10 and raw.listed in (0, 1)
    generated = db.session.execute(sa.select(Slot).where(Slot.id != orm_slot.id).limit(1)).scalar_one()
    assert generated.starts_at.tzinfo is not None
    later = db.session.execute(sa.select(sa.func.count(Slot.id)).where(
        Slot.starts_at >= generated.starts_at, Slot.id == generated.id)).scalar_one()
    assert later == 1

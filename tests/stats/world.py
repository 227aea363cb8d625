"""A small campaign with bookings of every kind, for the totals' tests (stats and API).

Booking and cancelling go through the booking service, check-in, walk-ins and cancelling a slot
through the lab's (``openday.bookings.staff``): they keep each slot's counters. The expected figures are always recomputed from
the booking and slot tables (``figures_from_tables``), never copied from the code under test.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

import sqlalchemy as sa

from openday import clock
from openday.bookings import ballot, service, staff
from openday.bookings.models import Booking, BookingStatus, CancelledBy
from openday.events.models import Event, EventStatus, Slot, SlotStatus
from openday.feedback import service as feedback
from openday.feedback.models import Feedback
from tests.phones import next_phone

# A phone booked in the world: it must never show on a totals page, CSV or API answer.
KNOWN_PHONE = "13812345678"
KNOWN_PHONE_MASKED = "138****5678"


class Ledger:
    """Book, cancel, check in and record walk-ins on slots, through the services that do it."""

    def __init__(self, db):
        self.db = db
        self.walk_ins_recorded: dict[int, int] = {}  # slot id -> people the test says walked in

    def book(self, slot, party_size: int = 1, phone: str | None = None) -> Booking:
        request = service.BookingRequest(name="张三", phone=phone or next_phone(),
                                         party_size=party_size, consent=True)
        return service.book(slot.id, request)

    def cancel(self, booking: Booking, by: str = CancelledBy.citizen) -> None:
        service.cancel(booking, by=by)

    def check_in(self, booking: Booking) -> None:
        result = staff.check_in(booking.slot.lab_id, booking.code, early=True)
        assert result.outcome == "checked_in"

    def walk_ins(self, slot, people: int) -> None:
        staff.add_walk_ins(slot.lab_id, slot.id, people)
        self.walk_ins_recorded[slot.id] = self.walk_ins_recorded.get(slot.id, 0) + people

    def cancel_slot(self, slot) -> None:
        """The lab withdraws a slot: it leaves the listings and its bookings are cancelled."""
        staff.cancel_slot(slot, "场地临时检修")


@dataclass
class World:
    campaign: object
    previous: object
    slots: dict = field(default_factory=dict)
    labs: dict = field(default_factory=dict)
    walk_ins: dict = field(default_factory=dict)  # slot id -> walk-ins recorded


def build_world(db, campaign, create_campaign, create_lab, create_event, create_slot) -> World:
    """Two provinces (湖南: 长沙, 株洲; 上海), every kind but training, a draft event, a cancelled
    slot, a waitlist with a promotion, check-ins, walk-ins, and an earlier campaign."""
    previous = create_campaign(year=campaign.year - 1, is_current=False, edition=campaign.edition - 1,
                               starts_on=campaign.starts_on)
    world = World(campaign=campaign, previous=previous)
    ledger = Ledger(db)

    cs = create_lab(name="长沙检测所", city="430100", district="430102")
    zz = create_lab(name="株洲检测所", city="430200", district="430202", lat=27.85, lon=113.17)
    sh = create_lab(name="上海检测所", city="310100", district="310101", lat=31.23, lon=121.48)
    wh = create_lab(name="武汉检测所", city="420100", district="420102", lat=30.6, lon=114.3)
    world.labs = {"cs": cs, "zz": zz, "sh": sh, "wh": wh}

    day = clock.today()
    at = lambda days, hour, minute=0: clock.china_datetime(day + timedelta(days=days), hour, minute)  # noqa: E731

    e_tour = create_event(lab=cs, kind="tour")
    e_lecture = create_event(lab=cs, kind="lecture", title="食品安全讲座")
    e_testing = create_event(lab=zz, kind="free_testing", title="免费检测首饰")
    e_quiz = create_event(lab=sh, kind="quiz", title="计量知识问答")
    e_draft = create_event(lab=wh, kind="training", status=EventStatus.draft, title="草稿")
    e_old = create_event(lab=cs, kind="tour", campaign_id=previous.id, title="去年的参观")

    s = world.slots
    s["tour1"] = create_slot(event=e_tour, capacity=10, starts_at=at(2, 10))
    # 01:30 in Beijing is 17:30 UTC the day before: it must count on the Beijing day. By ballot.
    s["tour_night"] = create_slot(event=e_tour, capacity=8, starts_at=at(3, 1, 30), mode="ballot",
                                  draw_at=clock.now() + timedelta(hours=1))
    s["lecture"] = create_slot(event=e_lecture, capacity=20, starts_at=at(3, 14))
    s["testing"] = create_slot(event=e_testing, capacity=6, starts_at=at(2, 9), max_party=4)
    s["quiz"] = create_slot(event=e_quiz, capacity=12, starts_at=at(4, 10))
    s["quiz_cancelled"] = create_slot(event=e_quiz, capacity=5, starts_at=at(5, 10))
    s["draft"] = create_slot(event=e_draft, capacity=20, starts_at=at(2, 10))
    s["old"] = create_slot(event=e_old, capacity=15, starts_at=at(6, 10))

    b1 = ledger.book(s["tour1"], 3, phone=KNOWN_PHONE)
    b2 = ledger.book(s["tour1"], 2)
    b3 = ledger.book(s["tour1"], 4)
    ledger.book(s["tour1"], 1)
    ledger.cancel(b2)
    ledger.check_in(b1)
    ledger.check_in(b3)

    entry = ledger.book(s["tour_night"], 2)
    gone = ledger.book(s["tour_night"], 1)
    ledger.cancel(gone)                    # an entry withdrawn before the draw is not in it
    assert ballot.draw_slot(s["tour_night"].id, clock.now() + timedelta(hours=2))
    db.session.refresh(entry)
    assert entry.status == "confirmed"     # the one entry drawn fits
    ledger.walk_ins(s["tour_night"], 3)

    b6 = ledger.book(s["lecture"], 4)
    ledger.book(s["lecture"], 4)
    ledger.check_in(b6)
    ledger.walk_ins(s["lecture"], 5)

    ledger.book(s["testing"], 4)
    b9 = ledger.book(s["testing"], 3)      # waitlisted: 2 seats left
    b10 = ledger.book(s["testing"], 2)     # fits
    b11 = ledger.book(s["testing"], 1)     # waitlisted: full
    assert (b9.status, b10.status, b11.status) == ("waitlisted", "confirmed", "waitlisted")
    ledger.cancel(b10)                     # frees 2: b11 (1) is promoted, b9 (3) still waits

    b12 = ledger.book(s["quiz"], 2)
    ledger.check_in(b12)
    ledger.walk_ins(s["quiz"], 4)

    ledger.book(s["quiz_cancelled"], 2)
    ledger.book(s["quiz_cancelled"], 1)
    ledger.cancel_slot(s["quiz_cancelled"])

    b15 = ledger.book(s["old"], 3)
    ledger.check_in(b15)
    ledger.walk_ins(s["old"], 7)

    # Visitors rate their visits once these have started (the clock moved for it, then back).
    real_now = clock.now
    clock.now = lambda: at(4, 12)
    try:
        for booking, rating in ((b1, 4), (b6, 5), (b12, 2)):
            feedback.leave_feedback(booking, rating, "很有收获")
    finally:
        clock.now = real_now

    world.walk_ins = dict(ledger.walk_ins_recorded)
    db.session.expire_all()
    return world


def figures_from_tables(db, world: World, campaign=None, province: str | None = None,
                        kind: str | None = None) -> dict:
    """What the bookings (and the listed slots) say, counted row by row in Python."""
    campaign = campaign or world.campaign
    slots = db.session.execute(
        sa.select(Slot, Event).join(Event, Slot.event_id == Event.id)
        .where(Event.campaign_id == campaign.id)).all()

    def wanted(slot, event):
        return ((province is None or event.city_adcode[:2] == province[:2])
                and (kind is None or event.kind == kind))

    chosen = {slot.id: (slot, event) for slot, event in slots if wanted(slot, event)}
    listed = [(slot, event) for slot, event in chosen.values()
              if event.status == EventStatus.published and slot.status == SlotStatus.open]
    bookings = db.session.execute(
        sa.select(Booking).where(Booking.slot_id.in_(list(chosen) or [0]))).scalars().all()
    confirmed = [b for b in bookings if b.status == BookingStatus.confirmed]
    checked_in = sum(b.party_size for b in bookings if b.checked_in_at is not None)
    walk_ins = sum(world.walk_ins.get(slot_id, 0) for slot_id in chosen)
    people = sum(b.party_size for b in confirmed)
    # 到场率 is measured on slots that have ended only.
    now = clock.now()
    ended = {slot_id for slot_id, (slot, _event) in chosen.items() if slot.ends_at <= now}
    ended_people = sum(b.party_size for b in confirmed if b.slot_id in ended)
    ended_checked_in = sum(b.party_size for b in bookings
                           if b.slot_id in ended and b.checked_in_at is not None)
    ratings = db.session.execute(
        sa.select(Feedback.rating).where(Feedback.slot_id.in_(list(chosen) or [0]))).scalars().all()
    return {
        "labs": len({event.lab_id for _slot, event in listed}),
        "events": len({event.id for _slot, event in listed}),
        "slots": len(listed),
        "capacity": sum(slot.capacity for slot, _event in listed),
        "bookings": len(confirmed),
        "people": people,
        "waitlisted": sum(1 for b in bookings if b.status == BookingStatus.waitlisted),
        "checked_in": checked_in,
        "walk_ins": walk_ins,
        "visits": checked_in + walk_ins,
        "attendance_rate": round(ended_checked_in / ended_people, 4) if ended_people else None,
        "entries": sum(1 for b in bookings if b.status == BookingStatus.entered
                       or b.draw_rank is not None),
        "winners": sum(1 for b in bookings if b.draw_rank is not None
                       and b.status == BookingStatus.confirmed),
        "ratings": len(ratings),
        "rating": round(sum(ratings) / len(ratings), 2) if ratings else None,
    }

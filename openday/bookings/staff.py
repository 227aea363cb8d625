"""What a lab does to the bookings on its own slots: rosters, check-in, walk-ins, and cancelling
or resizing a slot or an event (which changes bookings, so it lives here and not in events).

Every change to seats or counters runs in a ``core.db.write_transaction`` (``BEGIN IMMEDIATE`` on
SQLite, retried when busy) with the slot rows locked (``core.db.lock_rows``, ``FOR UPDATE``) on
PostgreSQL, so it never interleaves with a booking being taken on the same slot. Each change is
written to the audit log inside that same transaction. A refusal is a ``core.errors.RuleError``
naming the field it concerns, if any.
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import contains_eager, joinedload

from openday import clock
from openday.audit import service as audit
from openday.bookings import service as bookings
from openday.bookings.models import Booking, BookingStatus, CancelledBy
from openday.core.db import lock_rows, write_transaction
from openday.core.errors import RuleError
from openday.core.i18n import _
from openday.events import service as events
from openday.events.models import Event, EventStatus, Slot, SlotStatus
from openday.extensions import db

MAX_WALK_INS_AT_ONCE = 500


# ---- cancelling and deleting ---------------------------------------------------------------------

def _cancel_slots(slots: list[Slot], by: CancelledBy, reason: str) -> int:
    """Cancel locked slots and every active booking on them; returns the bookings cancelled.

    The booking service releases each booking, so seats taken, confirmed and waitlisted counts
    come down to zero exactly; people already checked in and walk-ins stay counted as visits.
    """
    count = 0
    for slot in slots:
        count += bookings.cancel_slot_bookings(slot, by=by)
        slot.status = SlotStatus.cancelled
        slot.cancel_reason = reason
        slot.listed = False
    db.session.flush()
    return count


def cancel_slot(slot: Slot, reason: str) -> int:
    """The lab cancels one slot: its bookings are cancelled (by the lab), it leaves the listings."""
    slot_id = slot.id

    def work() -> int:
        locked = lock_rows(Slot, Slot.id == slot_id)
        if not locked or locked[0].status == SlotStatus.cancelled:
            raise RuleError("cancelled", _("该场次已取消"), status=409)
        count = _cancel_slots(locked, CancelledBy.lab, reason)
        audit.record("slot.cancel", locked[0], reason=reason)
        return count

    return write_transaction(work)


def cancel_event(event: Event, reason: str) -> int:
    """The lab cancels a whole event: every open slot and its bookings (cancelled by the event)."""
    event_id = event.id

    def work() -> int:
        slots = lock_rows(Slot, Slot.event_id == event_id, Slot.status == SlotStatus.open)
        event = db.session.get(Event, event_id, populate_existing=True)
        if event.status == EventStatus.cancelled:
            raise RuleError("cancelled", _("该活动已取消"), status=409)
        count = _cancel_slots(slots, CancelledBy.event, reason)
        event.status = EventStatus.cancelled
        event.cancel_reason = reason
        events.refresh_slot_copies(event)
        audit.record("event.cancel", event, reason=reason)
        return count

    return write_transaction(work)


def delete_slot(slot: Slot) -> None:
    """A slot nobody ever booked may go; one with bookings (even cancelled ones) is cancelled
    instead."""
    slot_id = slot.id

    def work() -> None:
        locked = lock_rows(Slot, Slot.id == slot_id)
        booked = db.session.execute(
            sa.select(sa.exists().where(Booking.slot_id == slot_id))).scalar()
        if booked:
            raise RuleError("has_bookings", _("已有预约的场次不能删除，只能取消"), status=409)
        if locked:
            audit.record("slot.delete", locked[0],
                         reason=f"{clock.local(locked[0].starts_at):%Y-%m-%d %H:%M}")
            db.session.delete(locked[0])

    write_transaction(work)


# ---- resizing ------------------------------------------------------------------------------------

def closes_hours(slot: Slot) -> int | None:
    """How many hours before its start a slot stops taking bookings (None: when it starts)."""
    if slot.booking_closes_at is None:
        return None
    return int((slot.starts_at - slot.booking_closes_at).total_seconds() // 3600)


def update_slot(slot: Slot, capacity: int, max_party: int, closes_hours_before: int | None,
                draw_at: datetime | None = None) -> Slot:
    """Change a slot's capacity (never below its seats taken), party limit and booking close,
    and a ballot's draw time until it has drawn (``draw_at`` None: unchanged).

    Raises a RuleError with field errors when a rule fails; nothing is changed then.
    One transaction under the slot's lock: the rules are checked again against the seats taken
    by then, the new capacity promotes waitlisted bookings that now fit, and the change is
    audited, all together.
    """
    slot_id = slot.id
    errors = events.slot_change_errors(slot, capacity, max_party, closes_hours_before, draw_at)
    if slot.status == SlotStatus.cancelled:
        errors["status"] = _("该场次已取消")
    if errors:
        raise events.invalid(errors)

    def work() -> Slot:
        found = lock_rows(Slot, Slot.id == slot_id)
        if not found or found[0].status == SlotStatus.cancelled:
            raise events.invalid({"status": _("该场次已取消")})
        locked = found[0]
        errors = events.slot_change_errors(locked, capacity, max_party, closes_hours_before,
                                           draw_at)
        if errors:  # seats were taken (or the ballot drawn) since the form was read
            raise events.invalid(errors)
        new_draw_at = draw_at if draw_at is not None and locked.drawn_at is None else locked.draw_at
        change = audit.changes({
            "capacity": (locked.capacity, capacity), "max_party": (locked.max_party, max_party),
            "closes_hours": (closes_hours(locked), closes_hours_before),
            "draw_at": (_local(locked.draw_at), _local(new_draw_at))})
        locked.draw_at = new_draw_at
        locked.capacity = capacity
        locked.max_party = max_party
        locked.booking_closes_at = (locked.starts_at - timedelta(hours=closes_hours_before)
                                    if closes_hours_before is not None else None)
        db.session.flush()
        bookings.promote_waitlisted(locked)
        if change:
            audit.record("slot.update", locked, reason=change)
        return locked

    return write_transaction(work)


# ---- rosters -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class RosterLine:
    booking: Booking
    waitlist_position: int | None


_STATUS_ORDER = sa.case({BookingStatus.confirmed: 0, BookingStatus.waitlisted: 1,
                         BookingStatus.entered: 2}, value=Booking.status, else_=3)


def roster(slot: Slot) -> list[RosterLine]:
    """Every booking of a slot, confirmed first, then the waitlist in order, then ballot
    entries not drawn yet, then cancelled: one query."""
    found = db.session.execute(
        sa.select(Booking).where(Booking.slot_id == slot.id)
        .order_by(_STATUS_ORDER, *bookings.queue_order())).scalars()
    lines, position = [], 0
    for booking in found:
        if booking.status == BookingStatus.waitlisted:
            position += 1
            lines.append(RosterLine(booking, position))
        else:
            lines.append(RosterLine(booking, None))
    return lines


def status_label(booking: Booking) -> str:
    if booking.status == BookingStatus.confirmed:
        return _("已签到") if booking.checked_in_at else _("已确认")
    if booking.status == BookingStatus.waitlisted:
        return _("候补")
    if booking.status == BookingStatus.entered:
        return _("已报名抽签")
    return {CancelledBy.lab: _("场次取消"), CancelledBy.event: _("活动取消")}.get(
        booking.cancelled_by, _("已取消"))


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value) -> str:
    """Text a spreadsheet shows as typed: a name like "=HYPERLINK(…)" must not become a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def _local(moment: datetime | None) -> str:
    return f"{clock.local(moment):%Y-%m-%d %H:%M}" if moment else ""


def roster_csv(slot: Slot, lines: list[RosterLine]) -> bytes:
    """The roster as Excel opens it: UTF-8 with a BOM (or Chinese turns to mojibake), CRLF rows.

    Phones are mainland mobiles of 11 digits, which Excel's General format shows whole.
    """
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([_("序号"), _("预约码"), _("姓名"), _("手机号"), _("人数"), _("状态"),
                     _("候补顺序"), _("预约时间"), _("签到时间")])
    for number, line in enumerate(lines, start=1):
        b = line.booking
        writer.writerow([number, b.code, _cell(b.name), _cell(b.phone), b.party_size,
                         status_label(b), line.waitlist_position or "", _local(b.created_at),
                         _local(b.checked_in_at)])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def roster_filename(slot: Slot) -> str:
    return f"roster-{slot.id}-{clock.local(slot.starts_at):%Y%m%d-%H%M}.csv"


def export_roster(slot: Slot, lines: list[RosterLine]) -> tuple[str, bytes]:
    """The roster's file name and CSV, the export audited (committed before the file is sent:
    names and full phones leave the system only with a record of who took them)."""
    name, body, where = roster_filename(slot), roster_csv(slot, lines), audit.target(slot)
    write_transaction(
        lambda: audit.record("roster.export", where, reason=f"csv, {len(lines)} rows"))
    return name, body


# ---- check-in and walk-ins -----------------------------------------------------------------------

def find_lab_booking(lab_id: int, code: str | None) -> Booking | None:
    """A booking by its code, only on this lab's slots: another lab's code is simply not found."""
    code = bookings.normalise_code(code)
    if code is None:
        return None
    return db.session.execute(
        sa.select(Booking).join(Booking.slot)
        .options(contains_eager(Booking.slot).joinedload(Slot.event))
        .where(Booking.code == code, Slot.lab_id == lab_id)
        .execution_options(populate_existing=True)).unique().scalar_one_or_none()


@dataclass(frozen=True)
class CheckinResult:
    outcome: str  # checked_in, already, cancelled, waitlisted, entered, not_found
    booking: Booking | None


def check_in(lab_id: int, code: str) -> CheckinResult:
    """Mark a confirmed booking as arrived, once: a second scan reports when it happened."""
    booking = find_lab_booking(lab_id, code)
    if booking is None:
        return CheckinResult("not_found", None)
    booking_id, slot_id, party = booking.id, booking.slot_id, booking.party_size
    where, code = audit.target(booking), booking.code

    def work() -> bool:
        lock_rows(Slot, Slot.id == slot_id)
        # A conditional UPDATE: two phones scanning the same QR at once check in one party.
        marked = db.session.execute(
            sa.update(Booking)
            .where(Booking.id == booking_id, Booking.status == BookingStatus.confirmed,
                   Booking.checked_in_at.is_(None))
            .values(checked_in_at=clock.now())
            .execution_options(synchronize_session=False)).rowcount == 1
        if marked:
            db.session.execute(
                sa.update(Slot).where(Slot.id == slot_id)
                .values(checked_in_people=Slot.checked_in_people + party)
                .execution_options(synchronize_session=False))
            # The booking's code and party, never the citizen's name or phone.
            audit.record("booking.check_in", where, reason=f"code {code}, party {party}")
        return marked

    marked = write_transaction(work)
    booking = find_lab_booking(lab_id, code)
    return CheckinResult("checked_in" if marked else checkin_outcome(booking), booking)


def checkin_outcome(booking: Booking) -> str:
    """What checking this booking in would do now ("ready" when it can be)."""
    if booking.status == BookingStatus.cancelled:
        return "cancelled"
    if booking.status == BookingStatus.waitlisted:
        return "waitlisted"
    if booking.status == BookingStatus.entered:
        return "entered"
    if booking.checked_in_at is not None:
        return "already"
    return "ready"


def add_walk_ins(lab_id: int, slot_id: int, number: int) -> Slot:
    """Add people who came without booking to one of the lab's slots (a negative number corrects a
    slip, never below zero)."""
    if not number or abs(number) > MAX_WALK_INS_AT_ONCE:
        raise RuleError.on("number", _("请填写 1 到 %(n)d 之间的人数", n=MAX_WALK_INS_AT_ONCE))

    def work() -> None:
        changed = db.session.execute(
            sa.update(Slot)
            .where(Slot.id == slot_id, Slot.lab_id == lab_id, Slot.walk_ins + number >= 0)
            .values(walk_ins=Slot.walk_ins + number)
            .execution_options(synchronize_session=False)).rowcount
        if not changed:
            exists = db.session.execute(
                sa.select(Slot.id).where(Slot.id == slot_id, Slot.lab_id == lab_id)).scalar()
            if exists:
                raise RuleError.on("number", _("现场人数不能减到 0 以下"))
            raise RuleError.on("slot_id", _("未找到该场次"), code="not_found", status=404)

    write_transaction(work)
    return db.session.execute(
        sa.select(Slot).options(joinedload(Slot.event)).where(Slot.id == slot_id)
        .execution_options(populate_existing=True)).scalar_one()

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
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import contains_eager, joinedload

from flask import current_app

from openday import clock
from openday.audit import service as audit
from openday.bookings import service as bookings
from openday.bookings.models import Booking, BookingStatus, CancelledBy
from openday.core.db import lock_rows, write_transaction
from openday.core.errors import RuleError
from openday.core.i18n import _
from openday.core.phone import display_phone, mask_phone
from openday.events import service as events
from openday.events.models import Event, EventStatus, Slot, SlotStatus
from openday.extensions import db
from openday.signals import slot_rescheduled

MAX_WALK_INS_AT_ONCE = 500


# ---- cancelling and deleting ---------------------------------------------------------------------

def _cancel_slots(slots: list[Slot], by: CancelledBy, reason: str) -> int:
    """Cancel locked slots and every active booking on them; returns the bookings cancelled.

    The booking service releases each booking, so seats taken, confirmed and waitlisted counts
    come down to zero exactly; people already checked in and walk-ins stay counted as visits.
    """
    count = 0
    for slot in slots:
        slot.cancel_reason = reason  # first: the bookings' messages may quote it
        count += bookings.cancel_slot_bookings(slot, by=by)
        slot.status = SlotStatus.cancelled
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


# ---- rescheduling and duplicating ----------------------------------------------------------------

def _span(starts_at: datetime, ends_at: datetime) -> str:
    return f"{clock.local(starts_at):%Y-%m-%d %H:%M}–{clock.local(ends_at):%H:%M}"


def reschedule_slot(slot: Slot, day: date, start: time, duration_minutes: int,
                    note: str = "") -> Slot:
    """Move a slot to another time (the lab's own, in the campaign, not in the past, not onto
    another open slot of the event at that start). Its bookings move with it: each keeps its
    seats, their Beijing day follows (the daily cap), the previous time and the lab's note stay
    on the slot for the citizens' manage page, and ``signals.slot_rescheduled`` names the active
    bookings to tell. Audited."""
    slot_id = slot.id
    starts_at = clock.china_datetime(day, start.hour, start.minute).astimezone(UTC)
    ends_at = starts_at + timedelta(minutes=duration_minutes or 0)
    note = (note or "").strip()[:300]

    def check(current: Slot) -> None:
        if current.status == SlotStatus.cancelled:
            raise events.invalid({"status": _("该场次已取消")})
        errors = events.slot_rule_errors(current.event.campaign, starts_at, ends_at,
                                         current.capacity, current.max_party)
        if not errors and starts_at == current.starts_at and ends_at == current.ends_at:
            errors["starts_at"] = _("新时间与原时间相同")
        if not errors and db.session.execute(sa.select(Slot.id).where(
                Slot.event_id == current.event_id, Slot.id != current.id,
                Slot.status == SlotStatus.open, Slot.starts_at == starts_at)).first():
            errors["starts_at"] = _("这些时间已有场次：%(times)s",
                                    times=f"{clock.local(starts_at):%H:%M}")
        if errors:
            raise events.invalid(errors)

    check(slot)

    def work() -> Slot:
        found = lock_rows(Slot, Slot.id == slot_id)
        if not found:
            raise events.invalid({"status": _("该场次已取消")})
        locked = found[0]
        check(locked)
        before = _span(locked.starts_at, locked.ends_at)
        shift = starts_at - locked.starts_at
        locked.previous_starts_at, locked.previous_ends_at = locked.starts_at, locked.ends_at
        locked.starts_at, locked.ends_at = starts_at, ends_at
        if locked.booking_closes_at is not None:
            locked.booking_closes_at += shift
        locked.rescheduled_at, locked.reschedule_note = clock.now(), note or None
        db.session.execute(
            sa.update(Booking).where(Booking.slot_id == slot_id)
            .values(slot_day=clock.local(starts_at).date())
            .execution_options(synchronize_session=False))
        db.session.flush()
        active = list(db.session.execute(sa.select(Booking.id).where(
            Booking.slot_id == slot_id, Booking.status != BookingStatus.cancelled)).scalars())
        slot_rescheduled.send(locked, booking_ids=active)
        audit.record("slot.reschedule", locked,
                     reason=f"{before} → {_span(starts_at, ends_at)}" + (f"; {note}" if note
                                                                          else ""))
        return locked

    return write_transaction(work)


def duplicate_event(event: Event, day: date, publish: bool = False) -> Event:
    """A copy of an event with its open slots moved to ``day`` (same times of day, sizes and
    limits), as a draft or published as the lab chooses (published only for an approved lab).
    Bookings are never copied. Audited on the copy, naming the original."""
    from openday.events.models import Event as EventModel

    lab = event.lab
    if publish and not lab.is_approved:
        raise events.invalid({"status": _("机构通过审核后才能发布活动；现在可以先保存草稿、添加场次。")})
    if event.status == EventStatus.cancelled:
        raise events.invalid({"status": _("活动已取消，不能再修改")})
    originals = [s for s in event.slots if s.status == SlotStatus.open]
    if not originals:
        raise events.invalid({"day": _("该活动没有可复制的场次")})
    if len(originals) > events.MAX_SLOTS_AT_ONCE:
        raise events.invalid({"day": _("一次最多添加 %(n)d 个场次", n=events.MAX_SLOTS_AT_ONCE)})
    plans = []
    for original in originals:
        local_start = clock.local(original.starts_at)
        starts_at = clock.china_datetime(day, local_start.hour,
                                         local_start.minute).astimezone(UTC)
        ends_at = starts_at + (original.ends_at - original.starts_at)
        closes_at = (starts_at - (original.starts_at - original.booking_closes_at)
                     if original.booking_closes_at is not None else None)
        errors = events.slot_rule_errors(event.campaign, starts_at, ends_at, original.capacity,
                                         original.max_party, closes_at)
        if errors:
            field, message = next(iter(errors.items()))
            raise events.invalid({"day": message})
        plans.append((starts_at, ends_at, closes_at, original.capacity, original.max_party))
    event_id = event.id
    copied = ("lab_id", "campaign_id", "kind", "title", "summary", "description", "venue_type",
              "venue_name", "venue_address", "province_adcode", "city_adcode", "district_adcode",
              "lat", "lon", "audience", "accessibility", "testing_items", "what_to_bring")

    def work() -> EventModel:
        source = db.session.get(EventModel, event_id)
        copy = EventModel(**{name: getattr(source, name) for name in copied},
                          status=EventStatus.published if publish else EventStatus.draft)
        db.session.add(copy)
        db.session.flush()
        copies = events.slot_copies(copy)
        seen = set()
        for starts_at, ends_at, closes_at, capacity, max_party in plans:
            if starts_at in seen:
                continue
            seen.add(starts_at)
            db.session.add(Slot(event_id=copy.id, starts_at=starts_at, ends_at=ends_at,
                                capacity=capacity, max_party=max_party,
                                booking_closes_at=closes_at, status=SlotStatus.open, **copies))
        db.session.flush()
        audit.record("event.duplicate", copy,
                     reason=f"from event {event_id}, {len(seen)} slots on {day.isoformat()}, "
                            f"{copy.status}")
        return copy

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


@dataclass(frozen=True)
class RosterColumn:
    """One column of the exported roster: its header, width in characters (the .xlsx), kind
    ("int", "text": shown as typed, never a number or a formula; "datetime": a real date) and
    value. Both exports read ROSTER_COLUMNS, so a new column is one entry here."""

    header: Callable[[], str]
    width: int
    kind: str
    value: Callable[[int, RosterLine], object]


ROSTER_COLUMNS: list[RosterColumn] = [
    RosterColumn(lambda: _("序号"), 6, "int", lambda n, line: n),
    RosterColumn(lambda: _("预约码"), 11, "text", lambda n, line: line.booking.code),
    RosterColumn(lambda: _("姓名"), 14, "text", lambda n, line: line.booking.name),
    RosterColumn(lambda: _("手机号"), 16, "text", lambda n, line: display_phone(line.booking.phone)),
    RosterColumn(lambda: _("人数"), 6, "int", lambda n, line: line.booking.party_size),
    RosterColumn(lambda: _("状态"), 9, "text", lambda n, line: status_label(line.booking)),
    RosterColumn(lambda: _("候补顺序"), 9, "int", lambda n, line: line.waitlist_position),
    RosterColumn(lambda: _("预约时间"), 17, "datetime", lambda n, line: line.booking.created_at),
    RosterColumn(lambda: _("签到时间"), 17, "datetime",
                 lambda n, line: line.booking.checked_in_at),
    RosterColumn(lambda: _("到场人数"), 9, "int", lambda n, line: line.booking.arrived),
    RosterColumn(lambda: _("备注"), 30, "text", lambda n, line: line.booking.remarks),
]


def roster_csv(slot: Slot, lines: list[RosterLine]) -> bytes:
    """The roster as Excel opens it: UTF-8 with a BOM (or Chinese turns to mojibake), CRLF rows.

    Mainland phones are their 11 digits, which Excel's General format shows whole; others are
    in international form (+852 9123 4567), kept as text.
    """
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([column.header() for column in ROSTER_COLUMNS])
    for number, line in enumerate(lines, start=1):
        row = []
        for column in ROSTER_COLUMNS:
            value = column.value(number, line)
            if column.kind == "datetime":
                row.append(_local(value))
            elif column.kind == "text":
                row.append(_cell(value))
            else:
                row.append("" if value is None else value)
        writer.writerow(row)
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def roster_title(slot: Slot) -> str:
    return (f"{slot.event.title} · {clock.local(slot.starts_at):%Y-%m-%d %H:%M}–"
            f"{clock.local(slot.ends_at):%H:%M}")


def roster_xlsx(slot: Slot, lines: list[RosterLine]) -> bytes:
    """The roster as a workbook that opens right in Excel and WPS: codes and phones are text
    cells (a code like 23456E78 stays a code, not 2.3456E+82), times are dates, columns sized,
    and a title row names the event and the slot."""
    import xlsxwriter

    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True})
    sheet = book.add_worksheet(_("预约名单"))
    title = book.add_format({"bold": True, "font_size": 13})
    header = book.add_format({"bold": True, "bg_color": "#E8F0FE", "border": 1})
    text = book.add_format({"num_format": "@"})
    moment = book.add_format({"num_format": "yyyy-mm-dd hh:mm"})
    last = len(ROSTER_COLUMNS) - 1
    sheet.merge_range(0, 0, 0, last, roster_title(slot), title)
    for col, column in enumerate(ROSTER_COLUMNS):
        sheet.write_string(1, col, column.header(), header)
        sheet.set_column(col, col, column.width, text if column.kind == "text" else None)
    for row, line in enumerate(lines, start=2):
        for col, column in enumerate(ROSTER_COLUMNS):
            value = column.value(row - 1, line)
            if value is None or value == "":
                sheet.write_blank(row, col, None)
            elif column.kind == "text":
                sheet.write_string(row, col, str(value), text)
            elif column.kind == "datetime":
                sheet.write_datetime(row, col, clock.local(value).replace(tzinfo=None), moment)
            else:
                sheet.write_number(row, col, value)
    sheet.freeze_panes(2, 0)
    sheet.autofilter(1, 0, max(1, len(lines) + 1), last)
    book.close()
    return out.getvalue()


@dataclass(frozen=True)
class SignInColumn:
    """One column of the printed sign-in sheet before the signature (which is always last)."""

    header: Callable[[], str]
    value: Callable[[Booking, bool], object]  # (booking, full phones?)
    css: str = ""


SIGN_IN_COLUMNS: list[SignInColumn] = [
    SignInColumn(lambda: _("姓名"), lambda b, full: b.name or "—"),
    SignInColumn(lambda: _("手机号"),
                 lambda b, full: (display_phone(b.phone) if full else mask_phone(b.phone)) or "—",
                 "text-nowrap"),
    SignInColumn(lambda: _("人数"), lambda b, full: b.party_size, "text-end"),
    SignInColumn(lambda: _("预约码"), lambda b, full: b.code, "font-monospace"),
    SignInColumn(lambda: _("备注"), lambda b, full: b.remarks or ""),
]


def sign_in_lines(slot: Slot) -> list[Booking]:
    """Who is expected at the door: the confirmed bookings, in the order they booked."""
    return list(db.session.execute(
        sa.select(Booking).where(Booking.slot_id == slot.id,
                                 Booking.status == BookingStatus.confirmed)
        .order_by(Booking.id)).scalars())


def record_sign_in_sheet(slot: Slot, rows: int, full_phones: bool) -> None:
    """A printed sheet with names takes them out of the system like an export: audited first."""
    where = audit.target(slot)
    write_transaction(lambda: audit.record(
        "roster.export", where,
        reason=f"sign-in sheet, {rows} rows, {'full' if full_phones else 'masked'} phones"))


def roster_filename(slot: Slot, extension: str = "csv") -> str:
    return f"roster-{slot.id}-{clock.local(slot.starts_at):%Y%m%d-%H%M}.{extension}"


def export_roster(slot: Slot, lines: list[RosterLine], file_format: str = "csv") -> tuple[str, bytes]:
    """The roster's file name and body (CSV or .xlsx), the export audited (committed before the
    file is sent: names and full phones leave the system only with a record of who took
    them)."""
    write = roster_xlsx if file_format == "xlsx" else roster_csv
    name, body, where = roster_filename(slot, file_format), write(slot, lines), audit.target(slot)
    write_transaction(
        lambda: audit.record("roster.export", where, reason=f"{file_format}, {len(lines)} rows"))
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
    outcome: str  # checked_in, already, cancelled, waitlisted, entered, not_found, not_today
    booking: Booking | None


def undo_minutes() -> int:
    return current_app.config["OPENDAY_CHECKIN_UNDO_MINUTES"]


def opens_today(booking: Booking) -> bool:
    """Check-in opens on the slot's own (Beijing) day, not days ahead."""
    return clock.local(booking.slot.starts_at).date() <= clock.today()


def check_in(lab_id: int, code: str, arrived: int | None = None,
             early: bool = False) -> CheckinResult:
    """Mark a confirmed booking as arrived with how many of its party came (all of it when not
    said), once: a second scan reports when it happened. Before the slot's day only with
    ``early`` (the lab ticked the override; audited as such)."""
    booking = find_lab_booking(lab_id, code)
    if booking is None:
        return CheckinResult("not_found", None)
    outcome = checkin_outcome(booking)
    if outcome != "ready":
        return CheckinResult(outcome, booking)
    if not opens_today(booking) and not early:
        return CheckinResult("not_today", booking)
    party = booking.party_size
    arrived = party if arrived is None else arrived
    if not 1 <= arrived <= party:
        raise RuleError.on("arrived", _("到场人数应为 1 到 %(n)d", n=party))
    booking_id, slot_id = booking.id, booking.slot_id
    where, code = audit.target(booking), booking.code
    note = f"code {code}, arrived {arrived}/{party}" + (", early" if early and
                                                        not opens_today(booking) else "")

    def work() -> bool:
        lock_rows(Slot, Slot.id == slot_id)
        # A conditional UPDATE: two phones scanning the same QR at once check in one party.
        marked = db.session.execute(
            sa.update(Booking)
            .where(Booking.id == booking_id, Booking.status == BookingStatus.confirmed,
                   Booking.checked_in_at.is_(None))
            .values(checked_in_at=clock.now(), arrived=arrived)
            .execution_options(synchronize_session=False)).rowcount == 1
        if marked:
            _add_checked_in(slot_id, arrived)
            # The booking's code and party, never the citizen's name or phone.
            audit.record("booking.check_in", where, reason=note)
        return marked

    marked = write_transaction(work)
    booking = find_lab_booking(lab_id, code)
    return CheckinResult("checked_in" if marked else checkin_outcome(booking), booking)


def _add_checked_in(slot_id: int, people: int) -> None:
    db.session.execute(
        sa.update(Slot).where(Slot.id == slot_id)
        .values(checked_in_people=Slot.checked_in_people + people)
        .execution_options(synchronize_session=False))


def can_undo(booking: Booking) -> bool:
    """Whether this check-in is recent enough to undo or correct (OPENDAY_CHECKIN_UNDO_MINUTES)."""
    return (booking.checked_in_at is not None
            and clock.now() - booking.checked_in_at <= timedelta(minutes=undo_minutes()))


def _checked_in_booking(lab_id: int, code: str) -> Booking:
    booking = find_lab_booking(lab_id, code)
    if booking is None:
        raise RuleError.on("code", _("未找到该预约码，请核对后重试"), code="not_found", status=404)
    if booking.checked_in_at is None:
        raise RuleError.on("code", _("该预约尚未签到"), code="not_checked_in", status=409)
    if not can_undo(booking):
        raise RuleError.on("code", _("签到已超过 %(n)d 分钟，不能再撤销或更正", n=undo_minutes()),
                           code="undo_expired", status=409)
    return booking


def undo_check_in(lab_id: int, code: str) -> Booking:
    """Take back a mistaken check-in within the undo window: the booking is as before it, the
    people it counted leave the visits; audited."""
    booking = _checked_in_booking(lab_id, code)
    booking_id, slot_id, where = booking.id, booking.slot_id, audit.target(booking)
    stamp, code = booking.checked_in_at, booking.code

    def work() -> None:
        lock_rows(Slot, Slot.id == slot_id)
        found = db.session.execute(
            sa.select(Booking.arrived).where(Booking.id == booking_id,
                                             Booking.checked_in_at == stamp)).scalar()
        if found is None:  # undone or changed by another phone meanwhile
            raise RuleError.on("code", _("该预约尚未签到"), code="not_checked_in", status=409)
        db.session.execute(
            sa.update(Booking).where(Booking.id == booking_id)
            .values(checked_in_at=None, arrived=None)
            .execution_options(synchronize_session=False))
        _add_checked_in(slot_id, -found)
        audit.record("booking.check_in_undo", where, reason=f"code {code}, arrived {found}")

    write_transaction(work)
    return find_lab_booking(lab_id, code)


def correct_arrived(lab_id: int, code: str, arrived: int | None) -> Booking:
    """Change how many of a checked-in party came, within the undo window; audited."""
    booking = _checked_in_booking(lab_id, code)
    party = booking.party_size
    if arrived is None or not 1 <= arrived <= party:
        raise RuleError.on("arrived", _("到场人数应为 1 到 %(n)d", n=party))
    booking_id, slot_id, where = booking.id, booking.slot_id, audit.target(booking)
    code = booking.code

    def work() -> None:
        lock_rows(Slot, Slot.id == slot_id)
        before = db.session.execute(
            sa.select(Booking.arrived).where(Booking.id == booking_id,
                                             Booking.checked_in_at.is_not(None))).scalar()
        if before is None:
            raise RuleError.on("code", _("该预约尚未签到"), code="not_checked_in", status=409)
        if before == arrived:
            return
        db.session.execute(
            sa.update(Booking).where(Booking.id == booking_id).values(arrived=arrived)
            .execution_options(synchronize_session=False))
        _add_checked_in(slot_id, arrived - before)
        audit.record("booking.check_in_correct", where,
                     reason=f"code {code}, arrived {before} → {arrived}/{party}")

    write_transaction(work)
    return find_lab_booking(lab_id, code)


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


MAX_SEARCH_RESULTS = 20


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def search_bookings(lab_id: int, query: str | None, slot_id: int | None = None) -> list[Booking]:
    """Bookings of the lab's slots of today (or of one of them) whose name contains ``query`` or
    whose phone ends in it (the last 4 digits): for people who lost their code. Cancelled ones
    are left out; at most MAX_SEARCH_RESULTS."""
    text = " ".join((query or "").split())[:40]
    if not text:
        return []
    if text.isdigit():
        if len(text) != 4:
            raise RuleError.on("q", _("按手机号查找请输入后 4 位"))
        match = Booking.phone.like(f"%{text}")
    else:
        match = Booking.name.like(f"%{_like_escape(text)}%", escape="\\")
    start, end = events.day_bounds(clock.today())
    where = [Slot.lab_id == lab_id, Booking.status != BookingStatus.cancelled, match,
             Slot.starts_at >= start, Slot.starts_at < end]
    if slot_id is not None:
        where.append(Booking.slot_id == slot_id)
    return list(db.session.execute(
        sa.select(Booking).join(Booking.slot)
        .options(contains_eager(Booking.slot).joinedload(Slot.event))
        .where(*where).order_by(Slot.starts_at, Booking.name, Booking.id)
        .limit(MAX_SEARCH_RESULTS)).unique().scalars())


# Walk-ins: above the slot's capacity the lab confirms (a second submit); above this many times
# the capacity the count is refused as a slip (500 on a 5-seat slot would feed the national 人次).
WALK_IN_CEILING_FACTOR = 3


class WalkInsNeedConfirmation(RuleError):
    code = "confirm"
    status = 409


def walk_in_ceiling(slot: Slot) -> int:
    """The most people a slot may count at the door, checked in and walk-ins together."""
    return WALK_IN_CEILING_FACTOR * slot.capacity


def add_walk_ins(lab_id: int, slot_id: int, number: int, confirmed: bool = False) -> Slot:
    """Add people who came without booking to one of the lab's slots (a negative number corrects a
    slip, never below zero). Taking the slot's visits (checked in + walk-ins) above its capacity
    needs ``confirmed``; above ``walk_in_ceiling`` it is refused."""
    if not number or abs(number) > MAX_WALK_INS_AT_ONCE:
        raise RuleError.on("number", _("请填写 1 到 %(n)d 之间的人数", n=MAX_WALK_INS_AT_ONCE))

    def work() -> None:
        found = lock_rows(Slot, Slot.id == slot_id, Slot.lab_id == lab_id)
        if not found:
            raise RuleError.on("slot_id", _("未找到该场次"), code="not_found", status=404)
        slot = found[0]
        if slot.walk_ins + number < 0:
            raise RuleError.on("number", _("现场人数不能减到 0 以下"))
        visits = slot.checked_in_people + slot.walk_ins + number
        if number > 0 and visits > walk_in_ceiling(slot):
            raise RuleError.on("number", _(
                "该场次人数上限 %(cap)d 人，签到和现场来访合计不能超过 %(max)d 人，请核对人数",
                cap=slot.capacity, max=walk_in_ceiling(slot)))
        if number > 0 and visits > slot.capacity and not confirmed:
            raise WalkInsNeedConfirmation("confirm", _(
                "记录后该场次到场 %(n)d 人，超过人数上限 %(cap)d 人。确认无误请再次提交。",
                n=visits, cap=slot.capacity), {"number": _("请确认人数")})
        slot.walk_ins += number
        db.session.flush()
        if visits > slot.capacity:
            audit.record("slot.walk_ins", slot,
                         reason=f"{number:+d}, walk-ins {slot.walk_ins}, over capacity "
                                f"{slot.capacity}")

    write_transaction(work)
    return db.session.execute(
        sa.select(Slot).options(joinedload(Slot.event)).where(Slot.id == slot_id)
        .execution_options(populate_existing=True)).scalar_one()

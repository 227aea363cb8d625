"""The booking engine (SPEC §3): every rule a booking obeys, once, for the HTML views and the API.

Concurrency, in one paragraph. Every change to a slot's seats runs in one *write transaction*
(``core.db.write_transaction``): on SQLite it starts as ``BEGIN IMMEDIATE``, so the write lock is
held before anything is read; on PostgreSQL the slot row is locked with ``SELECT … FOR UPDATE``
(``core.db.lock_row``), which serialises bookings, the waitlist and cancellations of that slot.
Inside it the seats are taken by one guarded ``UPDATE slot SET seats_taken = seats_taken + :n
WHERE id = :id AND seats_taken + :n <= capacity`` whose row count says whether they fitted, so
a slot can never be oversold even if the lock were somehow missing. ``database is locked`` and
PostgreSQL's lock/serialisation failures are retried a few times, then raise ``core.db.Busy``
(answered as 503 with ``Retry-After``), never a 500. On PostgreSQL a booking first takes an
advisory lock on the phone number (then the slot row, always in that order), so the repeat
check, the per-day cap and the code draw happen before the slot's lock, which is held only for
the seat update and the insert. A request with an ``Idempotency-Key`` first takes an advisory lock
on its key (so always key, phone, slot: no deadlock), and its key is stored in the transaction
that stores its booking: a concurrent request with the same key waits, then finds the booking and
is answered with it; no window exists in which the booking is stored but its key is not.

Waitlist promotion skips a waitlisted party that does not fit into the freed seats and keeps
trying later (smaller) ones, in arrival order (booking id): seats are never left empty while
someone on the list would fit, at the price of a large party possibly waiting longer. A new
booking likewise takes free seats it fits into even when a larger party waits ahead of it, so
after every transaction no waitlisted booking fits into the seats left.
"""
from __future__ import annotations

import hashlib
import json
import re
import secrets
import unicodedata
from dataclasses import asdict, dataclass
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app, has_request_context, request
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.attributes import set_committed_value

from openday import clock, metrics
from openday.bookings import ballot
from openday.bookings.models import Booking, BookingStatus, CancelledBy, IdempotencyKey
from openday.core.db import advisory_lock, lock_row, write_transaction
from openday.core.errors import RuleError
from openday.core.i18n import _, locale_code
from openday.core.phone import SEPARATORS, normalise_phone
from openday.events.models import Event, EventStatus, Slot, SlotStatus
from openday.extensions import db
from openday.labs.models import Lab, LabStatus
from openday.signals import booking_confirmed, booking_entered, bookings_cancelled, bookings_promoted

__all__ = [
    "AlreadyBooked", "BadIdempotencyKey", "BookingClosed", "BookingRequest",
    "CapacityError", "DailyLimitReached", "IdempotencyKeyReused", "InvalidBooking",
    "NotCancellable", "SlotNotFound", "SlotUnavailable",
    "ACTIVE", "CODE_ALPHABET", "IDEMPOTENCY_TTL", "book", "cancel", "cancel_refusal",
    "cancel_slot_bookings", "change_capacity", "check_bookable", "checkin_url", "daily_limit",
    "find_by_code", "find_by_token", "find_by_tokens", "held_booking", "manage_url", "normalise_code",
    "promote_waitlisted", "queue_order", "receipt", "validate_request", "waitlist_position",
]

# No 0/O or 1/I: a code read aloud or copied from paper is never misread.
CODE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
CODE_LENGTH = 8
CODE_DRAWS = 5  # attempts at a free code; each taken one costs a rolled-back transaction
NAME_MAX = 40
REMARKS_MAX = 200
TOKEN_MAX = 64
# Active: holds the phone's place on the slot (and counts toward its daily cap).
ACTIVE = (BookingStatus.entered, BookingStatus.confirmed, BookingStatus.waitlisted)
IDEMPOTENCY_TTL = timedelta(hours=24)

_TOKEN = re.compile(r"[A-Za-z0-9_\-]{20,64}")
# Visible ASCII, as HTTP carries it. At least 16 characters: the key and the body are all that a
# replay asks for, and a stranger who knows someone's phone may guess a body, so a key must not be
# guessable ("1", "retry"); a UUID is what clients are told to send.
_IDEMPOTENCY_KEY = re.compile(r"[\x21-\x7e]{16,255}")


# ---- errors ------------------------------------------------------------------------------------
#
# Every refusal is a core RuleError (code, message, fields, status): the booking page puts its
# fields on the form, the app's handler answers it on the API. Each class here is one a caller
# tells apart; each takes (message, fields), its own text being the default message.

class InvalidBooking(RuleError):
    status = 422
    code = "invalid"

    def __init__(self, message: str | None = None, fields: dict[str, str] | None = None) -> None:
        super().__init__(None, message or _("请修正标出的问题后再提交。"), fields)


class SlotNotFound(RuleError):
    status = 404
    code = "not_found"

    def __init__(self, message: str | None = None, fields: dict[str, str] | None = None) -> None:
        super().__init__(None, message or _("该场次不存在。"), fields)


class SlotUnavailable(RuleError):
    """Cancelled by the lab, or not (or no longer) open to the public."""

    status = 409
    code = "slot_unavailable"

    def __init__(self, message: str | None = None, fields: dict[str, str] | None = None) -> None:
        super().__init__(None, message or _("该场次已取消或暂不开放预约。"), fields)


class BookingClosed(RuleError):
    status = 409
    code = "booking_closed"

    def __init__(self, message: str | None = None, fields: dict[str, str] | None = None) -> None:
        super().__init__(None, message or _("该场次已截止预约。"), fields)


class AlreadyBooked(RuleError):
    """The phone already holds an active booking on this slot. Says nothing about that booking:
    a phone number is not a secret (SPEC §3)."""

    status = 409
    code = "already_booked"

    def __init__(self, message: str | None = None, fields: dict[str, str] | None = None) -> None:
        message = message or _("该手机号已预约过此场次。如需查看或取消，请打开预约成功时保存的管理链接。")
        super().__init__(None, message, {"phone": message} if fields is None else fields)


class BadIdempotencyKey(RuleError):
    status = 400
    code = "bad_idempotency_key"

    def __init__(self, message: str | None = None, fields: dict[str, str] | None = None) -> None:
        message = message or _("Idempotency-Key 须为 16–255 个可见 ASCII 字符，建议使用 UUID。")
        super().__init__(None, message, {"Idempotency-Key": message} if fields is None else fields)


class IdempotencyKeyReused(RuleError):
    """The key came with another request in the last 24 hours (another slot or other details)."""

    status = 422
    code = "idempotency_key_reused"

    def __init__(self, message: str | None = None, fields: dict[str, str] | None = None) -> None:
        message = message or _("此 Idempotency-Key 已用于另一个预约请求；新的请求请使用新的键。")
        super().__init__(None, message, {"Idempotency-Key": message} if fields is None else fields)


class DailyLimitReached(RuleError):
    status = 409
    code = "daily_limit"

    def __init__(self, message: str | None = None, fields: dict[str, str] | None = None) -> None:
        message = message or _("同一手机号每天最多预约 %(limit)d 个场次。", limit=daily_limit())
        super().__init__(None, message, {"phone": message} if fields is None else fields)


class NotCancellable(RuleError):
    status = 409
    code = "not_cancellable"

    def __init__(self, message: str, fields: dict[str, str] | None = None) -> None:
        super().__init__(None, message, fields)


class CapacityError(RuleError):
    status = 422
    code = "invalid"

    def __init__(self, message: str, fields: dict[str, str] | None = None) -> None:
        super().__init__(None, message, {"capacity": message} if fields is None else fields)


# ---- input ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class BookingRequest:
    """What a citizen gives; raw, as typed. :func:`validate_request` checks it (once, here)."""

    name: Any
    phone: Any
    party_size: Any
    consent: Any
    remarks: Any = None  # optional (SPEC §3): "坐轮椅", "学校班级 30 人"


def _clean_name(raw: Any) -> str | None:
    if not isinstance(raw, str) or len(raw) > 200:
        return None
    name = unicodedata.normalize("NFC", raw).strip()
    if not 1 <= len(name) <= NAME_MAX:
        return None
    if any(unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co") for ch in name):
        return None
    return name


def _clean_remarks(raw: Any) -> str | None:
    """The remarks trimmed ("" when none were given); None when they are not acceptable text:
    one line of at most REMARKS_MAX characters, no control characters (a roster and its CSV
    show them as typed)."""
    if raw is None:
        return ""
    if not isinstance(raw, str) or len(raw) > 4 * REMARKS_MAX:
        return None
    remarks = unicodedata.normalize("NFC", raw).strip()
    if len(remarks) > REMARKS_MAX or any(
            unicodedata.category(ch) in ("Cc", "Cs", "Co") for ch in remarks):
        return None
    return remarks


def validate_request(req: BookingRequest, max_party: int) -> tuple[str, str, int, str]:
    """(name, phone in E.164, party_size, remarks) cleaned, or InvalidBooking naming every bad
    field."""
    fields: dict[str, str] = {}
    name = _clean_name(req.name)
    if name is None:
        fields["name"] = _("请填写姓名（1–%(max)d 个字）。", max=NAME_MAX)
    try:
        phone = normalise_phone(req.phone)
    except ValueError:
        phone = ""
        fields["phone"] = _("请填写有效的手机号：内地 11 位手机号，或以 + 开头的国际号码"
                            "（如 +852 9123 4567）。")
    remarks = _clean_remarks(req.remarks)
    if remarks is None:
        fields["remarks"] = _("备注最多 %(max)d 个字，且不能含控制字符。", max=REMARKS_MAX)
    party = req.party_size
    if isinstance(party, bool) or not isinstance(party, int) or not 1 <= party <= max_party:
        fields["party_size"] = _("人数须在 1 到 %(max)d 之间。", max=max_party)
        party = 0
    if req.consent is not True:
        fields["consent"] = _("请阅读并同意个人信息使用说明。")
    if fields:
        raise InvalidBooking(fields=fields)
    return name, phone, party, remarks


# ---- seats ---------------------------------------------------------------------------------------

def bump(slot: Slot, guard_seats: int | None = None, **deltas: int) -> bool:
    """Add ``deltas`` to the slot's counters in one UPDATE; with ``guard_seats`` only if that many
    more seats still fit (``seats_taken + n <= capacity``). Returns whether the row changed, and
    keeps the in-memory slot in step without marking it dirty."""
    deltas = {k: v for k, v in deltas.items() if v}
    if not deltas:
        return True
    statement = sa.update(Slot).where(Slot.id == slot.id)
    if guard_seats is not None:
        statement = statement.where(Slot.seats_taken + guard_seats <= Slot.capacity)
    statement = statement.values({getattr(Slot, k): getattr(Slot, k) + v for k, v in deltas.items()})
    result = db.session.execute(statement.execution_options(synchronize_session=False))
    if result.rowcount != 1:
        return False
    for key, value in deltas.items():
        set_committed_value(slot, key, getattr(slot, key) + value)
    return True


# ---- booking -------------------------------------------------------------------------------------

def _phone_holds(slot_id: int, phone: str, day: date) -> tuple[int | None, int]:
    """(the id of the phone's active booking on this slot, or None; how many active bookings
    it holds on ``day``): the repeat check and the daily cap in one query over the phone's
    bookings (index ``ix_booking_phone_day``)."""
    mine, held = db.session.execute(sa.select(
        sa.func.max(sa.case((Booking.slot_id == slot_id, Booking.id))),
        sa.func.count(sa.case((Booking.slot_day == day, Booking.id))),
    ).where(Booking.phone == phone, Booking.status.in_(ACTIVE))).one()
    return mine, held


def _slot_day(starts_at) -> date:
    return clock.local(starts_at).date()


def _new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def _refuse_unless_open(slot_status: str, listed: bool, closes_at, event_status: str | None = None,
                        lab_status: str | None = None) -> None:
    """The one rule for whether the public may book now: raise SlotUnavailable or
    BookingClosed. ``listed`` already says the event is published and the lab approved (kept in
    step by the events service); their own statuses, where known, only choose the message."""
    if slot_status == SlotStatus.cancelled or event_status == EventStatus.cancelled:
        raise SlotUnavailable(_("该场次已被主办机构取消。"))
    if not listed or event_status not in (None, EventStatus.published) or lab_status not in (
            None, LabStatus.approved):
        raise SlotUnavailable()
    if clock.now() >= closes_at:
        raise BookingClosed()


def check_bookable(slot: Slot) -> None:
    """Raise SlotUnavailable or BookingClosed unless the public may book ``slot`` now."""
    _refuse_unless_open(slot.status, slot.listed, slot.closes_at, slot.event.status,
                        slot.event.lab.status)


def daily_limit() -> int:
    """How many active bookings one phone may hold on one day (SPEC §3)."""
    return int(current_app.config["OPENDAY_PHONE_DAILY_LIMIT"])


def _refuse_over_cap(held: int) -> None:
    """DailyLimitReached when a phone already holds the day's limit of active bookings."""
    if held >= daily_limit():
        raise DailyLimitReached()


@dataclass(frozen=True)
class _Idempotency:
    """An Idempotency-Key as stored (its hash), with the hash of the request it came with."""

    key_hash: str
    request_hash: str

    @classmethod
    def of(cls, key: Any, slot_id: int, req: BookingRequest) -> _Idempotency:
        if not isinstance(key, str) or not _IDEMPOTENCY_KEY.fullmatch(key):
            raise BadIdempotencyKey()
        # The request as sent (before cleaning): a retry sends the same bytes' worth of values.
        values = asdict(req)
        if values["remarks"] is None:
            del values["remarks"]  # so a request without them hashes as it did before they existed
        sent = json.dumps({"slot_id": slot_id, **values}, sort_keys=True, ensure_ascii=False,
                          default=repr)
        return cls(_hash(key), _hash(sent))


def _replay(key: _Idempotency) -> Booking | None:
    """The booking an earlier request of the last 24 hours with this key made (its receipt as
    first sent), or None; IdempotencyKeyReused when that request was another one."""
    # A concurrent request with the same key waits here (PostgreSQL; SQLite's write lock does
    # the same) until the first one's booking and key are committed or rolled back, then reads them.
    advisory_lock("idempotency", key.key_hash)
    found = db.session.execute(
        sa.select(IdempotencyKey).where(IdempotencyKey.key_hash == key.key_hash,
                                        IdempotencyKey.created_at >= clock.now() - IDEMPOTENCY_TTL)
        .execution_options(populate_existing=True)).scalar_one_or_none()
    if found is None:
        return None
    if found.request_hash != key.request_hash:
        raise IdempotencyKeyReused()
    booking = db.session.get(Booking, found.booking_id)
    booking.receipt = json.loads(found.receipt)
    return booking


def _keep_key(key: _Idempotency, booking: Booking) -> None:
    """Store the key with the booking's receipt, in the booking's transaction. Expired keys go
    first (this one's among them, if it was used more than 24 hours ago): their rows would only
    ever be ignored."""
    db.session.execute(
        sa.delete(IdempotencyKey).where(IdempotencyKey.created_at < clock.now() - IDEMPOTENCY_TTL)
        .execution_options(synchronize_session=False))
    db.session.add(IdempotencyKey(key_hash=key.key_hash, request_hash=key.request_hash,
                                  booking_id=booking.id, created_at=booking.created_at,
                                  receipt=json.dumps(booking.receipt, ensure_ascii=False)))
    db.session.flush()


def receipt(booking: Booking) -> dict:
    """What the booker is told when a booking is made (the API's 201 body), secret token included."""
    return {"code": booking.code, "status": str(booking.status), "party_size": booking.party_size,
            "waitlist_position": waitlist_position(booking), "manage_token": booking.manage_token}


def _hash(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def _book_in_transaction(slot_id: int, req: BookingRequest, key: _Idempotency | None,
                         submission: str | None) -> Booking:
    if key is not None:
        replayed = _replay(key)
        if replayed is not None:
            return replayed
    # What the checks need, as plain columns of one statement (no ORM objects: this is the rush's
    # hot path); the slot itself is read again, locked, below.
    found = db.session.execute(
        sa.select(Slot.status, Slot.listed, Slot.max_party, Slot.starts_at, Slot.booking_closes_at,
                  Event.status, Lab.status)
        .join(Event, Event.id == Slot.event_id).join(Lab, Lab.id == Event.lab_id)
        .where(Slot.id == slot_id)).one_or_none()
    if found is None:
        raise SlotNotFound()
    slot_status, listed, max_party, starts_at, closes_at, event_status, lab_status = found
    name, phone, party, remarks = validate_request(req, max_party)
    # One phone books one slot at a time, so two slots of the same day cannot both pass the
    # daily cap. Taken before the slot lock, always in this order: no deadlock.
    advisory_lock("phone", phone)
    # Nothing else adds a booking for this phone now (its lock on PostgreSQL, the database's
    # write lock on SQLite), so the repeat check and the daily cap run before the slot is locked:
    # the slot's lock, which every booker of a popular slot queues for, is held only for the
    # seat update and the insert.
    day = _slot_day(starts_at)
    mine, held = _phone_holds(slot_id, phone, day)
    if mine is not None:
        raise AlreadyBooked()
    # refuse early from what was just read; checked again under the lock
    _refuse_unless_open(slot_status, listed, closes_at or starts_at, event_status, lab_status)
    _refuse_over_cap(held)

    slot = lock_row(Slot, slot_id)
    if slot is None:
        raise SlotNotFound()
    _refuse_unless_open(slot.status, slot.listed, slot.closes_at)
    if _slot_day(slot.starts_at) != day:  # the lab moved the slot to another day meanwhile
        day = _slot_day(slot.starts_at)
        _refuse_over_cap(_phone_holds(slot_id, phone, day)[1])
    if party > slot.max_party:
        message = _("人数须在 1 到 %(max)d 之间。", max=slot.max_party)
        raise InvalidBooking(fields={"party_size": message})

    now = clock.now()
    if slot.is_ballot and slot.drawn_at is None:
        # A ballot whose draw is due but has not run yet (no worker got to it): this booking
        # draws it first, under the same lock, and then books first come like any after it.
        ballot.draw_locked(slot, now)
    if slot.takes_entries(now):
        status = BookingStatus.entered  # no seats: the draw gives them (bookings.ballot)
        bump(slot, entered_count=1)
    elif party <= slot.capacity - slot.seats_taken and bump(
            slot, guard_seats=party, seats_taken=party, confirmed_count=1):
        status = BookingStatus.confirmed
    else:
        status = BookingStatus.waitlisted
        bump(slot, waitlisted_count=1, waitlisted_people=party)
    # The code is drawn without a look-up: the unique index refuses a taken one (1 in 32**8
    # against millions of bookings) and book() draws again.
    booking = Booking(slot_id=slot.id, code=_new_code(), manage_token=secrets.token_urlsafe(32),
                      name=name, phone=phone, party_size=party, remarks=remarks or None,
                      status=status, slot_day=day,
                      created_at=now, consented_at=now,
                      submission_hash=_hash(submission) if submission else None,
                      locale=locale_code() if has_request_context() else None)
    db.session.add(booking)
    db.session.flush()  # the unique indexes speak here (see book())
    if status == BookingStatus.confirmed:
        booking_confirmed.send(booking, slot=slot)  # its message, in this transaction
    elif status == BookingStatus.entered:
        booking_entered.send(booking, slot=slot)
    if status == BookingStatus.waitlisted:
        # Under the slot's lock nobody else joins this line, and ids only grow: last in it.
        booking.known_position = slot.waitlisted_count
    booking.receipt = receipt(booking)
    if key is not None:
        _keep_key(key, booking)
    return booking


def _with_columns(booking: Booking) -> tuple[Booking, dict]:
    """The booking's column values as the transaction leaves them (read before the commit),
    with its known place in line and its receipt."""
    values = {attr.key: getattr(booking, attr.key) for attr in sa.inspect(Booking).column_attrs}
    return booking, {"columns": values, "position": booking.known_position,
                     "receipt": booking.receipt}


def _keep_columns(booking: Booking, kept: dict) -> None:
    """Put back what the commit expired, as committed: answering with the booking then needs no
    SELECT (nothing else changes a booking between our commit and the response)."""
    for key, value in kept["columns"].items():
        set_committed_value(booking, key, value)
    booking.known_position = kept["position"]
    booking.receipt = kept["receipt"]


@metrics.count_bookings(RuleError)
def book(slot_id: int, request: BookingRequest, idempotency_key: str | None = None,
         submission: str | None = None) -> Booking:
    """Confirm seats if they fit, else waitlist. A phone that already holds this slot raises
    AlreadyBooked, which reveals nothing of the booking it found, and takes no seats.

    With ``idempotency_key``, a request that repeats one of the last 24 hours with the same key
    gets that request's booking back, with ``receipt`` as it was first given; the same key with
    another request raises IdempotencyKeyReused, a malformed one BadIdempotencyKey. The returned
    booking's ``receipt`` is the answer to give the booker (see :func:`receipt`).

    ``submission`` is the booking form's value for this submission (see :func:`held_booking`);
    only its hash is kept, on the booking, at no cost to the rush (no extra statement).

    Raises InvalidBooking (field errors), SlotNotFound, SlotUnavailable, BookingClosed,
    AlreadyBooked, DailyLimitReached or Busy. Commits.
    """
    try:
        slot_id = int(slot_id)
    except (TypeError, ValueError):
        raise SlotNotFound() from None
    key = None if idempotency_key is None else _Idempotency.of(idempotency_key, slot_id, request)
    for attempt in range(CODE_DRAWS):
        try:
            booking, values = write_transaction(lambda: _with_columns(
                _book_in_transaction(slot_id, request, key, submission)))
            _keep_columns(booking, values)
            return booking
        except IntegrityError:
            # Rolled back, seats included. Another request won the race to a unique index: the
            # same phone's (partial, on slot and phone), the same key's, or, astronomically
            # rarely, the code's. The next attempt's checks answer as for any repeat: with
            # AlreadyBooked, with the winner's booking for the same key, or with a new code.
            if attempt == CODE_DRAWS - 1:
                raise
    raise AssertionError("unreachable")


def held_booking(slot_id: int, phone: Any, tokens: list[str],
                 submission: str | None = None) -> Booking | None:
    """After AlreadyBooked: the phone's active booking on the slot if the caller holds it, that
    is, its manage token is one of ``tokens`` or it was made by this same ``submission`` (the
    first of two taps); else None. Showing it then reveals nothing the caller did not have."""
    try:
        phone = normalise_phone(phone)
    except ValueError:
        return None
    tokens = [t for t in tokens if isinstance(t, str) and _TOKEN.fullmatch(t)]
    held = [Booking.manage_token.in_(tokens)] if tokens else []
    if submission:
        held.append(Booking.submission_hash == _hash(submission))
    if not held:
        return None
    return db.session.execute(
        sa.select(Booking).where(Booking.slot_id == slot_id, Booking.phone == phone,
                                 Booking.status.in_(ACTIVE), sa.or_(*held))).scalars().first()


# ---- waitlist, cancellation, capacity ------------------------------------------------------------

def queue_order() -> tuple:
    """The order of a slot's waitlist: a drawn slot's entries in drawn order first (their ids are
    all below those of bookings made after the draw), then bookings in arrival order (id)."""
    return (Booking.draw_rank.is_(None), Booking.draw_rank, Booking.id)


def promote_waitlisted(slot: Slot) -> list[Booking]:
    """Confirm waitlisted bookings of ``slot`` that now fit, in line order (``queue_order``), skipping any party
    too large for the seats left (see the module docstring). Runs inside the caller's write
    transaction, with ``slot`` freshly read under its lock; a cancelled slot promotes nobody."""
    if slot.status != SlotStatus.open:
        return []
    seats_left = slot.capacity - slot.seats_taken
    if seats_left <= 0 or slot.waitlisted_count <= 0:
        return []
    waiting = db.session.execute(
        sa.select(Booking).where(Booking.slot_id == slot.id,
                                 Booking.status == BookingStatus.waitlisted)
        .order_by(*queue_order())).scalars().all()
    promoted: list[Booking] = []
    for booking in waiting:
        if booking.party_size <= seats_left:
            booking.status = BookingStatus.confirmed
            seats_left -= booking.party_size
            promoted.append(booking)
            if seats_left == 0:
                break
    if promoted:
        people = sum(b.party_size for b in promoted)
        db.session.flush()
        if not bump(slot, guard_seats=people, seats_taken=people, confirmed_count=len(promoted),
                     waitlisted_count=-len(promoted), waitlisted_people=-people):
            raise RuntimeError(f"slot {slot.id}: promotion would overfill it")  # lock not held
        bookings_promoted.send(slot, bookings=promoted)
    return promoted


def _release(booking: Booking, slot: Slot, by: str) -> None:
    """Cancel one active booking and give its seats (or waitlist place) back; no promotion."""
    if booking.status == BookingStatus.confirmed:
        bump(slot, seats_taken=-booking.party_size, confirmed_count=-1)
    elif booking.status == BookingStatus.waitlisted:
        bump(slot, waitlisted_count=-1, waitlisted_people=-booking.party_size)
    elif booking.status == BookingStatus.entered:
        bump(slot, entered_count=-1)
    booking.status = BookingStatus.cancelled
    booking.cancelled_at = clock.now()
    booking.cancelled_by = str(by)


def cancel_refusal(booking: Booking, slot: Slot,
                   by: str = CancelledBy.citizen) -> NotCancellable | None:
    """Why ``by`` may not cancel this active booking now, or None if they may: a citizen cannot
    once it is checked in or its slot has started (the lab and the event always can)."""
    if by != CancelledBy.citizen:
        return None
    if booking.checked_in_at is not None:
        return NotCancellable(_("已签到的预约不能取消。"))
    if clock.now() >= slot.starts_at:
        return NotCancellable(_("活动已开始，不能再取消预约。"))
    return None


def _cancel_in_transaction(booking_id: int, by: str) -> tuple[Booking, list[Booking]]:
    booking = db.session.get(Booking, booking_id)
    if booking is None:
        raise NotCancellable(_("预约不存在。"))
    slot = lock_row(Slot, booking.slot_id)
    db.session.refresh(booking)  # read again under the lock
    if booking.status == BookingStatus.cancelled:
        return booking, []
    refusal = cancel_refusal(booking, slot, by)
    if refusal is not None:
        raise refusal
    _release(booking, slot, by)
    db.session.flush()
    return booking, promote_waitlisted(slot)


def cancel(booking: Booking, by: str = CancelledBy.citizen) -> list[Booking]:
    """Cancel an active booking and, in the same transaction, promote the waitlisted bookings
    that now fit. Cancelling a cancelled booking does nothing. Citizens cannot cancel once the
    slot has started or after check-in (NotCancellable). Returns the promoted bookings. Commits."""
    booking_id = booking.id
    _booking, promoted = write_transaction(lambda: _cancel_in_transaction(booking_id, str(by)))
    return promoted


def cancel_slot_bookings(slot: Slot, by: str = CancelledBy.lab) -> int:
    """Cancel every active booking of a slot the lab is cancelling (``by`` lab, or event when the
    whole event goes), keeping the counters exact; no promotion. For use inside the caller's
    write transaction (``core.db.write_transaction``), with the slot read under its lock.
    Returns how many bookings were cancelled."""
    active = db.session.execute(
        sa.select(Booking).where(Booking.slot_id == slot.id, Booking.status.in_(ACTIVE))
        .order_by(Booking.id)).scalars().all()
    for booking in active:
        _release(booking, slot, by)
    db.session.flush()
    if active:
        bookings_cancelled.send(slot, bookings=active, by=str(by))
    return len(active)


def _change_capacity_in_transaction(slot_id: int, capacity: Any) -> list[Booking]:
    slot = lock_row(Slot, slot_id)
    if slot is None:
        raise SlotNotFound()
    if isinstance(capacity, bool) or not isinstance(capacity, int) or capacity < 1:
        raise CapacityError(_("名额须为正整数。"))
    if capacity > 100_000:
        raise CapacityError(_("名额过大。"))
    if capacity < slot.seats_taken:
        raise CapacityError(_("名额不能少于已确认的 %(n)d 人。", n=slot.seats_taken))
    slot.capacity = capacity
    if slot.max_party > capacity:
        slot.max_party = capacity  # a party can never be larger than the room
    db.session.flush()
    return promote_waitlisted(slot)


def change_capacity(slot: Slot, capacity: int) -> list[Booking]:
    """Set a slot's capacity: never below the seats taken (CapacityError); growth promotes the
    waitlist in the same transaction. Returns the promoted bookings. Commits."""
    slot_id = slot.id
    return write_transaction(lambda: _change_capacity_in_transaction(slot_id, capacity))


# ---- reading -------------------------------------------------------------------------------------

def waitlist_position(booking: Booking) -> int | None:
    """1 for the first in line; None unless waitlisted."""
    if booking.status != BookingStatus.waitlisted:
        return None
    if booking.known_position is not None:
        return booking.known_position
    if booking.draw_rank is not None:  # drawn: in drawn order, ahead of every later booking
        ahead = sa.and_(Booking.draw_rank.is_not(None), Booking.draw_rank <= booking.draw_rank)
    else:
        ahead = sa.or_(Booking.draw_rank.is_not(None), Booking.id <= booking.id)
    return db.session.execute(
        sa.select(sa.func.count(Booking.id)).where(
            Booking.slot_id == booking.slot_id, Booking.status == BookingStatus.waitlisted,
            ahead)).scalar_one()


def find_by_token(token: Any) -> Booking | None:
    if not isinstance(token, str) or not _TOKEN.fullmatch(token):
        return None
    return db.session.execute(
        sa.select(Booking).where(Booking.manage_token == token)).scalar_one_or_none()


def find_by_tokens(tokens: list[str]) -> list[Booking]:
    """The bookings of these manage tokens (a browser's own, from its session), newest first,
    each with its slot, event and lab loaded; tokens that name nothing are skipped."""
    tokens = [t for t in tokens if isinstance(t, str) and _TOKEN.fullmatch(t)]
    if not tokens:
        return []
    return list(db.session.execute(
        sa.select(Booking).where(Booking.manage_token.in_(tokens))
        .options(joinedload(Booking.slot).joinedload(Slot.event).joinedload(Event.lab))
        .order_by(Booking.id.desc())).scalars())


def normalise_code(raw: Any) -> str | None:
    """What a person or scanner typed, as a code: case, spaces and dashes do not matter."""
    if not isinstance(raw, str) or len(raw) > 40:
        return None
    code = SEPARATORS.sub("", unicodedata.normalize("NFKC", raw)).upper()
    if len(code) != CODE_LENGTH or any(ch not in CODE_ALPHABET for ch in code):
        return None
    return code


def find_by_code(code: Any) -> Booking | None:
    code = normalise_code(code)
    if code is None:
        return None
    return db.session.execute(sa.select(Booking).where(Booking.code == code)).scalar_one_or_none()


def _public_root() -> str:
    root = current_app.config.get("OPENDAY_PUBLIC_URL") or ""
    if not root and has_request_context():
        root = request.url_root
    return (root or "http://localhost/").rstrip("/")


def checkin_url(booking: Booking) -> str:
    """Absolute URL of the lab's check-in page for this booking (what the QR code encodes)."""
    return f"{_public_root()}/lab/checkin?code={booking.code}"


def public_url(path: str) -> str:
    """Absolute URL of ``path`` under the public address (OPENDAY_PUBLIC_URL, else the request's)."""
    return f"{_public_root()}{path}"


def manage_url(booking: Booking) -> str:
    """Absolute URL of the citizen's manage page (secret: it carries the token)."""
    return f"{_public_root()}/bookings/{booking.manage_token}"

"""Ballots (SPEC §12): slots given by a public draw instead of first come, first served.

Until its ``draw_at`` a ballot slot takes *entries*: bookings with status ``entered`` that take no
seats (one per phone, counted by the daily cap, refused to a phone that holds one, exactly as
bookings are: ``service.book`` makes both). At ``draw_at`` the draw runs once, under the slot's
lock (``SELECT … FOR UPDATE`` on PostgreSQL, ``BEGIN IMMEDIATE`` on SQLite) and guarded by
``UPDATE slot … WHERE drawn_at IS NULL``, so two workers, or a worker and a late booker, never
draw twice and an entry either made it into the draw or was refused as an entry and booked first
come:

1. ``entries_sha256`` = SHA-256 (hex) of the entry codes, sorted, joined by line feeds;
2. ``seed`` = 32 bytes from the operating system's CSPRNG (``secrets``), as 64 hex digits, fixed
   at that moment (after entries closed: nobody could choose a code against it);
3. the drawn order = the codes sorted by SHA-256 (hex) of ``seed + ":" + entries_sha256 + ":" +
   code``, ascending (:data:`RULE`);
4. in that order each entry whose party fits the seats still free is confirmed; one that does not
   fit is waitlisted, and later, smaller parties may still be confirmed (the rule of the waitlist:
   seats are never left empty while someone in line would fit); the waitlist is served in drawn
   order, then first-come bookings in arrival order.

The seed, the hash and the order are published (``GET /api/v1/slots/<id>``, the slot's page);
:func:`recompute_order` is all anyone needs to check them (``openday verify-draw``). After the
draw the slot books first come, first served. If no worker ran the draw by the time a booking
arrives after ``draw_at``, that booking runs it first, in its own transaction.
"""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm.attributes import set_committed_value

from openday import clock
from openday.bookings import notify, service as bookings
from openday.bookings.models import Booking, BookingStatus
from openday.core.db import lock_row, write_transaction
from openday.events.models import Slot, SlotMode, SlotStatus
from openday.extensions import db

RULE = ("entries_sha256 = SHA-256 of the entry codes sorted and joined by line feeds (\\n); "
        "order = the codes sorted by SHA-256(seed + \":\" + entries_sha256 + \":\" + code) "
        "ascending (all as lower-case hex and UTF-8 text); in that order each entry whose party "
        "fits the seats still free is confirmed, the others are waitlisted in that order.")


def entries_hash(codes) -> str:
    """SHA-256 (hex) of the sorted codes joined by line feeds."""
    return hashlib.sha256("\n".join(sorted(codes)).encode()).hexdigest()


def draw_key(seed: str, digest: str, code: str) -> str:
    return hashlib.sha256(f"{seed}:{digest}:{code}".encode()).hexdigest()


def recompute_order(seed: str, digest: str, codes) -> list[str]:
    """The drawn order of ``codes`` under the published rule (:data:`RULE`)."""
    return sorted(codes, key=lambda code: (draw_key(seed, digest, code), code))


@dataclass(frozen=True)
class Draw:
    """A slot's draw as published."""

    slot_id: int
    drawn_at: datetime
    seed: str
    entries_sha256: str
    order: list[str]
    winners: int

    def as_json(self) -> dict:
        return {"seed": self.seed, "entries_sha256": self.entries_sha256, "order": self.order,
                "drawn_at": clock.local(self.drawn_at).isoformat(), "winners": self.winners,
                "rule": RULE}


def published_draw(slot_id: int) -> Draw | None:
    """The draw of a slot, None before it (or for a first-come slot). Two queries."""
    row = db.session.execute(
        sa.select(Slot.drawn_at, Slot.draw_seed, Slot.entries_sha256, Slot.draw_winners)
        .where(Slot.id == slot_id, Slot.mode == SlotMode.ballot,
               Slot.drawn_at.is_not(None))).one_or_none()
    if row is None:
        return None
    order = list(db.session.execute(
        sa.select(Booking.code).where(Booking.slot_id == slot_id, Booking.draw_rank.is_not(None))
        .order_by(Booking.draw_rank)).scalars())
    return Draw(slot_id, row.drawn_at, row.draw_seed, row.entries_sha256, order, row.draw_winners)


def draw_locked(slot: Slot, now: datetime) -> bool:
    """Run the draw of ``slot`` (read under its lock, in the caller's write transaction) if it is
    due and has not run. Returns whether this call drew."""
    if (slot.mode != SlotMode.ballot or slot.drawn_at is not None or now < slot.draw_at
            or slot.status != SlotStatus.open):  # a cancelled slot's entries went with it
        return False
    entries = list(db.session.execute(
        sa.select(Booking).where(Booking.slot_id == slot.id,
                                 Booking.status == BookingStatus.entered)
        .order_by(Booking.id)).scalars())
    codes = [entry.code for entry in entries]
    digest = entries_hash(codes)
    seed = secrets.token_hex(32)
    # The guard that makes the draw happen once even if a caller's lock were missing.
    claimed = db.session.execute(
        sa.update(Slot).where(Slot.id == slot.id, Slot.drawn_at.is_(None))
        .values(drawn_at=now, draw_seed=seed, entries_sha256=digest, draw_entries=len(entries))
        .execution_options(synchronize_session=False)).rowcount == 1
    if not claimed:
        return False
    by_code = {entry.code: entry for entry in entries}
    left = slot.capacity - slot.seats_taken
    winners, waiting, waiting_people, seats = 0, 0, 0, 0
    for rank, code in enumerate(recompute_order(seed, digest, codes), start=1):
        entry = by_code[code]
        entry.draw_rank = rank
        if entry.party_size <= left:
            entry.status = BookingStatus.confirmed
            left -= entry.party_size
            seats += entry.party_size
            winners += 1
        else:
            entry.status = BookingStatus.waitlisted
            waiting += 1
            waiting_people += entry.party_size
    db.session.flush()
    if not bookings.bump(slot, guard_seats=seats, seats_taken=seats, confirmed_count=winners,
                         waitlisted_count=waiting, waitlisted_people=waiting_people,
                         entered_count=-len(entries), draw_winners=winners):
        raise RuntimeError(f"slot {slot.id}: the draw would overfill it")  # lock not held
    for key, value in (("drawn_at", now), ("draw_seed", seed), ("entries_sha256", digest),
                       ("draw_entries", len(entries))):
        set_committed_value(slot, key, value)
    for entry in entries:
        notify.tell_drawn(entry)
    return True


def draw_slot(slot_id: int, now: datetime | None = None) -> bool:
    """Draw one slot if it is due. Commits. Returns whether this call drew it."""
    now = now or clock.now()

    def work() -> bool:
        slot = lock_row(Slot, slot_id)
        return slot is not None and draw_locked(slot, now)

    return write_transaction(work)


def due_slots(now: datetime) -> list[int]:
    """Ballot slots whose draw time has come and which have not been drawn."""
    return list(db.session.execute(
        sa.select(Slot.id).where(Slot.mode == SlotMode.ballot, Slot.drawn_at.is_(None),
                                 Slot.status == SlotStatus.open, Slot.draw_at <= now).order_by(Slot.draw_at, Slot.id)).scalars())


def draw_due_ballots(now: datetime | None = None) -> list[int]:
    """Draw every ballot that is due, each in its own transaction (the worker's periodic job).
    Returns the ids of the slots this call drew (another worker may have drawn others)."""
    now = now or clock.now()
    return [slot_id for slot_id in due_slots(now) if draw_slot(slot_id, now)]


@dataclass(frozen=True)
class Verification:
    slot_id: int
    ok: bool
    problems: list[str]


def verify_draw(slot_id: int) -> Verification:
    """Re-compute a past draw from what is published (seed, hash, the codes in the order) and
    compare it with the order and outcomes stored."""
    draw = published_draw(slot_id)
    if draw is None:
        return Verification(slot_id, False, ["no draw has run for this slot"])
    problems = []
    if entries_hash(draw.order) != draw.entries_sha256:
        problems.append("entries_sha256 is not the SHA-256 of the sorted entry codes")
    if recompute_order(draw.seed, draw.entries_sha256, draw.order) != draw.order:
        problems.append("the stored order is not the order the rule gives")
    return Verification(slot_id, not problems, problems)

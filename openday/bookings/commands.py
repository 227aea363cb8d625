"""Booking data commands: `flask --app wsgi openday check` (SPEC §10), and the ballots' `draw`
and `verify-draw` (SPEC §12).

``check`` proves the booking invariants over the whole database with a handful of set-wise
queries (GROUP BY and anti-joins, never one query per slot), so it runs in seconds on millions
of bookings and names every row that is wrong:

- each slot's counters equal what its bookings add up to: ``seats_taken`` = party sizes of its
  confirmed bookings, ``confirmed_count``, ``waitlisted_count``, ``waitlisted_people``,
  ``entered_count`` (ballot entries not drawn yet) and ``checked_in_people`` = the people who
  arrived in its checked-in bookings;
- no slot holds more confirmed seats than its capacity;
- no confirmed booking overtook a waitlisted one of the same or a smaller party on its slot
  (the waitlist is served in arrival order, booking ids being the arrival order, after a drawn
  ballot's entries in drawn order);
- a cancelled slot or event has no active bookings left;
- each slot's copies of its event (campaign, lab, city, kind, listed) are in step (listed: event
  published, slot open, lab approved).
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field

import click
import sqlalchemy as sa
from sqlalchemy.orm import aliased

from openday.bookings import ballot
from openday.bookings.models import Booking, BookingStatus
from openday.bookings.purge import PurgeRefused, purge_personal_data
from openday.cli import openday_cli
from openday.events.models import (Event, EventStatus, Slot, SlotStatus, listed_condition,
                                   listed_rule)
from openday.extensions import db
from openday.labs.models import Lab

COUNTERS = ("seats_taken", "confirmed_count", "waitlisted_count", "waitlisted_people",
            "checked_in_people", "entered_count")


@dataclass
class Problem:
    rule: str
    slot_id: int | None
    detail: str

    def __str__(self) -> str:
        where = f"slot {self.slot_id}: " if self.slot_id is not None else ""
        return f"{where}{self.rule}: {self.detail}"


@dataclass
class Report:
    slots: int = 0
    bookings: int = 0
    problems: list[Problem] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.problems


def _expected_counters():
    """Per slot, what its bookings add up to: one GROUP BY over the booking table."""
    confirmed = Booking.status == BookingStatus.confirmed
    waitlisted = Booking.status == BookingStatus.waitlisted

    def total(condition, value):
        return sa.func.coalesce(sa.func.sum(sa.case((condition, value), else_=0)), 0)

    return (sa.select(
        Booking.slot_id.label("slot_id"),
        total(confirmed, Booking.party_size).label("seats_taken"),
        total(confirmed, 1).label("confirmed_count"),
        total(waitlisted, 1).label("waitlisted_count"),
        total(waitlisted, Booking.party_size).label("waitlisted_people"),
        total(Booking.checked_in_at.is_not(None),
              sa.func.coalesce(Booking.arrived, Booking.party_size)).label("checked_in_people"),
        total(Booking.status == BookingStatus.entered, 1).label("entered_count"),
    ).group_by(Booking.slot_id).subquery("expected"))


def counter_problems(limit: int) -> tuple[int, list[Problem]]:
    expected = _expected_counters()
    found = [getattr(Slot, name) for name in COUNTERS]
    wanted = [sa.func.coalesce(getattr(expected.c, name), 0) for name in COUNTERS]
    mismatch = sa.or_(*(f != w for f, w in zip(found, wanted)), Slot.seats_taken > Slot.capacity,
                      wanted[0] > Slot.capacity)
    query = (sa.select(Slot.id, Slot.capacity, *found, *wanted)
             .outerjoin(expected, expected.c.slot_id == Slot.id).where(mismatch))
    rows = db.session.execute(query.order_by(Slot.id)).all()  # only the wrong slots come back
    problems: list[Problem] = []
    for row in rows[:limit]:
        slot_id, capacity, values = row[0], row[1], row[2:]
        n = len(COUNTERS)
        for name, got, want in zip(COUNTERS, values[:n], values[n:]):
            if got != want:
                problems.append(Problem("counter", slot_id, f"{name} is {got}, bookings say {want}"))
        if max(values[0], values[n]) > capacity:
            problems.append(Problem("oversold", slot_id, f"{max(values[0], values[n])} confirmed seats "
                                    f"exceed capacity {capacity}"))
    return len(rows), problems


def queue_problems(limit: int) -> tuple[int, list[Problem]]:
    """A confirmed booking that came after a waitlisted one no smaller than it jumped the queue:
    it could only have fitted if the waitlisted one fitted first. The queue is a drawn slot's
    entries in drawn order, then bookings in arrival order (``service.queue_order``)."""
    waiting = aliased(Booking)
    later = aliased(Booking)
    behind = sa.or_(
        sa.and_(waiting.draw_rank.is_not(None),
                sa.or_(later.draw_rank.is_(None), later.draw_rank > waiting.draw_rank)),
        sa.and_(waiting.draw_rank.is_(None), later.draw_rank.is_(None), later.id > waiting.id))
    query = (sa.select(waiting.slot_id, waiting.id, sa.func.min(later.id))
             .join(later, sa.and_(later.slot_id == waiting.slot_id,
                                  later.status == BookingStatus.confirmed,
                                  behind,
                                  later.party_size >= waiting.party_size))
             .where(waiting.status == BookingStatus.waitlisted)
             .group_by(waiting.slot_id, waiting.id))
    rows = db.session.execute(query.order_by(waiting.slot_id, waiting.id)).all()
    problems = [Problem("waitlist order", slot_id,
                        f"booking {confirmed_id} was confirmed after booking {waiting_id} "
                        f"(no larger party) was waitlisted")
                for slot_id, waiting_id, confirmed_id in rows[:limit]]
    return len(rows), problems


def cancellation_problems(limit: int) -> tuple[int, list[Problem]]:
    query = (sa.select(Slot.id, sa.func.count(Booking.id))
             .join(Booking, Booking.slot_id == Slot.id).join(Event, Event.id == Slot.event_id)
             .where(sa.or_(Slot.status == SlotStatus.cancelled, Event.status == EventStatus.cancelled),
                    Booking.status != BookingStatus.cancelled)
             .group_by(Slot.id))
    rows = db.session.execute(query.order_by(Slot.id)).all()
    problems = [Problem("cancelled", slot_id, f"{n} active booking(s) on a cancelled slot or event")
                for slot_id, n in rows[:limit]]
    return len(rows), problems


def copy_problems(limit: int) -> tuple[int, list[Problem]]:
    listed = listed_condition()
    pairs = ((Slot.campaign_id, Event.campaign_id, "campaign_id"), (Slot.lab_id, Event.lab_id, "lab_id"),
             (Slot.city_adcode, Event.city_adcode, "city_adcode"), (Slot.kind, Event.kind, "kind"))
    listed_wrong = sa.or_(sa.and_(Slot.listed, sa.not_(listed)), sa.and_(sa.not_(Slot.listed), listed))
    query = (sa.select(Slot.id, *(s for s, _e, _n in pairs), *(e for _s, e, _n in pairs),
                       Slot.listed, Event.status, Slot.status, Lab.status)
             .join(Event, Event.id == Slot.event_id).join(Lab, Lab.id == Event.lab_id)
             .where(sa.or_(*(s != e for s, e, _n in pairs), listed_wrong)))
    rows = db.session.execute(query.order_by(Slot.id)).all()
    problems: list[Problem] = []
    for row in rows[:limit]:
        slot_id, rest = row[0], row[1:]
        n = len(pairs)
        for (_s, _e, name), got, want in zip(pairs, rest[:n], rest[n:2 * n]):
            if got != want:
                problems.append(Problem("event copy", slot_id, f"{name} is {got!r}, its event's is {want!r}"))
        is_listed, event_status, slot_status, lab_status = rest[2 * n:]
        should = listed_rule(event_status, slot_status, lab_status)
        if bool(is_listed) != should:
            problems.append(Problem("event copy", slot_id,
                                    f"listed is {bool(is_listed)}, event {event_status}, slot "
                                    f"{slot_status} and lab {lab_status} say {should}"))
    return len(rows), problems


def full_problems(slot_ids: list[int]) -> list[Problem]:
    rows = {slot_id: (seats, capacity) for slot_id, seats, capacity in db.session.execute(
        sa.select(Slot.id, Slot.seats_taken, Slot.capacity).where(Slot.id.in_(slot_ids)))}
    problems = []
    for slot_id in slot_ids:
        if slot_id not in rows:
            problems.append(Problem("expected full", slot_id, "no such slot"))
        elif rows[slot_id][0] != rows[slot_id][1]:
            problems.append(Problem("expected full", slot_id,
                                    f"seats_taken {rows[slot_id][0]}, capacity {rows[slot_id][1]}"))
    return problems


def check_invariants(limit: int = 50, full: list[int] | tuple[int, ...] = ()) -> Report:
    """Every invariant over the whole database; at most ``limit`` problems listed per rule."""
    started = time.perf_counter()
    report = Report(
        slots=db.session.execute(sa.select(sa.func.count(Slot.id))).scalar_one(),
        bookings=db.session.execute(sa.select(sa.func.count(Booking.id))).scalar_one())
    for finder in (counter_problems, queue_problems, cancellation_problems, copy_problems):
        total, problems = finder(limit)
        report.problems += problems
        if total > limit:
            report.problems.append(Problem(f"{problems[0].rule} (more)", None,
                                           f"{total - limit} more slot(s) or booking(s) not listed"))
    if full:
        report.problems += full_problems(list(full))
    report.seconds = time.perf_counter() - started
    db.session.rollback()  # read-only: end the transaction, release SQLite's snapshot
    return report


def _slot_ids(_ctx, _param, value: str | None) -> list[int]:
    if not value:
        return []
    try:
        return [int(part) for part in value.replace(" ", "").split(",") if part]
    except ValueError:
        raise click.BadParameter("a comma-separated list of slot ids, e.g. 12,13,14") from None


@openday_cli.command("check")
@click.option("--limit", default=50, show_default=True, help="Problems listed per rule at most.")
@click.option("--full", "full", callback=_slot_ids,
              help="Comma-separated slot ids that must also be exactly full (after a rush).")
def check_command(limit: int, full: list[int]) -> None:
    """Verify the booking invariants; exit 1 naming the rows when one fails."""
    report = check_invariants(limit=limit, full=full)
    scope = f"{report.slots} slots, {report.bookings} bookings in {report.seconds:.2f} s"
    if report.ok:
        extra = f"; {len(full)} slot(s) exactly full" if full else ""
        click.echo(f"OK: {scope}: counters match their bookings, no slot over capacity, "
                   f"waitlists in arrival order, cancelled slots empty, event copies in step{extra}.")
        return
    for problem in report.problems:
        click.echo(str(problem), err=True)
    click.echo(f"FAILED: {len(report.problems)} problem(s) found checking {scope}.", err=True)
    raise SystemExit(1)


# ---- PIPL purge (SPEC §7): `flask --app wsgi openday purge-personal-data --campaign <year>` --------

@openday_cli.command("purge-personal-data")
@click.option("--campaign", "year", type=int, required=True, help="The campaign's year, e.g. 2026.")
@click.option("--force", is_flag=True, help="Purge now, even before the retention period has passed.")
def purge_personal_data_command(year: int, force: bool) -> None:
    """Delete citizens' names and phone numbers from a campaign's bookings, keeping all counts."""
    try:
        result = purge_personal_data(year, force=force)
    except LookupError as exc:
        raise click.ClickException(str(exc)) from None
    except PurgeRefused as exc:
        raise click.ClickException(
            f"Not purged: {exc}. Run it again from that day, or pass --force to purge now.") from None
    click.echo(f"Purged names and phone numbers from {result.bookings} booking(s) of the "
               f"{result.year} campaign (ended {result.ends_on}); counts and totals are kept.")


# ---- ballots (SPEC §12): `openday draw`, `openday verify-draw SLOT_ID` ---------------------------

@openday_cli.command("draw")
@click.option("--slot", "slot_id", type=int, default=None,
              help="Draw this slot only (if its draw time has come).")
def draw_command(slot_id: int | None) -> None:
    """Run the ballot draws that are due (the worker runs this every minute)."""
    if slot_id is not None:
        drawn = [slot_id] if ballot.draw_slot(slot_id) else []
    else:
        drawn = ballot.draw_due_ballots()
    if slot_id is not None and not drawn:
        click.echo(f"slot {slot_id}: nothing to draw (not a ballot, drawn already, or not due).")
    for drawn_id in drawn:
        draw = ballot.published_draw(drawn_id)
        click.echo(f"slot {drawn_id}: drew {len(draw.order)} entries, {draw.winners} confirmed; "
                   f"seed {draw.seed}, entries_sha256 {draw.entries_sha256}")
    if slot_id is None:
        click.echo(f"{len(drawn)} draw(s) run.")


@openday_cli.command("verify-draw")
@click.argument("slot_id", type=int)
def verify_draw_command(slot_id: int) -> None:
    """Re-compute a past draw from its published seed, hash and entry codes; exit 1 if it
    differs from the order stored."""
    result = ballot.verify_draw(slot_id)
    draw = ballot.published_draw(slot_id)
    if not result.ok:
        for problem in result.problems:
            click.echo(f"slot {slot_id}: {problem}", err=True)
        raise SystemExit(1)
    click.echo(f"OK: slot {slot_id}: {len(draw.order)} entries; the order follows from seed "
               f"{draw.seed} and entries_sha256 {draw.entries_sha256}.")
    click.echo(f"Rule: {ballot.RULE}")

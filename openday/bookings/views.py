"""Citizens' booking pages: book a slot, manage (confirmation) page, .ics, cancel."""
from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

import segno
import sqlalchemy as sa
from flask import abort, flash, make_response, redirect, render_template, request, session, url_for
from flask_wtf.csrf import generate_csrf
from flask_babel import gettext as _
from icalendar import Alarm, Calendar, Event as CalendarEvent
from markupsafe import Markup, escape
from sqlalchemy.orm import joinedload

from openday import clock
from openday.bookings import ballot, service
from openday.bookings.blueprint import bp
from openday.bookings.forms import BookingForm, CancelForm
from openday.bookings.models import Booking, BookingStatus, CancelledBy
from openday.bookings.ratelimit import booking_limits, token_guess_limit
from openday.core.db import Busy
from openday.core.errors import RuleError
from openday.core.forms import put_on_form
from openday.core.phone import mask_phone
from openday.events.models import Event, Slot, SlotRules, public_rule
from openday.events.service import PageLab
from openday.events.search import venue
from openday.extensions import db
from openday.labs.models import Lab
from openday.messages import service as messages
from openday.messages.forms import RemindersForm
from openday.web import remembered_macro

# The browser's own bookings (SPEC §3) live in its session cookie, which is signed and HttpOnly:
# their manage tokens, newest last, so a repeat from this browser is taken back to its booking.
SESSION_BOOKINGS = "bookings"
SESSION_BOOKINGS_MAX = 20
# One random value per submission, kept in the session from the page that shows the form and
# (hashed) on the booking it makes: two taps on the button send the same one (the cookie the
# first answer sets has not arrived yet), so the second is taken to the first one's booking.
SESSION_SUBMISSION = "booking_submission"


@dataclass(frozen=True, slots=True)
class _PageEvent:
    id: int
    title: str
    summary: str
    venue_name: str
    venue_address: str
    status: str
    lab: PageLab


@dataclass(frozen=True, slots=True)
class _PageSlot(SlotRules):
    """A slot as its booking page shows and checks it: plain values read live by one column
    query (the ORM's Slot, Event and Lab were a third of the page's cost)."""

    id: int
    kind: str
    starts_at: datetime
    ends_at: datetime
    capacity: int
    seats_taken: int
    max_party: int
    booking_closes_at: datetime | None
    status: str
    listed: bool
    mode: str
    draw_at: datetime | None
    drawn_at: datetime | None
    event: _PageEvent

    def is_public(self) -> bool:
        return public_rule(self.event.status, self.event.lab.status)


_PAGE_SLOT = tuple(getattr(Slot, name) for name in _PageSlot.__slots__ if name != "event")
_PAGE_EVENT = tuple(getattr(Event, name) for name in _PageEvent.__slots__ if name != "lab")


def _public_slot_or_404(slot_id: int) -> _PageSlot:
    """A slot the public may see (``Slot.is_public``): a cancelled one too, which says so."""
    row = db.session.execute(
        sa.select(*_PAGE_SLOT, *_PAGE_EVENT, Lab.name, Lab.status).select_from(Slot)
        .join(Event, Event.id == Slot.event_id).join(Lab, Lab.id == Event.lab_id)
        .where(Slot.id == slot_id)).one_or_none()
    if row is None:
        abort(404)
    slot_values, event_values = row[:len(_PAGE_SLOT)], row[len(_PAGE_SLOT):-2]
    slot = _PageSlot(*slot_values, event=_PageEvent(*event_values, lab=PageLab(row[-2], row[-1])))
    if not slot.is_public():
        abort(404)
    return slot


def _remembered() -> list[str]:
    tokens = session.get(SESSION_BOOKINGS)
    return [t for t in tokens if isinstance(t, str)] if isinstance(tokens, list) else []


def _remember(booking: Booking) -> None:
    tokens = [t for t in _remembered() if t != booking.manage_token] + [booking.manage_token]
    session[SESSION_BOOKINGS] = tokens[-SESSION_BOOKINGS_MAX:]
    session[SESSION_SUBMISSION] = secrets.token_urlsafe(16)  # what this browser sends next is new


def _submission() -> str:
    submission = session.get(SESSION_SUBMISSION)
    if not isinstance(submission, str):
        submission = session[SESSION_SUBMISSION] = secrets.token_urlsafe(16)
    return submission


# Where the slot's address and the CSRF field go in the remembered blank form.
_ACTION, _CSRF_FIELD = "openday-booking-action", "openday-booking-csrf"


@bp.app_template_global()
def blank_form() -> BookingForm:
    return BookingForm(formdata=None, meta={"csrf": False})


@bp.app_template_global()
def blank_booking_form(slot: _PageSlot) -> Markup:
    """The form as a GET shows it (``templates/bookings/_booking_form.html``): nothing typed, no
    errors, so it depends only on the language and the slot's party limit. Rendered once per
    those (``web.remembered_macro``), then the slot's address and this reader's CSRF token are
    put in: rendering the fields was a third of the booking page's cost."""
    html = remembered_macro("bookings/_booking_form.html", "blank", slot.max_party, _ACTION,
                            Markup(_CSRF_FIELD), slot.takes_entries(clock.now()))
    csrf_field = Markup('<input id="csrf_token" name="csrf_token" type="hidden" value="{}">').format(
        generate_csrf())
    return Markup(str(html).replace(_ACTION, str(escape(url_for("bookings.book", slot_id=slot.id))))
                  .replace(_CSRF_FIELD, csrf_field))


@bp.route("/slots/<int:slot_id>/book", methods=["GET", "POST"])
@booking_limits
def book(slot_id: int):
    slot = _public_slot_or_404(slot_id)
    # A GET shows the blank form, remembered (blank_booking_form); only a POST needs one of its own.
    form = BookingForm() if request.method == "POST" else None
    submission = _submission()  # from the page on, so that both of two quick taps carry it
    problem: str | None = None
    # Refusals re-render the page with the reason (200, like every form here); only a missing
    # slot (404), a rate limit (429) or a busy database (503) answer otherwise.
    try:
        service.check_bookable(slot)
    except RuleError as exc:
        problem = str(exc)
    if problem is None and form is not None and form.validate_on_submit():
        booking_request = service.BookingRequest(
            name=form.name.data, phone=form.phone.data, party_size=form.party_size_value(),
            consent=bool(form.consent.data), remarks=form.remarks.data)
        try:
            booking = service.book(slot.id, booking_request, submission=submission)
        except service.AlreadyBooked as exc:
            own = service.held_booking(slot.id, booking_request.phone, _remembered(), submission)
            if own is not None:
                _remember(own)  # the answer to the second of two taps is the cookie that stays
                flash(_("该手机号已预约过此场次，以下是您的预约。"), "info")
                return redirect(url_for("bookings.manage", token=own.manage_token), 303)
            put_on_form(form, exc)
        except Busy:
            raise
        except RuleError as exc:
            # Field messages go under their boxes; a refusal of the whole booking replaces the form.
            problem = " ".join(str(message) for message in put_on_form(form, exc)) or None
        else:
            _remember(booking)
            if booking.status == BookingStatus.entered:
                flash(_("报名成功！抽签结果将显示在本页，请保存本页链接。"), "success")
            elif booking.status == BookingStatus.confirmed:
                flash(_("预约成功！请保存本页链接，凭预约码或二维码入场。"), "success")
            else:
                flash(_("名额已满，您已进入候补名单。有人取消时将按顺序为您递补。"), "warning")
            return redirect(url_for("bookings.manage", token=booking.manage_token), 303)
    return render_template("bookings/book.html", slot=slot, event=slot.event, form=form,
                           problem=problem, venue=venue(slot.event),
                           entries_open=slot.takes_entries(clock.now()),
                           draw=ballot.published_draw(slot.id) if slot.drawn_at else None,
                           draw_rule=ballot.RULE)


@bp.get("/bookings/mine")
def mine():
    """This browser's bookings (the manage tokens its session remembers), so a citizen who closed
    the tab finds them again on the same phone."""
    bookings = service.find_by_tokens(_remembered())
    return _private(make_response(render_template(
        "bookings/mine.html", bookings=bookings, limit=SESSION_BOOKINGS_MAX,
        positions={b.id: service.waitlist_position(b) for b in bookings})))


def _booking_or_404(token: str) -> Booking:
    booking = service.find_by_token(token)
    if booking is None:
        abort(404)
    return booking


def _slot_of(booking: Booking) -> Slot:
    return db.session.execute(
        sa.select(Slot).where(Slot.id == booking.slot_id)
        .options(joinedload(Slot.event).joinedload(Event.lab))).scalar_one()


def qr_svg(url: str, title: str | None = None, scale: int = 5) -> Markup:
    """A QR code of one of our own URLs as inline SVG (no user input reaches it, so it is safe
    to inline): the entry QR of a booking, the door poster's link to an event."""
    svg = segno.make(url, error="m").svg_inline(scale=scale, border=2, dark="#000", light="#fff",
                                                svgclass="qr-code", title=title or _("入场二维码"))
    return Markup(svg)


_qr_svg = qr_svg


@bp.get("/bookings/<token>")
@token_guess_limit
def manage(token: str):
    """The confirmation page, which is also where a booking is managed (SPEC §5)."""
    booking = _booking_or_404(token)
    slot = _slot_of(booking)
    active = booking.status != BookingStatus.cancelled
    can_cancel = active and service.cancel_refusal(booking, slot) is None
    checkin = service.checkin_url(booking)
    # Only a confirmed booking gets in: a waitlisted one is shown no entry QR nor calendar link.
    confirmed = booking.status == BookingStatus.confirmed
    return _private(make_response(render_template(
        "bookings/manage.html", booking=booking, slot=slot, event=slot.event,
        position=service.waitlist_position(booking), qr=_qr_svg(checkin) if confirmed else None,
        checkin_url=checkin, manage_url=service.manage_url(booking), can_cancel=can_cancel,
        venue=venue(slot.event),
        cancelled_by_lab=booking.cancelled_by in (CancelledBy.lab, CancelledBy.event),
        phone=mask_phone(booking.phone), messages=messages.booking_messages(booking),
        reminders_form=RemindersForm())))


def _private(response):
    # The URL is the secret: keep it out of shared caches and other sites' Referer headers.
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


@bp.get("/bookings/<token>/cancel")
@token_guess_limit
def confirm_cancel(token: str):
    """Asks before cancelling, without JavaScript: the confirm button posts to ``cancel``."""
    booking = _booking_or_404(token)
    slot = _slot_of(booking)
    can_cancel = (booking.status != BookingStatus.cancelled
                  and service.cancel_refusal(booking, slot) is None)
    if not can_cancel:
        return redirect(url_for("bookings.manage", token=token), 303)
    return _private(make_response(render_template(
        "bookings/cancel.html", booking=booking, slot=slot, event=slot.event,
        cancel_form=CancelForm(), venue=venue(slot.event))))


@bp.post("/bookings/<token>")
@bp.post("/bookings/<token>/cancel")
@token_guess_limit
def cancel(token: str):
    """The manage page's cancel button (POST with its CSRF token); back to the page after."""
    booking = _booking_or_404(token)
    form = CancelForm()
    if form.validate_on_submit():
        try:
            service.cancel(booking, by=CancelledBy.citizen)
        except Busy:
            raise
        except RuleError as exc:
            flash(str(exc), "danger")
        else:
            flash(_("预约已取消。"), "success")
    return redirect(url_for("bookings.manage", token=token), 303)


@bp.get("/bookings/<token>.ics")
@token_guess_limit
def calendar(token: str):
    booking = _booking_or_404(token)
    slot = _slot_of(booking)
    event = slot.event
    # Calendar files get forwarded, synced to shared calendars and published; the manage link is a
    # bearer secret (whoever holds it may cancel), so it stays out, as pretix keeps its secret
    # links out of calendar files. The entry points to the public event page instead.
    event_page = service.public_url(url_for("events.show", event_id=event.id))
    cancelled = booking.status == BookingStatus.cancelled
    cal = Calendar()
    cal.add("prodid", "-//openday//national open day of testing labs//ZH")
    cal.add("version", "2.0")
    cal.add("method", "PUBLISH")
    entry = CalendarEvent()
    entry.add("uid", f"{booking.code}@{urlsplit(event_page).hostname or 'openday'}")
    # A re-downloaded file replaces the calendar's copy only with a higher SEQUENCE. Cancelling is
    # the one revision a booking goes through that has no counter; a slot version would add to it.
    entry.add("sequence", 1 if cancelled else 0)
    entry.add("dtstamp", clock.now())
    entry.add("dtstart", clock.local(slot.starts_at))   # Asia/Shanghai, with TZID
    entry.add("dtend", clock.local(slot.ends_at))
    entry.add("summary", f"{event.title} · {event.lab.name}")
    entry.add("location", venue(event))
    entry.add("description", "\n".join([
        _("预约码：%(code)s", code=booking.code),
        _("人数：%(n)d", n=booking.party_size),
        event_page,
    ]))
    entry.add("url", event_page)
    entry.add("status", "CANCELLED" if cancelled else
              "CONFIRMED" if booking.status == BookingStatus.confirmed else "TENTATIVE")
    if event.lat is not None and event.lon is not None:
        entry.add("geo", (event.lat, event.lon))
    if not cancelled:
        alarm = Alarm()
        alarm.add("action", "DISPLAY")
        alarm.add("description", event.title)
        alarm.add("trigger", timedelta(hours=-2))
        entry.add_component(alarm)
    cal.add_component(entry)
    cal.add_missing_timezones()
    response = make_response(cal.to_ical())
    response.headers["Content-Type"] = "text/calendar; charset=utf-8"
    response.headers["Content-Disposition"] = f'attachment; filename="openday-{booking.code}.ics"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


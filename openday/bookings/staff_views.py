"""The lab's pages that touch bookings: rosters, check-in at the door, walk-ins, and cancelling or
resizing slots and events. Routes on the bookings blueprint; rules in ``bookings.staff``.

Every one of them needs an approved lab (SPEC §2): a suspended, rejected or pending lab neither
changes its slots nor reads its citizens' names and phones. Pages that show full phones are sent
``Cache-Control: private, no-store``."""
from __future__ import annotations

from urllib.parse import quote

from flask import Response, abort, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import joinedload

from openday import clock
from openday.accounts.permissions import approved_lab_required, own_lab_or_404
from openday.bookings import staff
from openday.bookings.blueprint import bp
from openday.bookings.forms import CancelSlotForm, CheckinForm, WalkInForm
from openday.core.db import Busy
from openday.core.errors import RuleError
from openday.core.forms import put_on_form
from openday.events import service as events
from openday.events.forms import DeleteForm, SlotForm
from openday.events.models import Event, EventStatus, Slot, SlotStatus
from openday.extensions import db


def own_slot_or_404(slot_id: int) -> Slot:
    slot = db.session.execute(
        db.select(Slot).options(joinedload(Slot.event)).where(Slot.id == slot_id)
    ).scalar_one_or_none()
    return own_lab_or_404(slot)


def not_stored(body) -> Response:
    """A page with names and full phones: never kept by a shared cache or the browser's history."""
    response = make_response(body)
    response.headers["Cache-Control"] = "private, no-store"
    return response


# ---- rosters -------------------------------------------------------------------------------------

@bp.route("/lab/slots/<int:slot_id>/roster")
@approved_lab_required
def roster(slot_id: int):
    slot = own_slot_or_404(slot_id)
    lines = staff.roster(slot)
    if request.args.get("format") == "csv":
        return roster_response(slot, lines)
    return not_stored(render_template("bookings/roster.html", slot=slot, event=slot.event,
                                      lines=lines, status_label=staff.status_label))


@bp.route("/lab/slots/<int:slot_id>/roster.csv")
@approved_lab_required
def roster_csv(slot_id: int):
    slot = own_slot_or_404(slot_id)
    return roster_response(slot, staff.roster(slot))


def roster_response(slot: Slot, lines) -> Response:
    name, body = staff.export_roster(slot, lines)
    response = not_stored(Response(body, mimetype="text/csv"))
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    response.headers["Content-Disposition"] = (
        f"attachment; filename=\"{name}\"; filename*=UTF-8''{quote(name)}")
    return response


# ---- a slot's size, cancelling and deleting ------------------------------------------------------

SLOT_FIELDS = {"capacity": "capacity", "max_party": "max_party", "closes_at": "closes_hours",
               "draw_at": "draw_at", "starts_at": None, "ends_at": None, "mode": None,
               "status": None}


@bp.route("/lab/slots/<int:slot_id>/edit", methods=["GET", "POST"])
@approved_lab_required
def edit_slot(slot_id: int):
    slot = own_slot_or_404(slot_id)
    form = SlotForm()
    if request.method == "GET":
        form.capacity.data, form.max_party.data = slot.capacity, slot.max_party
        form.closes_hours.data = staff.closes_hours(slot)
        if slot.draw_at is not None:
            form.draw_at.data = clock.local(slot.draw_at).replace(tzinfo=None)
    general: list[str] = []
    if slot.status == SlotStatus.cancelled:
        general.append(_("该场次已取消"))
    elif form.validate_on_submit():
        try:
            draw_at = form.draw_at.data
            staff.update_slot(slot, form.capacity.data, form.max_party.data, form.closes_hours.data,
                              clock.from_local(draw_at) if draw_at else None)
        except Busy:
            raise  # a fault, answered 503 by the app
        except RuleError as exc:
            general = put_on_form(form, exc, SLOT_FIELDS)
        else:
            flash(_("场次已保存"), "success")
            return redirect(url_for("events.edit_event", event_id=slot.event_id) + "#slots")
        slot = own_slot_or_404(slot_id)
    return render_template("events/slot_edit.html", slot=slot, event=slot.event, form=form,
                           general=general, delete_form=DeleteForm(formdata=None))


@bp.route("/lab/slots/<int:slot_id>/cancel", methods=["GET", "POST"])
@approved_lab_required
def cancel_slot(slot_id: int):
    slot = own_slot_or_404(slot_id)
    if slot.status == SlotStatus.cancelled:
        flash(_("该场次已取消"), "info")
        return redirect(url_for("events.edit_event", event_id=slot.event_id) + "#slots")
    form = CancelSlotForm()
    if form.validate_on_submit():
        try:
            count = staff.cancel_slot(slot, form.reason.data)
        except Busy:
            raise  # a fault, answered 503 by the app
        except RuleError as exc:
            flash(str(exc), "warning")
        else:
            flash(_("场次已取消，%(n)d 个预约随之取消", n=count), "success")
        return redirect(url_for("events.edit_event", event_id=slot.event_id) + "#slots")
    return render_template("events/cancel.html", form=form, event=slot.event, slot=slot,
                           affected=slot.confirmed_count + slot.waitlisted_count)


@bp.route("/lab/slots/<int:slot_id>/delete", methods=["POST"])
@approved_lab_required
def delete_slot(slot_id: int):
    slot = own_slot_or_404(slot_id)
    event_id = slot.event_id
    form = DeleteForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        staff.delete_slot(slot)
    except Busy:
        raise  # a fault, answered 503 by the app
    except RuleError as exc:
        flash(str(exc), "warning")
        return redirect(url_for("bookings.edit_slot", slot_id=slot_id))
    flash(_("场次已删除"), "success")
    return redirect(url_for("events.edit_event", event_id=event_id) + "#slots")


@bp.route("/lab/events/<int:event_id>/cancel", methods=["GET", "POST"])
@approved_lab_required
def cancel_event(event_id: int):
    event = own_lab_or_404(db.session.get(Event, event_id))
    if event.status == EventStatus.cancelled:
        flash(_("该活动已取消"), "info")
        return redirect(url_for("events.lab_dashboard"))
    form = CancelSlotForm()
    if form.validate_on_submit():
        try:
            count = staff.cancel_event(event, form.reason.data)
        except Busy:
            raise  # a fault, answered 503 by the app
        except RuleError as exc:
            flash(str(exc), "warning")
        else:
            flash(_("活动已取消，%(n)d 个预约随之取消", n=count), "success")
        return redirect(url_for("events.lab_dashboard"))
    affected = sum(s.confirmed_count + s.waitlisted_count for s in event.slots
                   if s.status == SlotStatus.open)
    return render_template("events/cancel.html", form=form, event=event, slot=None,
                           affected=affected)


# ---- check-in at the door ------------------------------------------------------------------------
#
# Opening the QR's URL (GET /lab/checkin?code=…) shows the booking and a confirm button rather than
# checking in at once: a GET must not change anything (phones' camera apps and link previews fetch
# URLs by themselves, and any page could embed the URL to check people in through a logged-in
# lab's browser), and staff see the name and party size before they let people in.

CHECKIN_MESSAGES = {
    "not_found": ("danger", lambda b: _("未找到该预约码，请核对后重试")),
    "cancelled": ("danger", lambda b: _("该预约已取消，不能签到")),
    "waitlisted": ("warning", lambda b: _("该预约仍在候补中，没有确认的名额，不能签到")),
    "entered": ("warning", lambda b: _("该预约是尚未抽签的报名，没有确认的名额，不能签到")),
    "already": ("warning", lambda b: _("该预约已于 %(time)s 签到，请勿重复签到",
                                       time=f"{clock.local(b.checked_in_at):%Y-%m-%d %H:%M}")),
}


def walk_in_form(lab_id: int, todays: list[Slot], formdata=None) -> WalkInForm:
    form = WalkInForm(formdata=formdata) if formdata is not None else WalkInForm()
    form.slot_id.choices = [
        (s.id, f"{clock.local(s.starts_at):%H:%M}–{clock.local(s.ends_at):%H:%M} {s.event.title}")
        for s in todays if s.status == SlotStatus.open]
    return form


def render_checkin(form: CheckinForm, walk_form: WalkInForm | None = None, booking=None,
                   outcome: str | None = None, code: str = ""):
    lab_id = current_user.lab_id
    todays = events.todays_slots(lab_id)
    walk_form = walk_form or walk_in_form(lab_id, todays)
    message = None
    if outcome in CHECKIN_MESSAGES:
        category, text = CHECKIN_MESSAGES[outcome]
        message = (category, text(booking))
    return not_stored(render_template(
        "bookings/checkin.html", form=form, walk_form=walk_form, booking=booking,
        outcome=outcome, message=message, code=code, todays=todays,
        status_label=staff.status_label, today=clock.today()))


@bp.route("/lab/checkin", methods=["GET", "POST"])
@approved_lab_required
def checkin():
    lab_id = current_user.lab_id
    if request.method == "POST":
        form = CheckinForm()
        if not form.validate_on_submit():
            return render_checkin(form)
        result = staff.check_in(lab_id, form.code.data)
        if result.outcome == "checked_in":
            b = result.booking
            flash(_("签到成功：%(name)s，%(n)d 人", name=b.name or b.code, n=b.party_size), "success")
            return redirect(url_for("bookings.checkin"))
        return render_checkin(form, booking=result.booking, outcome=result.outcome,
                              code=form.code.data)
    code = (request.args.get("code") or "").strip()[:20]
    form = CheckinForm(formdata=None, code=code)
    if not code:
        return render_checkin(form)
    booking = staff.find_lab_booking(lab_id, code)
    outcome = staff.checkin_outcome(booking) if booking is not None else "not_found"
    return render_checkin(form, booking=booking, outcome=outcome, code=code)


@bp.route("/lab/checkin/walk-ins", methods=["POST"])
@approved_lab_required
def walk_ins():
    lab_id = current_user.lab_id
    todays = events.todays_slots(lab_id)
    form = walk_in_form(lab_id, todays, formdata=request.form)
    if form.validate_on_submit():
        try:
            slot = staff.add_walk_ins(lab_id, form.slot_id.data, form.number.data)
        except Busy:
            raise  # a fault, answered 503 by the app
        except RuleError as exc:
            put_on_form(form, exc, default="number")
        else:
            flash(_("已记录现场来访，该场次现场来访共 %(n)d 人", n=slot.walk_ins), "success")
            return redirect(url_for("bookings.checkin"))
    return render_checkin(CheckinForm(formdata=None), walk_form=form)

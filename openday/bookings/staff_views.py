"""The lab's pages that touch bookings: rosters, check-in at the door, walk-ins, and cancelling or
resizing slots and events. Routes on the bookings blueprint; rules in ``bookings.staff``.

Every one of them needs an approved lab (SPEC §2): a suspended, rejected or pending lab neither
changes its bookings nor reads its citizens' names and phones. A pending lab may still change and
delete the slots it prepares (nobody can book them before it is approved). Pages that show full phones are sent
``Cache-Control: private, no-store``."""
from __future__ import annotations

from urllib.parse import quote

from flask import (Response, abort, flash, jsonify, make_response, redirect, render_template,
                   request, url_for)
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import joinedload

from openday import clock
from openday.accounts.permissions import approved_lab_required, own_lab_or_404, preparing_lab_required
from openday.core.phone import display_phone
from openday.bookings import staff
from openday.bookings.blueprint import bp
from openday.bookings.models import Booking
from openday.bookings.forms import (BookingSearchForm, CancelSlotForm, CheckinChangeForm, CheckinForm,
                                    WalkInForm)
from openday.core.db import Busy
from openday.core.errors import RuleError, api_error, json_error
from openday.core.forms import put_on_form
from openday.events import service as events
from openday.events.forms import DeleteForm, DuplicateEventForm, RescheduleForm, SlotForm
from openday.events.models import Event, EventStatus, Slot, SlotStatus
from openday.extensions import db


def own_slot_or_404(slot_id: int) -> Slot:
    slot = db.session.execute(
        db.select(Slot).options(joinedload(Slot.event)).where(Slot.id == slot_id)
    ).scalar_one_or_none()
    return own_lab_or_404(slot)


def preparing_slot_or_403(slot_id: int) -> Slot:
    """A slot its lab may change: any of an approved lab's; of a lab still pending review, only
    one nobody has booked (changing a booked slot changes bookings, which needs approval)."""
    slot = own_slot_or_404(slot_id)
    if not current_user.lab.is_approved and db.session.execute(
            db.select(Booking.id).where(Booking.slot_id == slot.id).limit(1)).first():
        abort(403)
    return slot


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
                                      lines=lines, status_label=staff.status_label,
                                      display_phone=display_phone))


@bp.route("/lab/slots/<int:slot_id>/roster.csv")
@approved_lab_required
def roster_csv(slot_id: int):
    slot = own_slot_or_404(slot_id)
    return roster_response(slot, staff.roster(slot))


@bp.route("/lab/slots/<int:slot_id>/roster.xlsx")
@approved_lab_required
def roster_xlsx(slot_id: int):
    slot = own_slot_or_404(slot_id)
    return roster_response(slot, staff.roster(slot), "xlsx")


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def roster_response(slot: Slot, lines, file_format: str = "csv") -> Response:
    name, body = staff.export_roster(slot, lines, file_format)
    response = not_stored(Response(body, mimetype=XLSX if file_format == "xlsx" else "text/csv"))
    if file_format == "csv":
        response.headers["Content-Type"] = "text/csv; charset=utf-8"
    response.headers["Content-Disposition"] = (
        f"attachment; filename=\"{name}\"; filename*=UTF-8''{quote(name)}")
    return response


# ---- print: the sign-in sheet and the door poster ------------------------------------------------

@bp.route("/lab/slots/<int:slot_id>/sign-in-sheet")
@approved_lab_required
def sign_in_sheet(slot_id: int):
    slot = own_slot_or_404(slot_id)
    full = request.args.get("phones") == "full"
    lines = staff.sign_in_lines(slot)
    staff.record_sign_in_sheet(slot, len(lines), full)
    return not_stored(render_template(
        "bookings/sign_in_sheet.html", slot=slot, event=slot.event, lines=lines, full=full,
        columns=staff.SIGN_IN_COLUMNS, printed_at=clock.now()))


@bp.route("/lab/events/<int:event_id>/poster")
@preparing_lab_required
def event_poster(event_id: int):
    from openday.bookings.service import public_url
    from openday.bookings.views import qr_svg

    event = own_lab_or_404(db.session.get(Event, event_id))
    url = public_url(url_for("events.show", event_id=event.id))
    slots = [s for s in event.slots if s.status == SlotStatus.open and s.ends_at > clock.now()]
    return render_template("bookings/poster.html", event=event, slots=slots, url=url,
                           qr=qr_svg(url, title=_("扫码查看活动并预约"), scale=8))


# ---- a slot's size, cancelling and deleting ------------------------------------------------------

SLOT_FIELDS = {"capacity": "capacity", "max_party": "max_party", "closes_at": "closes_hours",
               "draw_at": "draw_at", "starts_at": None, "ends_at": None, "mode": None,
               "status": None}


@bp.route("/lab/slots/<int:slot_id>/edit", methods=["GET", "POST"])
@preparing_lab_required
def edit_slot(slot_id: int):
    slot = preparing_slot_or_403(slot_id)
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


@bp.route("/lab/slots/<int:slot_id>/reschedule", methods=["GET", "POST"])
@preparing_lab_required
def reschedule_slot(slot_id: int):
    slot = preparing_slot_or_403(slot_id)
    form = RescheduleForm()
    if request.method == "GET":
        start = clock.local(slot.starts_at)
        form.day.data, form.start_time.data = start.date(), f"{start:%H:%M}"
        form.duration.data = int((slot.ends_at - slot.starts_at).total_seconds() // 60)
    general: list[str] = []
    if slot.status == SlotStatus.cancelled:
        general.append(_("该场次已取消"))
    elif form.validate_on_submit():
        try:
            [start_time] = events.parse_start_times(form.start_time.data)
        except ValueError:
            form.start_time.errors = [_("请按 09:30 的格式填写开始时间")]
        else:
            try:
                staff.reschedule_slot(slot, form.day.data, start_time, form.duration.data,
                                      form.note.data)
            except Busy:
                raise  # a fault, answered 503 by the app
            except RuleError as exc:
                general = put_on_form(form, exc, {"starts_at": "start_time", "ends_at": "duration",
                                                  "status": None, "capacity": None,
                                                  "max_party": None, "closes_at": None})
            else:
                flash(_("场次时间已调整，已预约的市民会在预约页面看到新的时间"), "success")
                return redirect(url_for("events.edit_event", event_id=slot.event_id) + "#slots")
    return render_template("events/slot_reschedule.html", slot=slot, event=slot.event, form=form,
                           general=general)


@bp.route("/lab/events/<int:event_id>/duplicate", methods=["GET", "POST"])
@preparing_lab_required
def duplicate_event(event_id: int):
    event = own_lab_or_404(db.session.get(Event, event_id))
    form = DuplicateEventForm()
    general: list[str] = []
    if form.validate_on_submit():
        try:
            copy = staff.duplicate_event(event, form.day.data,
                                         publish=form.status.data == "published")
        except Busy:
            raise  # a fault, answered 503 by the app
        except RuleError as exc:
            general = put_on_form(form, exc, {"status": None}, default="day")
        else:
            flash(_("活动已复制（%(n)d 个场次）", n=len(copy.slots)), "success")
            return redirect(url_for("events.edit_event", event_id=copy.id))
    return render_template("events/duplicate.html", event=event, form=form, general=general,
                           approved=current_user.lab.is_approved)


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
@preparing_lab_required
def delete_slot(slot_id: int):
    slot = preparing_slot_or_403(slot_id)
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
    "not_today": ("warning", lambda b: _(
        "该预约的场次在 %(day)s，签到在当天开放。确需提前签到，请勾选“提前签到”后再确认。",
        day=f"{clock.local(b.slot.starts_at):%Y-%m-%d}")),
    "checked_in": ("success", lambda b: _("签到成功：%(name)s，到场 %(n)d 人",
                                          name=b.name or b.code, n=b.arrived or 0)),
    "undone": ("info", lambda b: _("已撤销 %(name)s 的签到", name=b.name or b.code)),
    "corrected": ("success", lambda b: _("已更正：%(name)s，到场 %(n)d 人",
                                         name=b.name or b.code, n=b.arrived or 0)),
}


def wants_json() -> bool:
    """The scanner's fetch asks for JSON; a plain form post gets pages and redirects."""
    return request.accept_mimetypes.best == "application/json"


def booking_json(booking) -> dict | None:
    if booking is None:
        return None
    slot = booking.slot
    return {
        "code": booking.code, "name": booking.name or "", "phone": booking.phone or "",
        "party_size": booking.party_size, "arrived": booking.arrived,
        "status": staff.status_label(booking),
        "checked_in_at": (f"{clock.local(booking.checked_in_at):%H:%M}"
                          if booking.checked_in_at else None),
        "can_undo": staff.can_undo(booking),
        "slot": f"{clock.local(slot.starts_at):%m-%d %H:%M} {slot.event.title}",
    }


def checkin_json(outcome: str, booking, status: int = 200) -> Response:
    category, text = CHECKIN_MESSAGES[outcome]
    response = jsonify({"outcome": outcome, "category": category, "message": text(booking),
                        "booking": booking_json(booking)})
    response.status_code = status
    response.headers["Cache-Control"] = "private, no-store"
    return response


def walk_in_form(lab_id: int, todays: list[Slot], formdata=None) -> WalkInForm:
    form = WalkInForm(formdata=formdata) if formdata is not None else WalkInForm()
    form.slot_id.choices = [
        (s.id, f"{clock.local(s.starts_at):%H:%M}–{clock.local(s.ends_at):%H:%M} {s.event.title}")
        for s in todays if s.status == SlotStatus.open]
    return form


def render_checkin(form: CheckinForm, walk_form: WalkInForm | None = None, booking=None,
                   outcome: str | None = None, code: str = "", walk_confirm: str | None = None,
                   change_form: CheckinChangeForm | None = None):
    lab_id = current_user.lab_id
    todays = events.todays_slots(lab_id)
    walk_form = walk_form or walk_in_form(lab_id, todays)
    search = BookingSearchForm(request.args)
    found, search_error = None, None
    if search.q.data:
        try:
            found = staff.search_bookings(lab_id, search.q.data)
        except RuleError as exc:
            search_error = str(exc)
            search.q.errors = [search_error]
    message = None
    if outcome in CHECKIN_MESSAGES:
        category, text = CHECKIN_MESSAGES[outcome]
        message = (category, text(booking))
    return not_stored(render_template(
        "bookings/checkin.html", form=form, walk_form=walk_form, booking=booking,
        outcome=outcome, message=message, code=code, todays=todays,
        status_label=staff.status_label, today=clock.today(), search=search, found=found,
        search_error=search_error, walk_confirm=walk_confirm,
        change_form=change_form or CheckinChangeForm(formdata=None),
        can_undo=staff.can_undo, undo_minutes=staff.undo_minutes(),
        ceiling_factor=staff.WALK_IN_CEILING_FACTOR, display_phone=display_phone))


def form_error_json(form) -> Response:
    fields = {name: list(errors) for name, errors in form.errors.items()}
    first = next(iter(fields.values()), [_("请修正标出的问题后再提交。")])
    return json_error("invalid", first[0], 422, fields)


@bp.route("/lab/checkin", methods=["GET", "POST"])
@approved_lab_required
def checkin():
    lab_id = current_user.lab_id
    if request.method == "POST":
        form = CheckinForm()
        if not form.validate_on_submit():
            return form_error_json(form) if wants_json() else render_checkin(form)
        try:
            result = staff.check_in(lab_id, form.code.data, form.arrived.data, form.early.data)
        except Busy:
            raise  # a fault, answered 503 by the app
        except RuleError as exc:
            if wants_json():
                return api_error(exc)
            put_on_form(form, exc, default="arrived")
            booking = staff.find_lab_booking(lab_id, form.code.data)
            return render_checkin(form, booking=booking, outcome="ready", code=form.code.data)
        if wants_json():
            return checkin_json(result.outcome, result.booking,
                                404 if result.outcome == "not_found" else 200)
        if result.outcome == "checked_in":
            return redirect(url_for("bookings.checkin", checked=result.booking.code))
        return render_checkin(form, booking=result.booking, outcome=result.outcome,
                              code=form.code.data)
    checked = (request.args.get("checked") or "").strip()[:20]
    if checked:  # just checked in (no-JS form): the booking with its undo and correct buttons
        booking = staff.find_lab_booking(lab_id, checked)
        if booking is not None and staff.can_undo(booking):
            return render_checkin(CheckinForm(formdata=None), booking=booking,
                                  outcome="checked_in", code=booking.code)
    code = (request.args.get("code") or "").strip()[:20]
    form = CheckinForm(formdata=None, code=code)
    if not code:
        return render_checkin(form)
    booking = staff.find_lab_booking(lab_id, code)
    outcome = staff.checkin_outcome(booking) if booking is not None else "not_found"
    if outcome == "ready" and not staff.opens_today(booking):
        outcome = "not_today"
    return render_checkin(form, booking=booking, outcome=outcome, code=code)


def _change_checkin(change, done: str):
    lab_id = current_user.lab_id
    form = CheckinChangeForm()
    if not form.validate_on_submit():
        return form_error_json(form) if wants_json() else render_checkin(
            CheckinForm(formdata=None), change_form=form)
    try:
        booking = change(lab_id, form)
    except Busy:
        raise  # a fault, answered 503 by the app
    except RuleError as exc:
        if wants_json():
            return api_error(exc)
        put_on_form(form, exc, default="code")
        booking = staff.find_lab_booking(lab_id, form.code.data)
        return render_checkin(CheckinForm(formdata=None), booking=booking, change_form=form,
                              outcome=staff.checkin_outcome(booking) if booking else "not_found",
                              code=form.code.data)
    if wants_json():
        return checkin_json(done, booking)
    category, text = CHECKIN_MESSAGES[done]
    flash(text(booking), category)
    return redirect(url_for("bookings.checkin"))


@bp.route("/lab/checkin/undo", methods=["POST"])
@approved_lab_required
def undo_checkin():
    return _change_checkin(lambda lab_id, form: staff.undo_check_in(lab_id, form.code.data),
                           "undone")


@bp.route("/lab/checkin/arrived", methods=["POST"])
@approved_lab_required
def correct_arrived():
    return _change_checkin(
        lambda lab_id, form: staff.correct_arrived(lab_id, form.code.data, form.arrived.data),
        "corrected")


@bp.route("/lab/checkin/search")
@approved_lab_required
def search_bookings():
    """Today's bookings by name or the phone's last 4 digits, as JSON for the scanner page (the
    check-in page itself shows the same list under ?q= without JavaScript)."""
    search = BookingSearchForm(request.args)
    try:
        found = staff.search_bookings(current_user.lab_id, search.q.data)
    except RuleError as exc:
        return api_error(exc)
    response = jsonify({"items": [booking_json(b) for b in found]})
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.route("/lab/checkin/walk-ins", methods=["POST"])
@approved_lab_required
def walk_ins():
    lab_id = current_user.lab_id
    todays = events.todays_slots(lab_id)
    form = walk_in_form(lab_id, todays, formdata=request.form)
    walk_confirm = None
    if form.validate_on_submit():
        try:
            slot = staff.add_walk_ins(lab_id, form.slot_id.data, form.number.data,
                                      confirmed=form.confirm.data == "1")
        except Busy:
            raise  # a fault, answered 503 by the app
        except staff.WalkInsNeedConfirmation as exc:
            walk_confirm = str(exc)
        except RuleError as exc:
            put_on_form(form, exc, default="number")
        else:
            flash(_("已记录现场来访，该场次现场来访共 %(n)d 人", n=slot.walk_ins), "success")
            return redirect(url_for("bookings.checkin"))
    return render_checkin(CheckinForm(formdata=None), walk_form=form, walk_confirm=walk_confirm)

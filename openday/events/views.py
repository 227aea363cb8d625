from __future__ import annotations

from urllib.parse import urlencode

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.routing import BuildError

from openday import clock
from openday.accounts.permissions import lab_staff_required, own_lab_or_404, preparing_lab_required
from openday.core.db import Busy
from openday.core.errors import RuleError
from openday.core.forms import put_on_form
from openday.events import service
from openday.events.blueprint import bp
from openday.events.forms import EventForm, SlotsForm, district_choices
from openday.events.models import Event, EventStatus, SlotMode, SlotStatus
from openday.extensions import db


@bp.route("/")
def home():
    """Search box, notices, and what starts soon in the city the visitor last searched."""
    from openday.events import search as search_service
    from openday.notices.service import latest_notices

    city = request.cookies.get(search_service.CITY_COOKIE, "")
    try:
        upcoming = search_service.search(search_service.SearchQuery(city=city, per_page=6))
    except search_service.SearchError:  # a stale or forged cookie: fall back to the whole country
        upcoming = search_service.search(search_service.SearchQuery(per_page=6))
    return render_template("events/home.html", notices=latest_notices(limit=5), upcoming=upcoming)


@bp.route("/privacy")
def privacy():
    return render_template("events/privacy.html")


# ---- the lab's side ------------------------------------------------------------------------------

@bp.route("/lab/")
@lab_staff_required
def lab_dashboard():
    lab = current_user.lab
    today_start, today_end = service.day_bounds(clock.today())
    return render_template(
        "events/lab_dashboard.html", lab=lab,
        events=service.lab_events(lab.id),
        today_slots=service.lab_slots_between(lab.id, today_start, today_end),
        upcoming_slots=service.lab_slots_between(lab.id, today_end, limit=100))


# Form field ← service field, for the rule errors that come back from the service.
EVENT_FIELDS = {"status": None}
SLOTS_FIELDS = {"starts_at": "day", "ends_at": "duration", "closes_at": "closes_hours",
                "capacity": "capacity", "max_party": "max_party", "start_times": "start_times",
                "mode": "mode", "draw_at": "draw_at", "status": None}


def event_data(form: EventForm) -> dict:
    return {name: form[name].data for name in (
        "kind", "title", "summary", "description", "venue_type", "venue_name", "venue_address",
        "venue_district", "venue_point", "audience", "accessibility", "testing_items",
        "what_to_bring")}


def own_event_or_404(event_id: int) -> Event:
    return own_lab_or_404(db.session.get(Event, event_id))


def filled_event_form(event: Event) -> EventForm:
    """The form showing a stored event (the off-site fields empty when it is at the lab)."""
    form = EventForm(formdata=None, obj=event)
    form.audience.data = service.audience_codes(event)
    form.venue_district.data = event.district_adcode
    if event.venue_type == "lab":
        form.venue_name.data = form.venue_address.data = ""
    elif event.point_exact:
        form.venue_point.data = f"{event.lat:.6f}, {event.lon:.6f}"
    return form


def prepare_event_form(form: EventForm, lab) -> EventForm:
    form.venue_district.choices = district_choices(lab.province_adcode)
    if request.method != "POST" and not form.venue_district.data:
        form.venue_district.data = lab.district_adcode
    return form


@bp.route("/lab/events/new", methods=["GET", "POST"])
@preparing_lab_required
def new_event():
    lab = current_user.lab
    form = prepare_event_form(EventForm(), lab)
    general: list[str] = []
    if service.current_campaign() is None:
        general.append(_("当前没有进行中的开放日，暂不能创建活动"))
    elif form.validate_on_submit():
        try:
            event = service.save_event(lab, event_data(form), publish=form.publish.data)
        except Busy:
            raise
        except RuleError as exc:
            general = put_on_form(form, exc, EVENT_FIELDS)
        else:
            flash(_("活动已发布") if event.status == EventStatus.published
                  else _("草稿已保存，可以继续添加场次"), "success")
            warn_if_nothing_to_book(event)
            return redirect(url_for("events.edit_event", event_id=event.id))
    return render_template("events/event_form.html", form=form, event=None, general=general)


@bp.route("/lab/events/<int:event_id>/edit", methods=["GET", "POST"])
@preparing_lab_required
def edit_event(event_id: int):
    event = own_event_or_404(event_id)
    lab = current_user.lab
    form = EventForm() if request.method == "POST" else filled_event_form(event)
    prepare_event_form(form, lab)
    general: list[str] = []
    if form.validate_on_submit():
        try:
            service.save_event(lab, event_data(form), event=event, publish=form.publish.data)
        except Busy:
            raise
        except RuleError as exc:
            general = put_on_form(form, exc, EVENT_FIELDS)
        else:
            flash(_("活动已保存"), "success")
            warn_if_nothing_to_book(event)
            return redirect(url_for("events.edit_event", event_id=event.id))
    return render_event_page(event, form, SlotsForm(formdata=None), general)


def warn_if_nothing_to_book(event: Event) -> None:
    """A published event without an open slot is listed nowhere and has nothing to book."""
    db.session.refresh(event)
    if event.status == EventStatus.published and not any(
            s.status == SlotStatus.open for s in event.slots):
        flash(_("活动已发布，但还没有场次：市民暂时无法预约。请在下方添加场次。"), "warning")


def render_event_page(event: Event, form: EventForm, slots_form: SlotsForm, general=()):
    return render_template("events/event_form.html", form=form, event=event,
                           slots_form=slots_form, general=list(general),
                           slots=list(event.slots), campaign=event.campaign)


@bp.route("/lab/events/<int:event_id>/slots", methods=["POST"])
@preparing_lab_required
def add_slots(event_id: int):
    event = own_event_or_404(event_id)
    slots_form = SlotsForm()
    general: list[str] = []
    if slots_form.validate_on_submit():
        try:
            times = service.parse_start_times(slots_form.start_times.data)
        except ValueError:
            slots_form.start_times.errors = [_("请按 09:30, 14:00 的格式填写开始时间")]
        else:
            try:
                draw_at = slots_form.draw_at.data
                added = service.add_slots(event, slots_form.day.data, times,
                                          slots_form.duration.data, slots_form.capacity.data,
                                          slots_form.max_party.data, slots_form.closes_hours.data,
                                          slots_form.mode.data or SlotMode.first_come,
                                          clock.from_local(draw_at) if draw_at else None)
            except Busy:
                raise
            except RuleError as exc:
                general = put_on_form(slots_form, exc, SLOTS_FIELDS)
            else:
                flash(_("已添加 %(n)d 个场次", n=len(added)), "success")
                return redirect(url_for("events.edit_event", event_id=event.id) + "#slots")
    form = prepare_event_form(filled_event_form(event), current_user.lab)
    return render_event_page(event, form, slots_form, general)


# ---- the public event page -----------------------------------------------------------------------

def book_url(slot) -> str:
    """The booking page of a slot (built by the bookings issue; the path is fixed by SPEC §5)."""
    try:
        return url_for("bookings.book", slot_id=slot.id)
    except BuildError:
        return f"/slots/{slot.id}/book"


def amap_url(event) -> str | None:
    """A link out to Amap for the venue (GCJ-02 coordinates, as the gazetteer keeps them)."""
    if event.lat is None or event.lon is None:
        return None
    name = event.venue_name or event.lab.name
    return "https://uri.amap.com/marker?" + urlencode({
        "position": f"{event.lon:.6f},{event.lat:.6f}", "name": name, "src": "openday",
        "coordinate": "gaode", "callnative": "0"})


@bp.route("/events/<int:event_id>")
def show(event_id: int):
    viewer_lab = current_user.lab_id if current_user.is_authenticated else None
    now = clock.now()
    found = service.public_event(event_id, viewer_lab, ending_after=now)
    if found is None:
        abort(404)
    event, slots = found
    return render_template("events/show.html", event=event, slots=slots, now=now,
                           book_url=book_url, map_url=amap_url(event),
                           audience=service.audience_codes(event),
                           SlotStatus=SlotStatus, EventStatus=EventStatus)


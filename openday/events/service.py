"""Events and slots: the rules labs publish by, shared by the HTML views and the API.

A broken rule is a ``core.errors.RuleError`` whose ``fields`` use the service's own names
(``starts_at``, ``capacity``…); each caller maps them onto its form fields (``put_on_form``).
Every write is one ``core.db.write_transaction``, audited inside it."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from openday import clock
from openday.audit import service as audit
from openday.core.db import write_transaction
from openday.core.errors import RuleError
from openday.core.i18n import _
from openday.events.models import (Campaign, Event, EventKind, EventStatus, Slot, SlotMode,
                                   SlotRules, SlotStatus, listed_rule, public_rule)
from openday.extensions import db
from openday.labs.models import Lab, LabStatus


def current_campaign() -> Campaign | None:
    return db.session.execute(db.select(Campaign).where(Campaign.is_current)).scalar_one_or_none()


def _lab_status(lab_id: int) -> str | None:
    lab = db.session.get(Lab, lab_id)  # usually already in the session: no query
    return lab.status if lab is not None else None


def slot_copies(event: Event, slot_status: str = SlotStatus.open) -> dict:
    """The event's facts that each of its slots keeps a copy of (see ``Slot``), ``listed``
    among them (``events.models.listed_rule``)."""
    return {
        "campaign_id": event.campaign_id,
        "lab_id": event.lab_id,
        "city_adcode": event.city_adcode,
        "kind": event.kind,
        "listed": listed_rule(event.status, slot_status, _lab_status(event.lab_id)),
    }


def refresh_slot_copies(event: Event) -> None:
    """Bring every slot of an event in step after the event changed (kind, city, status)."""
    db.session.flush()
    copies = slot_copies(event)  # listed as for an open slot: a cancelled one is never listed
    listed = copies.pop("listed")
    db.session.execute(
        sa.update(Slot).where(Slot.event_id == event.id)
        .values(**copies, listed=sa.and_(sa.literal(listed), Slot.status == SlotStatus.open)),
        execution_options={"synchronize_session": "fetch"})


def refresh_lab_slots(lab: Lab, **_extra) -> None:
    """A lab approved, suspended, reinstated…: its slots' ``listed`` follows, in the reviewer's
    transaction (the labs service sends ``signals.lab_status_changed`` before it commits)."""
    if lab.status != LabStatus.approved:  # listed_rule: no slot of such a lab is listed
        listed = sa.false()
    else:
        listed = sa.and_(Slot.status == SlotStatus.open, sa.exists().where(
            Event.id == Slot.event_id, Event.status == EventStatus.published))
    db.session.execute(
        sa.update(Slot).where(Slot.lab_id == lab.id).values(listed=listed),
        execution_options={"synchronize_session": "fetch"})


# ---- events --------------------------------------------------------------------------------------

VENUE_TYPES = ("lab", "school", "company", "community", "other")
AUDIENCES = ("public", "students", "families", "seniors", "enterprises")
MAX_CAPACITY = 100_000
MAX_SLOTS_AT_ONCE = 24


def invalid(fields: dict[str, str]) -> RuleError:
    """The refusal of input that breaks rules, naming each bad field."""
    return RuleError("invalid", _("请修正标出的问题后再提交。"), fields)


# How far a pasted point may lie from its district's centre (the geocoder's own allowance).
POINT_PLAUSIBLE_KM = 300.0


def venue_fields(lab: Lab, venue_type: str, name: str = "", address: str = "",
                 district_adcode: str = "", point: str = "") -> dict:
    """Where an event happens: the lab's own address, or an off-site place in its district, at
    the exact ``point`` the lab pasted (coordinates or a map link, ``geo.coords``) or else where
    its address geocodes (often only the district's centre: distances to it are approximate)."""
    if venue_type == "lab":
        return {"venue_type": "lab", "venue_name": "", "venue_address": lab.address,
                "province_adcode": lab.province_adcode, "city_adcode": lab.city_adcode,
                "district_adcode": lab.district_adcode, "lat": lab.lat, "lon": lab.lon,
                "point_exact": False}
    from openday.geo.coords import parse_point
    from openday.geo.geocoder import geocode_address
    from openday.geo.service import city_of, distance_km, get_region, province_of

    errors: dict[str, str] = {}
    if venue_type not in VENUE_TYPES:
        errors["venue_type"] = _("请选择活动地点")
    if not name:
        errors["venue_name"] = _("场外活动请填写场所名称")
    if not address:
        errors["venue_address"] = _("场外活动请填写场所地址")
    region = get_region(district_adcode) if district_adcode else None
    city = city_of(region.adcode) if region is not None and region.level != "province" else None
    if city is None:
        errors["venue_district"] = _("请选择场所所在区县")
    elif province_of(region.adcode).adcode != lab.province_adcode:
        # The form offers the lab's own province only; a posted code from elsewhere is refused
        # here too, or a lab could list an event in a region whose regulator does not oversee it.
        errors["venue_district"] = _("场外活动须在本机构所在省份内")
    exact = None
    if (point or "").strip():
        try:
            exact = parse_point(point)
        except ValueError:
            errors["venue_point"] = _("请粘贴经纬度（如 28.19, 112.97）或带坐标的高德、百度地图链接")
        else:
            if region is not None and distance_km(exact[0], exact[1], region.lat,
                                                  region.lon) > POINT_PLAUSIBLE_KM:
                errors["venue_point"] = _("该位置离所选区县太远，请检查坐标")
    if errors:
        raise invalid(errors)
    province = province_of(region.adcode)
    # The gazetteer point of the district when the address cannot be placed more precisely.
    located = exact or geocode_address(address, region.adcode) or (region.lat, region.lon)
    return {"venue_type": venue_type, "venue_name": name, "venue_address": address,
            "province_adcode": province.adcode, "city_adcode": city.adcode,
            "district_adcode": region.adcode, "lat": located[0], "lon": located[1],
            "point_exact": exact is not None}


def save_event(lab: Lab, data: dict, event: Event | None = None, publish: bool = False) -> Event:
    """Create (``event`` None) or update a lab's event; ``publish`` makes it visible.

    ``data``: kind, title, summary, description, venue_type, venue_name, venue_address,
    venue_district, venue_point (optional: coordinates or a map link), audience (a list of codes), accessibility, testing_items, what_to_bring.
    Updating never touches slots or bookings, only the copies slots keep of the event.
    """
    errors: dict[str, str] = {}
    if event is not None and event.status == EventStatus.cancelled:
        raise invalid({"status": _("活动已取消，不能再修改")})
    if publish and not lab.is_approved:
        errors["status"] = _("机构通过审核后才能发布活动；现在可以先保存草稿、添加场次。")
    if data.get("kind") not in set(EventKind):
        errors["kind"] = _("请选择活动类型")
    audience = [code for code in AUDIENCES if code in (data.get("audience") or [])]
    if not audience or len(audience) != len(set(data.get("audience") or [])):
        errors["audience"] = _("请至少选择一类人群")
    if not (data.get("title") or "").strip():
        errors["title"] = _("请填写活动名称")
    campaign = event.campaign if event is not None else current_campaign()
    if campaign is None:
        errors["status"] = _("当前没有进行中的开放日，暂不能创建活动")
    try:
        venue = venue_fields(lab, data.get("venue_type") or "lab", data.get("venue_name") or "",
                             data.get("venue_address") or "", data.get("venue_district") or "",
                             data.get("venue_point") or "")
    except RuleError as exc:
        errors.update(exc.fields)
        venue = {}
    if errors:
        raise invalid(errors)

    event_id, lab_id, campaign_id = (event.id if event else None), lab.id, campaign.id

    def work() -> Event:
        saved = (Event(lab_id=lab_id, campaign_id=campaign_id, status=EventStatus.draft)
                 if event_id is None else db.session.get(Event, event_id))
        if event_id is None:
            db.session.add(saved)
        saved.kind = data["kind"]
        saved.title = data["title"].strip()
        for field in ("summary", "description", "accessibility", "testing_items", "what_to_bring"):
            setattr(saved, field, (data.get(field) or "").strip())
        saved.audience = ",".join(audience)
        for field, value in venue.items():
            setattr(saved, field, value)
        if publish:
            saved.status = EventStatus.published
        state = sa.inspect(saved)
        changed = [name for name in AUDITED_EVENT_FIELDS if state.attrs[name].history.has_changes()]
        refresh_slot_copies(saved)  # kind, city and listed of its slots follow the event
        if event_id is None:
            audit.record("event.create", saved, reason=saved.status)
        elif changed:
            audit.record("event.update", saved, reason=", ".join(changed))
        return saved

    return write_transaction(work)


# What an event.update entry lists when it changed (names, not values: short, and the log is
# read by regulators in every language).
AUDITED_EVENT_FIELDS = (
    "status", "kind", "title", "summary", "description", "venue_type", "venue_name",
    "venue_address", "district_adcode", "lat", "lon", "audience", "accessibility", "testing_items",
    "what_to_bring")


def audience_codes(event: Event) -> list[str]:
    return [code for code in event.audience.split(",") if code]


# ---- slots ---------------------------------------------------------------------------------------

_TIME_SEPARATORS = re.compile(r"[\s,，、;；]+")
_TIME = re.compile(r"(\d{1,2})[:：.](\d{2})")


def parse_start_times(text: str) -> list[time]:
    """"09:30, 14:00" → [09:30, 14:00] (sorted, duplicates dropped); ValueError on anything else."""
    times = set()
    for part in _TIME_SEPARATORS.split(text or ""):
        if not part:
            continue
        match = _TIME.fullmatch(part)
        if not match or int(match.group(1)) > 23 or int(match.group(2)) > 59:
            raise ValueError(part)
        times.add(time(int(match.group(1)), int(match.group(2))))
    if not times:
        raise ValueError(text)
    return sorted(times)


def slot_rule_errors(campaign: Campaign, starts_at: datetime, ends_at: datetime, capacity: int,
                     max_party: int, closes_at: datetime | None = None, seats_taken: int = 0,
                     new: bool = True, mode: str = SlotMode.first_come,
                     draw_at: datetime | None = None, draw_changed: bool = False) -> dict[str, str]:
    """The rules every slot keeps, for a new one (``new``) or a changed one (with its seats
    taken). A ballot (SPEC §12) draws while bookings are still open, after now when its draw
    time is new (``new`` or ``draw_changed``). Returns {field: message}, empty when all hold."""
    errors: dict[str, str] = {}
    if mode not in set(SlotMode):
        errors["mode"] = _("请选择预约方式")
    elif mode == SlotMode.ballot:
        if draw_at is None:
            errors["draw_at"] = _("抽签的场次请填写抽签时间")
        elif draw_at > (closes_at or starts_at):
            errors["draw_at"] = _("抽签时间须早于预约截止时间")
        elif (new or draw_changed) and draw_at <= clock.now():
            errors["draw_at"] = _("抽签时间已过")
    first_day, last_day = campaign.starts_on, campaign.ends_on
    start_day = clock.local(starts_at).date()
    if not first_day <= start_day <= last_day:
        errors["starts_at"] = _("场次须在开放日期间（%(start)s 至 %(end)s）内",
                                start=first_day.isoformat(), end=last_day.isoformat())
    elif new and starts_at <= clock.now():
        errors["starts_at"] = _("开始时间已过")
    if ends_at <= starts_at:
        errors["ends_at"] = _("结束时间必须晚于开始时间")
    elif clock.local(ends_at - timedelta(seconds=1)).date() > last_day:
        errors["ends_at"] = _("场次须在开放日期间（%(start)s 至 %(end)s）内",
                              start=first_day.isoformat(), end=last_day.isoformat())
    if capacity is None or capacity < 1:
        errors["capacity"] = _("人数上限至少为 1")
    elif capacity > MAX_CAPACITY:
        errors["capacity"] = _("人数上限不能超过 %(n)d", n=MAX_CAPACITY)
    elif capacity < seats_taken:
        errors["capacity"] = _("人数上限不能少于已预约的 %(n)d 人", n=seats_taken)
    if max_party is None or max_party < 1:
        errors["max_party"] = _("每笔预约最多人数至少为 1")
    elif capacity is not None and capacity >= 1 and max_party > capacity:
        errors["max_party"] = _("每笔预约最多人数不能超过人数上限")
    if closes_at is not None:
        if closes_at > starts_at:
            errors["closes_at"] = _("预约截止时间不能晚于开始时间")
        elif new and closes_at <= clock.now() and "starts_at" not in errors:
            errors["closes_at"] = _("预约截止时间已过")
    return errors


def plan_slots(event: Event, day: date, start_times: list[time], duration_minutes: int,
               capacity: int, max_party: int, closes_hours: int | None = None,
               mode: str = SlotMode.first_come, draw_at: datetime | None = None) -> list[Slot]:
    """New slots of an event on one (Beijing) day, checked; RuleError, and none made, if one
    fails."""
    if event.status == EventStatus.cancelled:
        raise invalid({"status": _("活动已取消，不能再添加场次")})
    if len(start_times) > MAX_SLOTS_AT_ONCE:
        raise invalid({"start_times": _("一次最多添加 %(n)d 个场次", n=MAX_SLOTS_AT_ONCE)})
    slots: list[Slot] = []
    errors: dict[str, str] = {}
    for start in start_times:
        starts_at = clock.china_datetime(day, start.hour, start.minute).astimezone(UTC)
        ends_at = starts_at + timedelta(minutes=duration_minutes or 0)
        closes_at = starts_at - timedelta(hours=closes_hours) if closes_hours is not None else None
        found = slot_rule_errors(event.campaign, starts_at, ends_at, capacity, max_party, closes_at,
                                 mode=mode, draw_at=draw_at)
        for field, message in found.items():
            errors.setdefault(field, message)
        ballot = mode == SlotMode.ballot
        slots.append(Slot(event_id=event.id, starts_at=starts_at, ends_at=ends_at,
                          capacity=capacity, max_party=max_party, booking_closes_at=closes_at,
                          status=SlotStatus.open, mode=mode, draw_at=draw_at if ballot else None,
                          **slot_copies(event)))
    if not errors:
        taken = set(db.session.execute(
            db.select(Slot.starts_at).where(Slot.event_id == event.id,
                                            Slot.status == SlotStatus.open,
                                            Slot.starts_at.in_([s.starts_at for s in slots]))
        ).scalars())
        if taken:
            clash = "、".join(sorted(f"{clock.local(t):%H:%M}" for t in taken))
            errors["start_times"] = _("这些时间已有场次：%(times)s", times=clash)
    if errors:
        raise invalid(errors)
    return slots


def add_slots(event: Event, day: date, start_times: list[time], duration_minutes: int,
              capacity: int, max_party: int, closes_hours: int | None = None,
              mode: str = SlotMode.first_come, draw_at: datetime | None = None) -> list[Slot]:
    """Store several slots at once, all or none: planned (and so checked) again inside the write
    transaction, where no other writer adds a clashing slot meanwhile. A ballot's slots all draw
    at ``draw_at``."""
    plan_slots(event, day, start_times, duration_minutes, capacity, max_party, closes_hours,
               mode, draw_at)
    event_id = event.id

    def work() -> list[Slot]:
        slots = plan_slots(db.session.get(Event, event_id), day, start_times, duration_minutes,
                           capacity, max_party, closes_hours, mode, draw_at)
        db.session.add_all(slots)
        db.session.flush()
        for slot in slots:
            drawn = (f", ballot drawn {clock.local(slot.draw_at):%Y-%m-%d %H:%M}"
                     if slot.is_ballot else "")
            audit.record("slot.create", slot, reason=(
                f"{clock.local(slot.starts_at):%Y-%m-%d %H:%M}–{clock.local(slot.ends_at):%H:%M}, "
                f"capacity {slot.capacity}{drawn}"))
        return slots

    return write_transaction(work)


def slot_change_errors(slot: Slot, capacity: int, max_party: int,
                       closes_hours: int | None, draw_at: datetime | None = None) -> dict[str, str]:
    """The rules for changing a slot's size, booking limit and (a ballot not drawn yet) its draw
    time (its time and mode stay: citizens booked or entered them)."""
    closes_at = slot.starts_at - timedelta(hours=closes_hours) if closes_hours is not None else None
    if slot.drawn_at is not None or draw_at is None:
        draw_at = slot.draw_at
    changed = slot.drawn_at is None and draw_at != slot.draw_at
    errors = slot_rule_errors(slot.event.campaign, slot.starts_at, slot.ends_at, capacity,
                              max_party, closes_at, seats_taken=slot.seats_taken, new=False,
                              mode=slot.mode, draw_at=draw_at, draw_changed=changed)
    if slot.drawn_at is not None:
        errors.pop("draw_at", None)  # drawn: the close may now fall before it, nothing is lost
    return errors


# ---- what the lab pages read (one query a list) ------------------------------------------------

def lab_events(lab_id: int, limit: int = 200) -> list[Event]:
    return list(db.session.execute(
        db.select(Event).where(Event.lab_id == lab_id)
        .order_by(Event.created_at.desc(), Event.id.desc()).limit(limit)).scalars())


def lab_slots_between(lab_id: int, start: datetime, end: datetime | None = None,
                      limit: int = 200) -> list[Slot]:
    query = (db.select(Slot).options(joinedload(Slot.event))
             .where(Slot.lab_id == lab_id, Slot.starts_at >= start))
    if end is not None:
        query = query.where(Slot.starts_at < end)
    return list(db.session.execute(query.order_by(Slot.starts_at, Slot.id).limit(limit)).scalars())


def day_bounds(day: date) -> tuple[datetime, datetime]:
    """A Beijing day as a UTC interval [start, end)."""
    start = clock.china_datetime(day, 0).astimezone(UTC)
    return start, start + timedelta(days=1)


def todays_slots(lab_id: int) -> list[Slot]:
    return lab_slots_between(lab_id, *day_bounds(clock.today()))


@dataclass(frozen=True, slots=True)
class PageLab:
    name: str
    status: str


@dataclass(frozen=True, slots=True)
class PageEvent:
    """An event as its public page shows it: plain values from one column query. The page is
    the second most read of a campaign (every result links to one): building the Event, its
    Lab and each Slot as ORM objects was more than half its cost."""

    id: int
    lab_id: int
    kind: str
    title: str
    summary: str
    description: str
    venue_type: str
    venue_name: str
    venue_address: str
    city_adcode: str
    district_adcode: str | None
    lat: float | None
    lon: float | None
    audience: str
    accessibility: str
    testing_items: str
    what_to_bring: str
    status: str
    cancel_reason: str | None
    lab: PageLab

    def is_public(self) -> bool:
        return public_rule(self.status, self.lab.status)


@dataclass(frozen=True, slots=True)
class PageSlot(SlotRules):
    id: int
    starts_at: datetime
    ends_at: datetime
    capacity: int
    seats_taken: int
    booking_closes_at: datetime | None
    status: str
    mode: str
    draw_at: datetime | None
    drawn_at: datetime | None


_PAGE_EVENT = tuple(getattr(Event, name) for name in PageEvent.__slots__ if name != "lab")
_PAGE_SLOT = tuple(getattr(Slot, name) for name in PageSlot.__slots__)


def public_event(event_id: int, viewer_lab_id: int | None = None,
                 ending_after: datetime | None = None) -> tuple[PageEvent, list[PageSlot]] | None:
    """An event the public may see (``Event.is_public``: a cancelled one too, which says so),
    with its slots that end after ``ending_after`` (all when None), soonest first; a lab also
    sees its own drafts. Read live, seats included: two column queries."""
    row = db.session.execute(
        sa.select(*_PAGE_EVENT, Lab.name, Lab.status).join(Lab, Lab.id == Event.lab_id)
        .where(Event.id == event_id)).one_or_none()
    if row is None:
        return None
    event = PageEvent(*row[:-2], lab=PageLab(row[-2], row[-1]))
    if event.lab_id != viewer_lab_id and not event.is_public():
        return None
    conditions = [Slot.event_id == event_id]
    if ending_after is not None:
        conditions.append(Slot.ends_at > ending_after)
    slots = [PageSlot(*r) for r in db.session.execute(
        sa.select(*_PAGE_SLOT).where(*conditions).order_by(Slot.starts_at, Slot.id))]
    return event, slots

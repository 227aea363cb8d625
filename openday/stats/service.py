"""Participation totals: what a campaign reached, for regulators, the public page and the API.

Everything here reads the counters the booking service keeps on each ``Slot`` (seats taken,
bookings confirmed and waitlisted, people checked in, walk-ins) and the slot's copies of its
event's campaign, lab, city, kind and visibility. A report is ONE aggregate query per grouping over
the slot table: never ``COUNT(*)`` over bookings, never a query per row, so it stays fast with
hundreds of thousands of slots and millions of bookings.

What counts (the campaign reports these figures, so the rules are spelled out once, here):

- ``labs``, ``events``, ``slots`` and ``capacity`` count only *listed* slots (event published,
  slot open, lab approved): what the public could book. A cancelled slot or event, a draft, or a
  suspended lab's slots offer nothing.
- ``bookings`` (confirmed bookings), ``people`` (seats in them), ``waitlisted``, ``checked_in``
  and ``walk_ins`` are summed over *every* slot of the campaign. Cancelling a slot or an event
  cancels its bookings, so the booking service has already brought those counters to zero; people
  who really came (checked in, walked in) before a slot was withdrawn are still counted.
- ``visits`` (人次, the figure the campaign publishes) = ``checked_in`` + ``walk_ins``.
- ``attendance_rate`` (到场率) = people checked in / people booked, over the slots that have
  *ended* only: a slot still to come has had no chance to be attended. None when no slot has
  ended yet (pages say 未开始) or nobody had booked the ended ones. Who counts as checked in is
  :func:`checked_in_column`, the one place that says so.
- ``entries`` (ballot entries, SPEC §12: those waiting for their draw and those a draw ordered)
  and ``winners`` (entries a draw confirmed), summed over every slot of the campaign.
- ``ratings`` (visitors' ratings, SPEC §13) and ``rating``, their mean (None without any).
- ``labs`` and ``events`` are distinct counts: a lab offering a tour and a lecture is one lab in
  the totals but counts once under each kind, and an event with slots on two days counts on each
  day. So group sums equal the totals for the additive figures (slots … visits), while ``labs``
  and ``events`` summed over groups can exceed them.
- A slot belongs to the province and city of its venue (``Slot.city_adcode``), which for an
  off-site event may differ from the lab's own address; the date is the Beijing date of its start.
"""
from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import TypeVar

import sqlalchemy as sa

from openday import cache, clock
from openday.core.errors import RuleError
from openday.core.i18n import N_, _
from openday.core.scope import Scope
from openday.events.kinds import kind_name
from openday.events.models import Campaign, EventKind, Slot
from openday.events.service import current_campaign
from openday.extensions import db
from openday.geo.service import get_region, provinces
from openday.labs.models import Lab, LabStatus

GROUPINGS = ("province", "city", "kind", "date")
T = TypeVar("T")


FIGURES = ("labs", "events", "slots", "capacity", "bookings", "people", "waitlisted",
           "checked_in", "walk_ins", "visits", "entries", "winners", "ratings")
# The figures a chart or a map can show, the reader choosing one for all of them at once.
MEASURES = ("visits", "people", "bookings", "checked_in")
DEFAULT_MEASURE = "visits"

# One name per figure on every screen and export, the lab's screens' words included (现场来访).
FIGURE_LABELS = {
    "labs": N_("参与机构"), "events": N_("活动数"), "slots": N_("场次数"),
    "capacity": N_("可预约名额"), "bookings": N_("预约单数"), "people": N_("预约人数"),
    "waitlisted": N_("候补单数"), "checked_in": N_("签到人数"), "walk_ins": N_("现场来访人数"),
    "visits": N_("参与人次"), "attendance_rate": N_("到场率"),
    "entries": N_("抽签报名数"), "winners": N_("抽签中签数"), "ratings": N_("评价数"),
    "rating": N_("平均评分"),
}
# What each measure means, said where it is first shown.
MEASURE_HINTS = {
    "visits": N_("参与人次 = 签到人数 + 现场来访人数：真正到场的人次，开放日上报的数字。"),
    "people": N_("预约人数：已确认预约中的人数（一单可含多人），不含候补。"),
    "bookings": N_("预约单数：已确认的预约笔数，不含候补。"),
    "checked_in": N_("签到人数：凭预约到场并签到的人数。"),
}
ATTENDANCE_HINT = N_("到场率 = 已结束场次的签到人数 ÷ 这些场次的预约人数；未结束的场次不计。")


def checked_in_column() -> sa.ColumnElement:
    """How many people of a slot's bookings came: the ONE place the totals read check-ins from
    (to count arrivals another way, change this function)."""
    return Slot.checked_in_people
ADDITIVE = ("slots", "capacity", "bookings", "people", "waitlisted", "checked_in", "walk_ins",
            "visits", "entries", "winners", "ratings")


def _invalid(field_name: str, message: str) -> RuleError:
    """A parameter of a request for totals that cannot be answered (HTTP 400)."""
    return RuleError.on(field_name, message, status=400)


def _bad_group_by() -> RuleError:
    return _invalid("group_by", _("group_by 应为 province、city、kind 或 date。"))


class UnknownCampaign(RuleError):
    """No campaign of that year (or no current one): HTTP 404."""

    status = 404
    code = "not_found"

    def __init__(self, year: int | None = None) -> None:
        message = (_("%(year)s 年没有开放日活动。", year=year) if year
                   else _("当前没有开放日活动。"))
        super().__init__(message=message, fields={"campaign": message})


@dataclass
class Figures:
    labs: int = 0
    events: int = 0
    slots: int = 0
    capacity: int = 0
    bookings: int = 0
    people: int = 0
    waitlisted: int = 0
    checked_in: int = 0
    walk_ins: int = 0
    ended_slots: int = 0        # slots whose end has passed (what attendance is measured on)
    ended_people: int = 0       # people booked on them
    ended_checked_in: int = 0   # people of theirs checked in
    entries: int = 0
    winners: int = 0
    ratings: int = 0
    rating_points: int = 0  # the ratings' sum: their mean is ``rating``

    @property
    def visits(self) -> int:
        return self.checked_in + self.walk_ins

    @property
    def started(self) -> bool:
        """Whether any slot has ended: before that, attendance is 未开始, not 0 %."""
        return self.ended_slots > 0

    @property
    def attendance_rate(self) -> float | None:
        if not self.ended_people:
            return None
        return round(self.ended_checked_in / self.ended_people, 4)

    def value(self, measure: str) -> int:
        return getattr(self, measure)

    @property
    def rating(self) -> float | None:
        return round(self.rating_points / self.ratings, 2) if self.ratings else None

    def as_dict(self) -> dict:
        """The published figures (what the API answers): the ended-slot counts behind the rate
        and the ratings' sum behind their mean stay inside."""
        data = {k: v for k, v in asdict(self).items()
                if not k.startswith("ended_") and k != "rating_points"}
        return {**data, "visits": self.visits, "attendance_rate": self.attendance_rate,
                "rating": self.rating}


@dataclass
class Group(Figures):
    key: str = ""
    name: str = ""

    def as_dict(self) -> dict:
        return {"key": self.key, "name": self.name, **super().as_dict()}


@dataclass(frozen=True)
class CampaignInfo:
    """What a report says about its campaign: a plain snapshot, safe to keep past the session."""

    id: int
    year: int
    edition: int
    theme: str
    starts_on: date
    ends_on: date

    @classmethod
    def of(cls, campaign: Campaign) -> CampaignInfo:
        return cls(id=campaign.id, year=campaign.year, edition=campaign.edition,
                   theme=campaign.theme, starts_on=campaign.starts_on, ends_on=campaign.ends_on)


@dataclass
class Report:
    campaign: CampaignInfo
    scope: Scope                # the region the figures are limited to
    kind: str | None
    group_by: str | None
    totals: Figures
    groups: list[Group] = field(default_factory=list)

    @property
    def region(self) -> str | None:
        """The adcode of ``scope``; None for the whole country (and for no region at all)."""
        return None if self.scope.national else self.scope.adcode


# ---- scope -------------------------------------------------------------------------------------

def narrowed(scope: Scope, province: str | None) -> Scope:
    """A reader's province filter within the caller's scope: it narrows, never widens (RuleError
    400 for a code that is no province, 403 for one outside the scope)."""
    if not province:
        return scope
    region = get_region(province)
    if region is None or region.level != "province":
        raise _invalid("province", _("province 应为省级行政区划代码，例如 430000。"))
    return scope.narrow(region.adcode)


# ---- campaigns ---------------------------------------------------------------------------------

def campaigns() -> list[Campaign]:
    """Every edition, newest first (the filter's choices)."""
    return list(db.session.execute(db.select(Campaign).order_by(Campaign.year.desc())).scalars())


def find_campaign(year: int | None = None) -> Campaign:
    """The campaign of ``year``, or the current one; UnknownCampaign when there is none."""
    if year is None:
        found = current_campaign() or db.session.execute(
            db.select(Campaign).order_by(Campaign.year.desc()).limit(1)).scalar_one_or_none()
    else:
        found = db.session.execute(
            db.select(Campaign).where(Campaign.year == year)).scalar_one_or_none()
    if found is None:
        raise UnknownCampaign(year)
    return found


# ---- the aggregate query -----------------------------------------------------------------------

def _aggregates() -> list:
    """The figures as SQL aggregates over Slot, labelled like ``Figures``' fields."""
    listed = Slot.listed.is_(True)
    ended = Slot.ends_at <= clock.now()
    checked_in = checked_in_column()
    return [
        sa.func.count(sa.distinct(sa.case((listed, Slot.lab_id)))).label("labs"),
        sa.func.count(sa.distinct(sa.case((listed, Slot.event_id)))).label("events"),
        sa.func.count(sa.case((listed, Slot.id))).label("slots"),
        sa.func.coalesce(sa.func.sum(sa.case((listed, Slot.capacity), else_=0)), 0).label("capacity"),
        sa.func.coalesce(sa.func.sum(Slot.confirmed_count), 0).label("bookings"),
        sa.func.coalesce(sa.func.sum(Slot.seats_taken), 0).label("people"),
        sa.func.coalesce(sa.func.sum(Slot.waitlisted_count), 0).label("waitlisted"),
        sa.func.coalesce(sa.func.sum(checked_in), 0).label("checked_in"),
        sa.func.coalesce(sa.func.sum(Slot.walk_ins), 0).label("walk_ins"),
        sa.func.count(sa.case((ended, Slot.id))).label("ended_slots"),
        sa.func.coalesce(sa.func.sum(sa.case((ended, Slot.seats_taken), else_=0)), 0)
        .label("ended_people"),
        sa.func.coalesce(sa.func.sum(sa.case((ended, checked_in), else_=0)), 0)
        .label("ended_checked_in"),
        sa.func.coalesce(sa.func.sum(Slot.entered_count + Slot.draw_entries), 0).label("entries"),
        sa.func.coalesce(sa.func.sum(Slot.draw_winners), 0).label("winners"),
        sa.func.coalesce(sa.func.sum(Slot.rating_count), 0).label("ratings"),
        sa.func.coalesce(sa.func.sum(Slot.rating_sum), 0).label("rating_points"),
    ]


_FIELDS = tuple(f for f in FIGURES if f != "visits") + ("ended_slots", "ended_people",
                                                        "ended_checked_in", "rating_points")
_SHOWN = tuple(f for f in FIGURES if f != "visits")  # a group with none of these is left out


def _figures(row, cls=Figures, **extra) -> Figures:
    return cls(**{name: int(getattr(row, name) or 0) for name in _FIELDS}, **extra)


def beijing_date(dialect_name: str) -> sa.ColumnElement:
    """The Beijing calendar date of a slot's start, in SQL the database at hand understands.

    SQLite stores UTC as naive text and has no time zones; China has kept UTC+8 without
    daylight saving since 1991, so adding eight hours is exact there. PostgreSQL converts properly.
    """
    if dialect_name == "sqlite":
        return sa.func.date(Slot.starts_at, "+8 hours")
    return sa.cast(sa.func.timezone("Asia/Shanghai", Slot.starts_at), sa.Date)


def _group_key(group_by: str) -> sa.ColumnElement:
    if group_by == "province":
        return sa.func.substr(Slot.city_adcode, 1, 2)
    if group_by == "city":
        return Slot.city_adcode
    if group_by == "kind":
        return Slot.kind
    if group_by == "date":
        return beijing_date(db.session.get_bind().dialect.name)
    raise _bad_group_by()


def _filtered(query: sa.Select, region: Scope, kind: str | None) -> sa.Select:
    if not region.national:
        # A range on the adcode (Scope.condition), so an index on city_adcode can serve it.
        query = query.where(region.condition(Slot.city_adcode))
    if kind:
        query = query.where(Slot.kind == kind)
    return query


def _check_kind(kind: str | None) -> str | None:
    if not kind:
        return None
    if kind not in EventKind.__members__:
        raise _invalid("kind", _("kind 应为 tour、lecture、free_testing、quiz 或 training。"))
    return kind


def _roomy_sorts() -> None:
    """PostgreSQL: let this transaction's DISTINCT counts sort in memory (the default 4 MB spills
    a national campaign's slots to disk). SET LOCAL ends with the transaction."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(sa.text("SET LOCAL work_mem = '32MB'"))


def totals(campaign: Campaign | CampaignInfo, region: Scope = Scope.EVERYWHERE,
           kind: str | None = None) -> Figures:
    _roomy_sorts()
    query = _filtered(sa.select(*_aggregates()).where(Slot.campaign_id == campaign.id),
                      region, _check_kind(kind))
    return _figures(db.session.execute(query).one())


def groups(campaign: Campaign | CampaignInfo, group_by: str, region: Scope = Scope.EVERYWHERE,
           kind: str | None = None) -> list[Group]:
    """One aggregate query; groups in a stable order (adcode, kind code, date). A group with
    nothing to show (only draft events there) is left out."""
    key = _group_key(group_by).label("key")
    _roomy_sorts()
    query = _filtered(sa.select(key, *_aggregates()).where(Slot.campaign_id == campaign.id),
                      region, _check_kind(kind)).group_by(key).order_by(key)
    result = []
    for row in db.session.execute(query):
        if not any(getattr(row, name) for name in _SHOWN):
            continue  # only drafts there: nothing offered, nobody came (sums are unchanged)
        code = _key_text(group_by, row.key)
        result.append(_figures(row, Group, key=code, name=group_name(group_by, code)))
    if group_by == "kind":  # the campaign's own order of kinds, not the alphabet's
        order = list(EventKind.__members__)
        result.sort(key=lambda g: order.index(g.key) if g.key in order else len(order))
    return result


def _key_text(group_by: str, raw) -> str:
    if group_by == "province":
        return f"{raw}0000"
    if group_by == "date":
        return raw.isoformat() if isinstance(raw, date) else str(raw)
    return str(raw)


def group_name(group_by: str, key: str) -> str:
    if group_by in ("province", "city"):
        region = get_region(key)
        return region.name if region else key
    if group_by == "kind":
        return kind_name(key)
    return key


def report(year: int | None = None, group_by: str | None = "province",
           scope: Scope = Scope.EVERYWHERE, province: str | None = None,
           kind: str | None = None) -> Report:
    """Totals of a campaign (default: the current one) within a scope, and one grouping of them.

    ``scope`` is the caller's own limit (a regulator's, Scope.EVERYWHERE for the public);
    ``province`` and ``kind`` are filters chosen by the reader. Raises RuleError on bad input.
    """
    if group_by is not None and group_by not in GROUPINGS:
        raise _bad_group_by()
    kind = _check_kind(kind)
    region = narrowed(scope, province)
    campaign = find_campaign(year)
    return Report(campaign=CampaignInfo.of(campaign), scope=region, kind=kind, group_by=group_by,
                  totals=totals(campaign, region, kind),
                  groups=groups(campaign, group_by, region, kind) if group_by else [])


# ---- edition over edition ----------------------------------------------------------------------

@dataclass
class Edition(Figures):
    year: int = 0
    edition: int = 0
    theme: str = ""

    def as_dict(self) -> dict:
        return {"year": self.year, "edition": self.edition, "theme": self.theme,
                **super().as_dict()}


def editions(region: Scope = Scope.EVERYWHERE, kind: str | None = None) -> list[Edition]:
    """The totals of every campaign side by side, newest first: one query grouped by campaign."""
    _roomy_sorts()
    query = _filtered(sa.select(Slot.campaign_id, *_aggregates()).group_by(Slot.campaign_id),
                      region, _check_kind(kind))
    rows = {row.campaign_id: row for row in db.session.execute(query)}
    result = []
    for campaign in campaigns():
        extra = {"year": campaign.year, "edition": campaign.edition, "theme": campaign.theme}
        row = rows.get(campaign.id)
        result.append(_figures(row, Edition, **extra) if row else Edition(**extra))
    return result


# ---- helpers for pages -------------------------------------------------------------------------

def province_choices(scope: Scope) -> list[tuple[str, str]]:
    """Provinces a reader may filter by: all of them, the one of a provincial regulator's scope,
    or none (a city's regulator reads its city; a regulator without a scope reads nothing)."""
    return [(p.adcode, p.name) for p in provinces()
            if scope.national or (scope.level == "province" and p.adcode == scope.adcode)]


# The columns of a grouped report, as the CSV and the API give them, with the CSV's headings.
# In the order of the screen's tables, which the CSV and the xlsx keep.
SCREEN_ORDER = ("visits", "labs", "events", "slots", "capacity", "bookings", "people",
                "waitlisted", "checked_in", "walk_ins", "attendance_rate", "entries", "winners",
                "ratings", "rating")
COLUMN_LABELS = {"key": N_("代码"), "name": N_("名称"),
                 **{name: FIGURE_LABELS[name] for name in SCREEN_ORDER}}
GROUP_COLUMNS = tuple(COLUMN_LABELS)


def columns(group_by: str | None) -> tuple[str, ...]:
    """A grouped table's columns: a region keeps its adcode, a kind or a day is its name alone
    (a kind's code, ``tour``, means nothing to a reader)."""
    return GROUP_COLUMNS if group_by in ("province", "city") else GROUP_COLUMNS[1:]


def csv_header(group_by: str | None = "province") -> list[str]:
    return [_(COLUMN_LABELS[column]) for column in columns(group_by)]


def rate_text(figures: Figures) -> str:
    """到场率 as a page and the CSV show it: a percentage, 未开始 before any slot has ended."""
    if not figures.started:
        return _(N_("未开始"))
    rate = figures.attendance_rate
    return "—" if rate is None else f"{rate * 100:.1f}%"


def _cells(figures: Figures, wanted: tuple[str, ...]) -> list:
    data = figures.as_dict()
    return [rate_text(figures) if c == "attendance_rate" else data[c] for c in wanted]


def csv_rows(report_: Report) -> list[list]:
    """The table of a report as CSV rows: groups, then the totals line. Aggregates only."""
    wanted = columns(report_.group_by)
    rows = [_cells(group, wanted) for group in report_.groups]
    head = ["", _(N_("合计"))] if wanted[0] == "key" else [_(N_("合计"))]
    rows.append(head + _cells(report_.totals, wanted[len(head):]))
    return rows


def csv_document(report_: Report) -> str:
    """The report as a CSV file: a BOM (so spreadsheet software reads the Chinese as UTF-8), the
    header, the rows."""
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer)
    writer.writerow(csv_header(report_.group_by))
    writer.writerows(csv_rows(report_))
    return buffer.getvalue()


def pending_labs(scope: Scope) -> int:
    """Labs waiting for approval in a regulator's scope (the dashboard's call to action)."""
    return db.session.execute(
        sa.select(sa.func.count(Lab.id))
        .where(Lab.status == LabStatus.pending, scope.condition(Lab.district_adcode))).scalar_one()



# ---- a short cache for pages read by many ------------------------------------------------------

STATS_CACHE = "OPENDAY_STATS_CACHE_SECONDS"


def cache_seconds() -> int:
    """``OPENDAY_STATS_CACHE_SECONDS`` (default 60; 0 under TESTING unless a test sets it)."""
    return cache.seconds_for(STATS_CACHE)


def cached(compute: Callable[..., T], *args) -> T:
    """``compute(*args)``, remembered for ``cache_seconds()`` per process (``openday.cache``):
    figures a minute old are fine for totals. The service functions themselves never cache."""
    return cache.remembered(STATS_CACHE, compute, *args)


def clear_cache() -> None:
    cache.forget(STATS_CACHE)

"""Public search (SPEC §4): the one service behind ``/search`` and ``GET /api/v1/slots``.

Only *listed* slots (event published, slot open, lab approved: ``Slot.listed`` says all three,
``events.models.listed_rule``) that start in the future are ever found. Without a point the order is soonest first, paginated in SQL. With a point (``lat``/
``lon``, or the city's centre when only ``radius_km`` is given) the candidates are prefiltered
by a bounding box on the indexed ``Event.lat/lon``, measured once per distinct location with the
geodesic distance, kept within ``radius_km``, sorted nearest first, and only the page's slots
are loaded in full.
"""
from __future__ import annotations

import bisect
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from openday import cache, clock
from openday.core.errors import RuleError
from openday.core.i18n import _
from openday.events.models import Event, EventKind, Slot, public_condition, public_status
from openday.extensions import db
from openday.geo import service as geo
from openday.geo.names import current_locale, display_name, place_name
from openday.labs.models import Lab, LabStatus

DEFAULT_PER_PAGE = 20
CITY_COOKIE = "openday_city"  # the last city searched, so the home page shows what is near
MAX_PER_PAGE = 100
DEFAULT_RADIUS_KM = 50.0
MAX_RADIUS_KM = 500.0
MAX_TEXT = 100
MAX_DEPTH = 10_000  # results reachable by paging; deeper pages ask for a narrower search
KINDS = tuple(kind.value for kind in EventKind)


class SearchError(RuleError):
    """The query cannot be answered as asked. ``code`` is the API's error code (unknown_city,
    ambiguous_city, invalid), ``fields`` names the bad parameters, ``suggestions`` are regions
    the city box could have meant. The API answers 400, or 404 for an unknown city."""

    status = 400

    def __init__(self, code: str | None = None, message: Any = None,
                 fields: Mapping[str, Any] | None = None, status: int | None = None,
                 suggestions: list | None = None) -> None:
        super().__init__(code, message, fields, status)
        self.suggestions = suggestions or []


@dataclass(frozen=True)
class SearchQuery:
    city: str = ""
    district: str = ""
    kind: str = ""
    date_from: date | None = None
    date_to: date | None = None
    q: str = ""
    available: bool = False
    lat: float | None = None
    lon: float | None = None
    radius_km: float | None = None
    page: int = 1
    per_page: int = DEFAULT_PER_PAGE


@dataclass(frozen=True, slots=True)
class Listing:
    """A slot as a list of results shows it: plain values read by one column query.

    Lists are the hot path of a national campaign (every citizen's first request), so they never
    load ORM objects: building a Slot, its Event (description and all) and its Lab for each of
    twenty rows cost more than the rest of the request together.
    """

    id: int
    event_id: int
    kind: str
    title: str
    lab_id: int
    lab_name: str
    city_adcode: str
    venue_name: str
    venue_address: str
    starts_at: datetime
    ends_at: datetime
    capacity: int
    seats_taken: int
    slot_status: str
    event_status: str
    point_exact: bool  # the venue's point was set by its lab; else distances are approximate
    mode: str
    draw_at: datetime | None

    @property
    def seats_left(self) -> int:
        return max(self.capacity - self.seats_taken, 0)

    @property
    def status(self) -> str:
        """open, or cancelled (the slot or its event): what the slot's own page and API say."""
        return public_status(self.slot_status, self.event_status)

    @property
    def venue(self) -> str:
        return venue(self)


_LISTING_COLUMNS = (Slot.id, Slot.event_id, Slot.kind, Event.title, Event.lab_id, Lab.name,
                    Slot.city_adcode, Event.venue_name, Event.venue_address, Slot.starts_at,
                    Slot.ends_at, Slot.capacity, Slot.seats_taken, Slot.status, Event.status,
                    Event.point_exact, Slot.mode, Slot.draw_at)


@dataclass
class Hit:
    slot: Listing
    distance_km: float | None = None


@dataclass
class SearchResult:
    hits: list[Hit]
    total: int
    page: int
    per_page: int
    city: Any = None          # geo Region of the city searched, if any
    district: Any = None      # geo Region of the district, if any
    province: Any = None      # geo Region of the province, when a whole province is searched
    point: tuple[float, float] | None = None
    radius_km: float | None = None
    query: SearchQuery = field(default_factory=SearchQuery)

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))


# ---- parsing -------------------------------------------------------------------------------------

def _text(args: Mapping, name: str, fields: dict) -> str:
    value = args.get(name) or ""
    if not isinstance(value, str):
        fields[name] = _("格式不正确。")
        return ""
    value = value.strip()
    if len(value) > MAX_TEXT:
        fields[name] = _("内容过长。")
        return ""
    return value


def _date(args: Mapping, name: str, fields: dict) -> date | None:
    raw = _text(args, name, fields)
    if not raw:
        return None
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        fields[name] = _("日期格式应为 YYYY-MM-DD。")
        return None
    if not clock.FIRST_DAY <= day <= clock.LAST_DAY:
        fields[name] = _("日期须在 %(first)s 到 %(last)s 之间。",
                         first=clock.FIRST_DAY.isoformat(), last=clock.LAST_DAY.isoformat())
        return None
    return day


def _number(args: Mapping, name: str, fields: dict, low: float, high: float) -> float | None:
    raw = _text(args, name, fields)
    if not raw:
        return None
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or not low <= value <= high:
        fields[name] = _("数值须在 %(low)s 到 %(high)s 之间。", low=low, high=high)
        return None
    return value


def _int(args: Mapping, name: str, fields: dict, default: int, low: int) -> int:
    raw = _text(args, name, fields)
    if not raw:
        return default
    if not raw.isascii() or not raw.isdigit() or int(raw) < low:
        fields[name] = _("须为不小于 %(low)d 的整数。", low=low)
        return default
    return int(raw)


def _flag(args: Mapping, name: str) -> bool:
    value = args.get(name)
    return isinstance(value, str) and value.strip().lower() in ("1", "true", "yes", "on", "y")


def parse_args(args: Mapping) -> SearchQuery:
    """A query from URL parameters (the page's and the API's alike); SearchError on bad values."""
    args = dict(args.items())  # the first value of each; a werkzeug MultiDict raises for a missing one
    fields: dict[str, str] = {}
    query = SearchQuery(
        city=_text(args, "city", fields),
        district=_text(args, "district", fields),
        kind=_text(args, "kind", fields),
        date_from=_date(args, "date_from", fields),
        date_to=_date(args, "date_to", fields),
        q=_text(args, "q", fields),
        available=_flag(args, "available"),
        lat=_number(args, "lat", fields, -90, 90),
        lon=_number(args, "lon", fields, -180, 180),
        radius_km=_number(args, "radius_km", fields, 0, MAX_RADIUS_KM),
        page=_int(args, "page", fields, 1, 1),
        per_page=min(_int(args, "per_page", fields, DEFAULT_PER_PAGE, 1), MAX_PER_PAGE),
    )
    if (query.page - 1) * query.per_page >= MAX_DEPTH:
        fields["page"] = _("结果太多，请缩小搜索范围（如选择城市或日期）。")
    if query.kind and query.kind not in KINDS:
        fields["kind"] = _("未知的活动类型。")
    if query.date_from and query.date_to and query.date_from > query.date_to:
        fields["date_to"] = _("结束日期不能早于开始日期。")
    if (query.lat is None) != (query.lon is None) and "lat" not in fields and "lon" not in fields:
        fields["lat" if query.lat is None else "lon"] = _("经纬度须同时提供。")
    if query.radius_km is not None and query.radius_km <= 0:
        fields["radius_km"] = _("半径须大于 0。")
    if fields:
        raise SearchError("invalid", _("搜索条件有误。"), fields)
    return query


# ---- places --------------------------------------------------------------------------------------

def _resolve_city(text: str):
    try:
        return geo.resolve_city(text)
    except geo.AmbiguousCity as exc:
        names = [place_name(r, full=True) for r in exc.candidates]
        raise SearchError("ambiguous_city", _("“%(city)s”对应多个地区，请选择一个。", city=text),
                          {"city": names}, suggestions=exc.candidates) from None
    except geo.UnknownCity as exc:
        province = _province_named(text)
        if province is not None:
            return province
        names = [place_name(r) for r in exc.suggestions]
        raise SearchError("unknown_city", _("没有找到城市“%(city)s”。", city=text),
                          {"city": names}, 404, suggestions=exc.suggestions) from None


def _province_named(text: str):
    """The province ``text`` names (湖南, 湖南省, Hunan, Tibet, 430000), or None: a province in
    the city box searches the whole of it (SPEC §4)."""
    try:
        return geo.resolve_province(text)
    except geo.GeoError:
        return None


def _places(query: SearchQuery):
    """(province, city, district) regions named by the query; any may be None. A province only
    when the city box names one and no city."""
    province = city = district = None
    if query.city:
        region = _resolve_city(query.city)
        if region.level == "district":
            district, city = region, geo.city_of(region.adcode)
        elif region.level == "province":
            province = region
        else:
            city = region
    if query.district:
        text = query.district
        region = geo.get_region(text) if text.isdigit() else None
        within = city.province_adcode if city else province.adcode if province else None
        if region is None and not text.isdigit():
            try:
                region = geo.resolve_city(text, province=within)
            except geo.GeoError:
                region = None
        if region is None or region.level != "district" or (
                city is not None and geo.city_of(region.adcode).adcode != city.adcode) or (
                province is not None and region.province_adcode != province.adcode):
            raise SearchError("invalid", _("搜索条件有误。"), {"district": _("未知的区县。")})
        district, city, province = region, geo.city_of(region.adcode), None
    return province, city, district


# ---- the search ----------------------------------------------------------------------------------

def _like_pattern(term: str) -> str:
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _filters(query: SearchQuery, city, district, now: datetime,
             joined: bool = False, province=None) -> tuple[list, bool]:
    """(conditions, whether they need Event and Lab joined). Most searches filter on the slot's
    own copies (city, kind, listed, time), which its indexes answer without touching events or
    labs: ``listed`` already covers the lab's approval (kept in step by the events service)."""
    conditions = [Slot.listed == sa.true(), Slot.starts_at > now]
    if city is not None:
        conditions.append(Slot.city_adcode == city.adcode)
    if province is not None:
        # its cities' adcodes, PP0000 < code < (PP+1)0000: a range the city index answers
        conditions += [Slot.city_adcode > province.adcode,
                       Slot.city_adcode < f"{int(province.adcode[:2]) + 1:02d}0000"]
    if district is not None:
        conditions.append(Event.district_adcode == district.adcode)
        joined = True
    if query.kind:
        conditions.append(Slot.kind == query.kind)
    if query.date_from:
        conditions.append(Slot.starts_at >= clock.china_datetime(query.date_from, 0))
    if query.date_to:
        conditions.append(Slot.starts_at < clock.china_datetime(query.date_to + timedelta(days=1), 0))
    if query.available:
        conditions.append(Slot.seats_taken < Slot.capacity)
    for term in query.q.split()[:5]:
        pattern = _like_pattern(term)
        conditions.append(sa.or_(*(column.ilike(pattern, escape="\\")
                                   for column in (Event.title, Lab.name, Event.testing_items))))
        joined = True
    if joined:
        # Implied by listed, but with Lab joined anyway it lets SQLite drive a keyword search from
        # the approved labs' side (lab → event → slot) instead of walking every listed slot:
        # 0.3 s against 3 s for "食品" nationwide on 580 000 slots.
        conditions.append(Lab.status == LabStatus.approved)
    return conditions, joined


def _from(statement: sa.Select, joined: bool) -> sa.Select:
    if joined:
        statement = statement.join(Event, Event.id == Slot.event_id).join(Lab, Lab.id == Event.lab_id)
    return statement


def _listings(conditions: list, order: tuple = (), offset: int = 0,
              limit: int | None = None) -> list[Listing]:
    """The listings of the slots meeting ``conditions``, in ``order`` (one query)."""
    statement = (sa.select(*_LISTING_COLUMNS).select_from(Slot)
                 .join(Event, Event.id == Slot.event_id).join(Lab, Lab.id == Event.lab_id)
                 .where(*conditions).order_by(*order).offset(offset or None).limit(limit))
    return [Listing(*row) for row in db.session.execute(statement)]


# Spherical (haversine) and ellipsoidal (geodesic) distances differ by well under 1 %; with this
# margin the cheap one decides every case but the borderline ones, which get the exact measure.
_SPHERE_ERROR = 0.01
_EARTH_RADIUS_KM = 6371.0088


def _haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    a = (math.sin((p2 - p1) / 2) ** 2
         + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2)
    return 2 * _EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


def _nearest(events, point: tuple[float, float], radius: float, wanted: int):
    """From (event_id, lat, lon, slots) rows: how many slots lie within ``radius`` (geodesic), and
    the events, with their exact distances, that hold the ``wanted`` nearest slots.

    The geodesic is costly (~0.3 ms), so it is computed only where the haversine estimate cannot
    decide: near the radius, and for the venues that can reach the first ``wanted`` places.
    """
    exact: dict[tuple[float, float], float] = {}

    def geodesic(venue) -> float:
        if venue not in exact:
            exact[venue] = geo.distance_km(point[0], point[1], venue[0], venue[1])
        return exact[venue]

    estimates: dict[tuple[float, float], float] = {}
    inside = []  # (haversine, event_id, venue, slots)
    for event_id, lat, lon, slots in events:
        venue = (lat, lon)
        if venue not in estimates:
            estimates[venue] = _haversine_km(point[0], point[1], lat, lon)
        estimate = estimates[venue]
        if estimate * (1 - _SPHERE_ERROR) > radius:
            continue
        if estimate * (1 + _SPHERE_ERROR) > radius and geodesic(venue) > radius:
            continue
        inside.append((estimate, event_id, venue, slots))
    inside.sort()
    total = sum(item[3] for item in inside)

    # Measure nearest-first until no event left unmeasured can beat the `wanted`-th nearest slot.
    measured: list[tuple[float, int, int]] = []  # (distance, event_id, slots), kept sorted
    covered = 0
    threshold = math.inf
    for estimate, event_id, venue, slots in inside:
        if covered >= wanted:
            running = 0
            for distance, _event, count in measured:
                running += count
                if running >= wanted:
                    threshold = distance
                    break
            if estimate * (1 - _SPHERE_ERROR) > threshold:
                break
        bisect.insort(measured, (geodesic(venue), event_id, slots))
        covered += slots
    return total, {event_id: distance for distance, event_id, _n in measured if distance <= threshold}


SEARCH_CACHE = "OPENDAY_SEARCH_CACHE_SECONDS"
SEARCH_LIST_CACHE = "OPENDAY_SEARCH_LIST_SECONDS"
# Distinct searches a process remembers the found slots of: a campaign's ~300 cities, each with
# kinds, keywords and pages. A few hundred bytes each (ids, not listings).
LIST_ENTRIES = 4096


@dataclass(frozen=True)
class _Found:
    """Which slots a search found, nearest or soonest first, for one page: ids (and distances),
    the total, the places it resolved. No seats: those are read when the page is."""

    total: int
    ids: tuple[int, ...]
    distances: tuple[float | None, ...]
    city: Any
    district: Any
    province: Any
    point: tuple[float, float] | None
    radius_km: float | None


def search(query: SearchQuery) -> SearchResult:
    """Slots matching ``query``, one page of them, with the total. SearchError for an unknown or
    ambiguous city or a point that cannot be had.

    Two memories answer a campaign's readers (``openday.cache``, per process):

    - which slots the query finds, in order, and how many (``OPENDAY_SEARCH_LIST_SECONDS``,
      default 30): they change only when slots are added, and every other change is caught
      when the page is read (below);
    - the page as shown, seats and all (``OPENDAY_SEARCH_CACHE_SECONDS``, default 2): when a
      city's slots open its first page is asked for thousands of times a minute.

    Reading the page (``_page``) loads the listings of the found ids that are still listed and
    not started, with their seats, by primary key. So a list's "seats left" are at most
    ``OPENDAY_SEARCH_CACHE_SECONDS`` old, a cancelled, unpublished or started slot leaves the
    list as soon, and only a new slot and the total may take ``OPENDAY_SEARCH_LIST_SECONDS`` (and
    the 2 s of a page read just before they ended) to show. The slot's own page and the booking itself always read the database.
    """
    return cache.remembered(SEARCH_CACHE, _page, query, per_locale=False)


def _page(query: SearchQuery) -> SearchResult:
    found = cache.remembered(SEARCH_LIST_CACHE, _find, query, per_locale=False,
                             max_entries=LIST_ENTRIES)
    result = SearchResult(hits=[], total=found.total, page=query.page, per_page=query.per_page,
                          city=found.city, district=found.district, province=found.province,
                          point=found.point,
                          radius_km=found.radius_km, query=query)
    if found.ids:
        conditions = [Slot.id.in_(found.ids), Slot.listed == sa.true(), Slot.starts_at > clock.now()]
        if query.available:
            conditions.append(Slot.seats_taken < Slot.capacity)
        by_id = {listing.id: listing for listing in _listings(conditions)}
        result.hits = [Hit(by_id[slot_id], distance)
                       for slot_id, distance in zip(found.ids, found.distances) if slot_id in by_id]
    return result


def _find(query: SearchQuery) -> _Found:
    province, city, district = _places(query)
    point: tuple[float, float] | None = None
    radius = query.radius_km
    if query.lat is not None and query.lon is not None:
        point = (query.lat, query.lon)
    elif radius is not None:
        place = district or city or province
        if place is None:
            raise SearchError("invalid", _("搜索条件有误。"),
                              {"lat": _("按距离搜索需要位置或城市。")})
        point = (place.lat, place.lon)
    if point is not None and radius is None:
        radius = DEFAULT_RADIUS_KM

    conditions, joined = _filters(query, city, district, clock.now(), joined=point is not None,
                                  province=province)
    offset = (query.page - 1) * query.per_page

    def found(total: int, ids=(), distances=()) -> _Found:
        return _Found(total, tuple(ids), tuple(distances) or (None,) * len(ids), city, district,
                      province, point, radius)

    if point is None:
        total = db.session.execute(
            _from(sa.select(sa.func.count()).select_from(Slot), joined)
            .where(*conditions)).scalar_one()
        if offset >= total:
            return found(total)
        ids = db.session.execute(
            _from(sa.select(Slot.id).select_from(Slot), joined).where(*conditions)
            .order_by(Slot.starts_at, Slot.id).offset(offset or None).limit(query.per_page)).scalars()
        return found(total, list(ids))

    # Bounding box on the indexed venue coordinates first (one row per event, not per slot),
    # then distances in Python, then only the slots of the events that reach this page.
    min_lat, max_lat, min_lon, max_lon = geo.bounding_box(point[0], point[1], radius)
    conditions += [Event.lat.between(min_lat, max_lat), Event.lon.between(min_lon, max_lon)]
    events = db.session.execute(
        _from(sa.select(Event.id, Event.lat, Event.lon, sa.func.count(Slot.id)).select_from(Slot), True)
        .where(*conditions).group_by(Event.id, Event.lat, Event.lon)).all()
    total, distances = _nearest(events, point, radius, offset + query.per_page)
    if not distances or offset >= total:
        return found(total)
    # starts_at only breaks ties here: compared raw, without converting every value
    raw_start = sa.type_coerce(Slot.starts_at, sa.types.NullType())
    slots = db.session.execute(
        _from(sa.select(Slot.id, raw_start, Slot.event_id).select_from(Slot), True)
        .where(*conditions, Slot.event_id.in_(list(distances)))).all()
    page = sorted((distances[event_id], start, slot_id) for slot_id, start, event_id in slots)
    page = page[offset:offset + query.per_page]
    return found(total, [slot_id for _d, _s, slot_id in page],
                 [round(distance, 2) for distance, _s, _id in page])


# ---- presenting ----------------------------------------------------------------------------------

def iso(moment: datetime | None) -> str | None:
    """ISO 8601 in Beijing time, with its +08:00 offset (SPEC §6)."""
    return clock.local(moment).isoformat() if moment is not None else None


def venue(place: Event | Listing) -> str:
    """An event's (or a listing's) venue in one line: name (address)."""
    if place.venue_name and place.venue_address:
        return f"{place.venue_name}（{place.venue_address}）"
    return place.venue_name or place.venue_address


def slot_item(listing: Listing, distance_km: float | None = None) -> dict:
    """A slot as SPEC §6 lists it (``GET /api/v1/slots`` items)."""
    region = geo.get_region(listing.city_adcode)
    return {
        "id": listing.id,
        "event_id": listing.event_id,
        "title": listing.title,
        "kind": listing.kind,
        "lab": {"id": listing.lab_id, "name": listing.lab_name},
        "city": {"adcode": listing.city_adcode,
                 "name": display_name(region, current_locale()) if region else ""},
        "venue": listing.venue,
        "starts_at": iso(listing.starts_at),
        "ends_at": iso(listing.ends_at),
        "capacity": listing.capacity,
        "seats_left": listing.seats_left,
        "distance_km": distance_km,
        "status": listing.status,
        "mode": listing.mode,
    }


def public_slot(slot_id: int) -> Listing | None:
    """The listing of a slot the public may see (``events.models.public_rule``: a cancelled one
    too, whose ``status`` says so; past ones too); None otherwise."""
    found = _listings([Slot.id == slot_id, public_condition()])
    return found[0] if found else None


def event_description(event_id: int) -> str:
    return db.session.execute(sa.select(Event.description).where(Event.id == event_id)).scalar_one()

"""Addresses to points (SPEC §9 OPENDAY_GEOCODER).

``offline`` (the default) never leaves the process: it places an address at the gazetteer point
of its district (else city, else province). A geopy geocoder name plus ``OPENDAY_GEOCODER_API_KEY``
gives street-level points in production, always behind geopy's RateLimiter and with the offline
answer as fallback, so a slow, failing or over-quota service never blocks a lab's registration.
"""
from __future__ import annotations

import functools
import inspect
import logging
import threading
import weakref

from geopy.exc import GeopyError
from geopy.extra.rate_limiter import RateLimiter
from geopy.geocoders import get_geocoder_for_service
from geopy.geocoders.base import Geocoder
from geopy.location import Location

from openday.geo import service
from openday.geo.models import Region

log = logging.getLogger(__name__)

USER_AGENT = "openday/0.1 (national open day of testing laboratories)"
# Public geocoders allow about one request a second (Nominatim's policy says so outright);
# geocoding happens when a lab saves an address, so waiting is cheap and a ban is not.
MIN_DELAY_SECONDS = 1.0
# A network answer further than this from the district's gazetteer point is a homonymous street
# elsewhere (中山路 is everywhere): keep the district point instead. Generous, for the counties
# of 新疆 and 西藏 that are hundreds of km across.
PLAUSIBLE_KM = 300.0
# A short name followed by one of these inside an address names a street, not a place:
# 广州 北京路, 上海 南京东路, 中山路 in every city.
_STREET_AFTER = ("路", "街", "大道", "道", "巷", "里", "桥", "东路", "西路", "南路", "北路",
                 "中路")


class OfflineGeocoder(Geocoder):
    """A geopy Geocoder over the bundled gazetteer: district-level points, no network, ever.

    Points are GCJ-02 like every map shown in China; good to a few km, which is what "events near
    me" needs.
    """

    def __init__(self) -> None:
        super().__init__(user_agent=USER_AGENT)  # builds an HTTP adapter it never uses

    def geocode(self, query: str, exactly_one: bool = True, district_adcode: str | None = None,
                timeout: float | None = None) -> Location | list[Location] | None:
        """The point of ``district_adcode`` when it is known, else of the most specific region
        named in ``query`` (湖南省长沙市岳麓区麓山南路 → 岳麓区). None when nothing matches, or
        when the text names several places equally well (朝阳区 alone: 北京 or 长春?) and
        ``exactly_one`` asks for one. ``timeout`` is accepted for geopy compatibility."""
        if district_adcode:
            region = service.get_region(district_adcode)
            if region is not None:
                return _location(region) if exactly_one else [_location(region)]
        ranked = _regions_in(query or "")
        if not ranked:
            return None if exactly_one else []
        if exactly_one:
            best = [region for score, region in ranked if score == ranked[0][0]]
            return _location(best[0]) if len(best) == 1 else None
        return [_location(region) for _score, region in ranked]


def _location(region: Region) -> Location:
    return Location(service.full_name(region), (region.lat, region.lon),
                    {"adcode": region.adcode, "level": region.level, "source": "gazetteer"})


Span = tuple[int, int]
_DEPTH = {"province": 1, "city": 2, "district": 3}


def _occurrences(text: str, word: str) -> list[Span]:
    spans, start = [], text.find(word)
    while start >= 0:
        spans.append((start, start + len(word)))
        start = text.find(word, start + 1)
    return spans


@functools.cache
def _names() -> tuple[list[tuple[str, tuple[str, ...]]], list[tuple[str, tuple[str, ...]]]]:
    """(adcode, full names) and (adcode, short names that differ from the full ones), once."""
    full, short = [], []
    for region in service.regions():
        names = tuple({region.name, region.name_hant})
        n = len(region.short_name)
        full.append((region.adcode, names))
        short.append((region.adcode, tuple({region.name[:n], region.name_hant[:n]} - set(names))))
    return full, short


def _mentions(text: str) -> dict[str, dict[Span, int]]:
    """adcode → {span of the text naming it: 2 for the full name, 1 for the short name}.

    Short names only count where no full name already stands (长沙 inside 长沙市 is not 长沙县,
    沙市 inside 长沙市 is not 荆州's 沙市区) and not as the start of a street's name.
    """
    full, short = _names()
    found: dict[str, dict[Span, int]] = {}
    for code, names in full:
        for name in names:
            if name in text:
                for span in _occurrences(text, name):
                    found.setdefault(code, {})[span] = 2
    taken = [span for spans in found.values() for span in spans]
    for code, names in short:
        for name in names:
            if name not in text:
                continue
            for a, b in _occurrences(text, name):
                if text.startswith(_STREET_AFTER, b) or any(a < y and x < b for x, y in taken):
                    continue
                found.setdefault(code, {}).setdefault((a, b), 1)
    return found


def _regions_in(text: str) -> list[tuple[tuple[int, int], Region]]:
    """Regions named in the text, best first, scored by what the text says of their whole line:
    北京市朝阳区 names 110105's city and province too, 长春's 朝阳区 only itself. A region whose
    every mention is also its parent's (长沙 for 长沙县 under 长沙市) says nothing more, and is
    left out; among the rest the more specific wins."""
    mentions = _mentions(text)
    ranked = []
    for code, own in mentions.items():
        *ancestors, region = service.lineage(code)
        chain: dict[Span, int] = {}
        for ancestor in ancestors:
            # a municipality's province shares its city's name: the city is the better answer
            if ancestor.name != region.name:
                for span, weight in mentions.get(ancestor.adcode, {}).items():
                    chain[span] = max(weight, chain.get(span, 0))
        if all(span in chain for span in own):
            continue
        chain.update(own)
        ranked.append(((sum(chain.values()), _DEPTH[region.level]), region))
    ranked.sort(key=lambda item: (-item[0][0], -item[0][1], item[1].adcode))
    return ranked


# ---- configured geocoder -------------------------------------------------------------------------

def make_geocoder(name: str | None = "offline", api_key: str | None = None) -> Geocoder:
    """OfflineGeocoder for "offline" (or nothing), else the geopy geocoder of that name
    (``nominatim``, ``baidu``, ``googlev3``…) given the key and our User-Agent where it takes them.
    Raises geopy's GeocoderNotFound / ConfigurationError for a bad name or missing key."""
    if not name or name.strip().lower() == "offline":
        return OfflineGeocoder()
    cls = get_geocoder_for_service(name.strip().lower())
    accepted = inspect.signature(cls.__init__).parameters
    kwargs: dict[str, str] = {}
    if "user_agent" in accepted:
        kwargs["user_agent"] = USER_AGENT
    if api_key and "api_key" in accepted:
        kwargs["api_key"] = api_key
    return cls(**kwargs)


_configured: dict[tuple[str, str | None], Geocoder] = {}
_limiters: weakref.WeakKeyDictionary[Geocoder, RateLimiter] = weakref.WeakKeyDictionary()
_lock = threading.RLock()  # configured_geocoder() calls _offline() while holding it


def configured_geocoder() -> Geocoder:
    """The app's OPENDAY_GEOCODER (one instance per process, so its rate limit is shared), or
    the offline one outside an app context or when the configured one cannot be built."""
    from flask import current_app, has_app_context

    if not has_app_context():
        return _offline()
    name = (current_app.config.get("OPENDAY_GEOCODER") or "offline").strip().lower()
    key = current_app.config.get("OPENDAY_GEOCODER_API_KEY")
    with _lock:
        if (name, key) not in _configured:
            try:
                _configured[(name, key)] = make_geocoder(name, key)
            except GeopyError as exc:
                log.warning("geocoder %r unusable (%s); using the offline gazetteer", name, exc)
                _configured[(name, key)] = _offline()
        return _configured[(name, key)]


def _offline() -> OfflineGeocoder:
    with _lock:
        if ("offline", None) not in _configured:
            _configured[("offline", None)] = OfflineGeocoder()
        return _configured[("offline", None)]  # type: ignore[return-value]


def _rate_limited(geocoder: Geocoder) -> RateLimiter:
    with _lock:
        if geocoder not in _limiters:
            # No retries: a retry would hold the request for error_wait_seconds, and the offline
            # point is a fine answer. Errors propagate so geocode_address can fall back (and
            # RateLimiter's own retry/swallow warnings, which print the query, never fire).
            _limiters[geocoder] = RateLimiter(geocoder.geocode, min_delay_seconds=MIN_DELAY_SECONDS,
                                              max_retries=0, swallow_exceptions=False)
        return _limiters[geocoder]


def geocode_address(address: str, district_adcode: str | None,
                    geocoder: Geocoder | None = None) -> tuple[float, float] | None:
    """(lat, lon) for a lab's or venue's address in a known district (or None if unknown).

    A network geocoder is asked first with the region names in front of the street (so 中山路
    means the one in this district), rate-limited; any geopy error, no answer, or an answer
    implausibly far from the district falls back to the offline gazetteer point.
    """
    geocoder = geocoder or configured_geocoder()
    district = service.get_region(district_adcode) if district_adcode else None
    if not isinstance(geocoder, OfflineGeocoder):
        query = address
        if district is not None and not address.startswith(service.full_name(district)):
            query = service.full_name(district) + address
        try:
            found = _rate_limited(geocoder)(query)
        except GeopyError as exc:
            log.warning("geocoder %s failed (%s); using the gazetteer", type(geocoder).__name__,
                        type(exc).__name__)  # never the address: it may be a person's
            found = None
        if isinstance(found, list):
            found = found[0] if found else None
        if found is not None and (district is None or service.distance_km(
                found.latitude, found.longitude, district.lat, district.lon) <= PLAUSIBLE_KM):
            return found.latitude, found.longitude
    location = _offline().geocode(address, district_adcode=district_adcode)
    return (location.latitude, location.longitude) if location else None

"""A venue's exact point as a lab gives it: pasted coordinates, or a 高德 (Amap) or 百度 (Baidu)
map link. Every point here is GCJ-02, as the gazetteer and every map shown in China keep it;
Baidu's BD-09 is converted with the public formula (the one Baidu's own SDKs and the widely used
``coordtransform`` libraries apply; it is exact to well under a metre for this direction).
"""
from __future__ import annotations

import math
import re
import unicodedata
from urllib.parse import parse_qs, urlsplit

__all__ = ["bd09_to_gcj02", "gcj02_to_bd09", "parse_point"]

_X_PI = math.pi * 3000.0 / 180.0
# Where a point in China can be (with its seas): a pair outside is a typo or lon/lat swapped.
CHINA_LAT = (3.0, 54.0)
CHINA_LON = (73.0, 136.0)
POINT_TEXT_MAX = 2000
_PAIR = re.compile(r"\s*(-?\d{1,3}(?:\.\d+)?)\s*[,，\s]\s*(-?\d{1,3}(?:\.\d+)?)\s*")
_BAIDU_HOSTS = ("map.baidu.com", "api.map.baidu.com", "j.map.baidu.com")
_AMAP_HOSTS = ("amap.com", "uri.amap.com", "m.amap.com", "ditu.amap.com", "www.amap.com",
               "gaode.com", "www.gaode.com")


def bd09_to_gcj02(lat: float, lon: float) -> tuple[float, float]:
    """A Baidu (BD-09) point as GCJ-02, (lat, lon) in and out."""
    x, y = lon - 0.0065, lat - 0.006
    z = math.sqrt(x * x + y * y) - 0.00002 * math.sin(y * _X_PI)
    theta = math.atan2(y, x) - 0.000003 * math.cos(x * _X_PI)
    return z * math.sin(theta), z * math.cos(theta)


def gcj02_to_bd09(lat: float, lon: float) -> tuple[float, float]:
    """A GCJ-02 point as Baidu's BD-09, (lat, lon) in and out (the inverse of the above)."""
    z = math.sqrt(lon * lon + lat * lat) + 0.00002 * math.sin(lat * _X_PI)
    theta = math.atan2(lat, lon) + 0.000003 * math.cos(lon * _X_PI)
    return z * math.sin(theta) + 0.006, z * math.cos(theta) + 0.0065


def _in_china(lat: float, lon: float) -> bool:
    return CHINA_LAT[0] <= lat <= CHINA_LAT[1] and CHINA_LON[0] <= lon <= CHINA_LON[1]


def _pair(text: str, lon_first: bool | None) -> tuple[float, float] | None:
    """(lat, lon) from "a, b"; ``lon_first`` None guesses the order from China's ranges (a
    latitude there is never above 54, a longitude never below 73)."""
    match = _PAIR.fullmatch(text)
    if match is None:
        return None
    a, b = float(match.group(1)), float(match.group(2))
    if lon_first is None:
        lon_first = not _in_china(a, b) and _in_china(b, a)
    lat, lon = (b, a) if lon_first else (a, b)
    return (lat, lon) if _in_china(lat, lon) else None


def _amap(query: dict[str, list[str]]) -> tuple[float, float] | None:
    # uri.amap.com/marker?position=lon,lat · m.amap.com/navi/?dest=lon,lat · ?lnglat=lon,lat
    for key in ("position", "dest", "lnglat", "center"):
        if key in query:
            return _pair(query[key][0], lon_first=True)
    if "lng" in query and "lat" in query:
        return _pair(f"{query['lat'][0]},{query['lng'][0]}", lon_first=False)
    if "q" in query:  # ?q=lat,lon,name (the "share location" form)
        return _pair(",".join(query["q"][0].split(",")[:2]), lon_first=None)
    return None


def _baidu(query: dict[str, list[str]]) -> tuple[float, float] | None:
    # api.map.baidu.com/marker?location=lat,lng&coord_type=bd09ll · map.baidu.com/?latlng=lat,lng
    for key in ("location", "latlng"):
        if key in query:
            point = _pair(query[key][0], lon_first=False)
            break
    else:
        return None
    if point is None:
        return None
    coord_type = (query.get("coord_type") or query.get("coordtype") or ["bd09ll"])[0].lower()
    if coord_type in ("gcj02", "gcj02ll"):
        return point
    if coord_type not in ("bd09ll", "bd09"):
        return None  # a datum we do not convert (wgs84, Mercator): refused, not misplaced
    return bd09_to_gcj02(*point)


def parse_point(raw: str) -> tuple[float, float]:
    """(lat, lon) in GCJ-02 from what a lab pasted: "28.19, 112.97" (or "112.97,28.19"), an
    Amap link carrying a position, or a Baidu link carrying a location (BD-09, converted).
    Raises ValueError for anything else, a point outside China included."""
    if not isinstance(raw, str) or len(raw) > POINT_TEXT_MAX:
        raise ValueError("not a point")
    text = unicodedata.normalize("NFKC", raw).strip()
    point = None
    if "://" in text or text.startswith(("uri.amap", "map.baidu", "api.map.baidu", "www.amap")):
        parts = urlsplit(text if "://" in text else "https://" + text)
        host = (parts.hostname or "").lower()
        query = parse_qs(parts.query)
        if host in _BAIDU_HOSTS or host.endswith(".map.baidu.com"):
            point = _baidu(query)
        elif host in _AMAP_HOSTS or host.endswith(".amap.com"):
            point = _amap(query)
    else:
        point = _pair(text, lon_first=None)
    if point is None:
        raise ValueError("no point in China found")
    return round(point[0], 6), round(point[1], 6)

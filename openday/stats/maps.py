"""The choropleth's regions: which region of a vendored map stands for which adcode.

The maps are echarts 4.9.0's GeoJSON of China (``static/vendor/geo/100000.json``, by province)
and of each province (``<province adcode>.json``, by city; a municipality's by district), put
there by ``make vendor``. ECharts matches a series' data to a map's regions by *name*, and the
maps' names are short (河北, 内蒙古) where the gazetteer's are full (河北省, 内蒙古自治区), so each
region is matched to a gazetteer region by name: equal, or the gazetteer's name starting with the
map's. The data the page gets is then keyed by the map's own names.
"""
from __future__ import annotations

import functools
import json
from pathlib import Path

from flask import current_app

from openday.geo.models import MUNICIPALITIES
from openday.geo.service import children, get_region, provinces

COUNTRY = "100000"


def _path(adcode: str) -> Path:
    return Path(current_app.static_folder) / "vendor" / "geo" / f"{adcode}.json"


def static_name(adcode: str) -> str:
    """The map's path under static/ (for ``url_for('static', filename=...)``)."""
    return f"vendor/geo/{adcode}.json"


def has_map(adcode: str) -> bool:
    return _path(adcode).is_file()


@functools.cache
def _features(path: str) -> tuple[tuple[str, str | None], ...]:
    with open(path, encoding="utf-8") as handle:
        return tuple((f["properties"]["name"], str(f["id"]) if f.get("id") else None)
                     for f in json.load(handle)["features"])


def map_names(adcode: str) -> tuple[str, ...]:
    """The names of the regions of the map of ``adcode`` (COUNTRY: the provinces)."""
    return tuple(name for name, _id in _features(str(_path(adcode))))


def _match(name: str, candidates) -> str | None:
    for region in candidates:
        if region.name == name:
            return region.adcode
    for region in candidates:
        if region.name.startswith(name) or name.startswith(region.name):
            return region.adcode
    return None


def regions_of(adcode: str) -> dict[str, str]:
    """{gazetteer adcode: the map's name for it} for the map of ``adcode``: the country's
    provinces, or a province's cities."""
    candidates = provinces() if adcode == COUNTRY else children(adcode)
    matched: dict[str, str] = {}
    for name in map_names(adcode):
        code = _match(name, candidates)
        if code is not None:
            matched.setdefault(code, name)
    return matched


def drillable(adcode: str) -> bool:
    """Whether a province's map is worth opening: its map divides it into cities. A
    municipality's divides it into districts, which the figures (by city) do not reach."""
    region = get_region(adcode)
    return (region is not None and region.level == "province" and adcode not in MUNICIPALITIES
            and has_map(adcode))


def series(adcode: str, groups, measures) -> list[dict]:
    """The map series' data for the map of ``adcode`` from groups keyed by adcode: one item per
    region of the map, its value per measure (0 where nothing happened). A region the gazetteer
    has not (台湾, 香港, 澳门: no lab registers there) keeps the map's own code and stays at 0."""
    by_key = {g.key: g for g in groups}
    matched = {name: code for code, name in regions_of(adcode).items()}
    items = []
    for name, own_code in _features(str(_path(adcode))):
        code = matched.get(name, own_code)
        group = by_key.get(code) if name in matched else None
        item = {"name": name, "adcode": code, "drill": adcode == COUNTRY and drillable(code)}
        for measure in measures:
            item[measure] = group.value(measure) if group else 0
        items.append(item)
    return items

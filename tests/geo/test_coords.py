"""Pasted venue points (geo.coords): coordinates and map links, Baidu's BD-09 turned into GCJ-02."""
from __future__ import annotations

import pytest

from openday.geo.coords import bd09_to_gcj02, gcj02_to_bd09, parse_point

# Published pairs: wandergis/coordtransform's own test (天安门, test/app.js) and 北京站 (the
# example of the R package "cst"): BD-09 → GCJ-02.
KNOWN = [
    ((39.915, 116.404), (39.90865673957631, 116.39762729119315)),
    ((39.90851, 116.43351), (39.90245, 116.42703)),
]


@pytest.mark.parametrize(("bd09", "gcj02"), KNOWN)
def test_bd09_becomes_the_published_gcj02_point(bd09, gcj02):
    lat, lon = bd09_to_gcj02(*bd09)
    assert lat == pytest.approx(gcj02[0], abs=2e-5) and lon == pytest.approx(gcj02[1], abs=2e-5)


def test_gcj02_to_bd09_matches_the_published_pair_and_round_trips():
    assert gcj02_to_bd09(39.915, 116.404) == pytest.approx((39.92133699351021, 116.41036949371029))
    back = bd09_to_gcj02(*gcj02_to_bd09(28.19, 112.97))
    assert back == pytest.approx((28.19, 112.97), abs=1e-5)  # well under 2 m


@pytest.mark.parametrize("text", [
    "28.19, 112.97", "28.19,112.97", "28.19，112.97", " 28.19 112.97 ", "112.97, 28.19",
    "２８.１９, １１２.９７",
    "https://uri.amap.com/marker?position=112.97,28.19&name=%E5%B2%B3%E9%BA%93",
    "https://m.amap.com/navi/?dest=112.97,28.19&destName=x",
    "uri.amap.com/marker?position=112.97,28.19",
    "https://www.amap.com/regeo?lng=112.97&lat=28.19",
])
def test_coordinates_and_amap_links_are_taken_as_gcj02(text):
    assert parse_point(text) == (28.19, 112.97)


def test_baidu_links_are_converted_from_bd09():
    expected = tuple(round(v, 6) for v in bd09_to_gcj02(39.915, 116.404))
    assert parse_point("https://api.map.baidu.com/marker?location=39.915,116.404&title=x"
                       "&coord_type=bd09ll&output=html") == expected
    assert parse_point("https://map.baidu.com/?latlng=39.915,116.404") == expected
    # a Baidu link that says its point is GCJ-02 already is not converted twice
    assert parse_point("https://api.map.baidu.com/marker?location=39.915,116.404"
                       "&coord_type=gcj02") == (39.915, 116.404)


@pytest.mark.parametrize("text", [
    "", "abc", "1, 2", "48.85, 2.35", "28.19", "28.19, 112.97, 3", "https://www.amap.com/place/B0FFG",
    "https://surl.amap.com/3abc", "https://map.baidu.com/@12570000,3250000,19z",
    "https://api.map.baidu.com/marker?location=39.915,116.404&coord_type=wgs84",
    "https://example.com/?position=112.97,28.19", None, "9" * 3000,
])
def test_anything_else_is_refused(text):
    with pytest.raises(ValueError):
        parse_point(text)

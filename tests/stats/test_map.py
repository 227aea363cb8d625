"""The choropleth: its GeoJSON is served from static/ (vendored, never a CDN), every province of the
gazetteer has a region on the country's map, and a province drills into its cities."""
from __future__ import annotations

import json
import re

import pytest

from openday.geo.models import MUNICIPALITIES
from openday.geo.service import children, provinces
from openday.stats import maps


@pytest.fixture
def country(app):
    with app.app_context():
        yield maps.regions_of(maps.COUNTRY)


def test_every_gazetteer_province_has_a_region_on_the_map(app, country):
    with app.app_context():
        assert {p.adcode for p in provinces()} <= set(country), \
            {p.adcode: p.name for p in provinces()} .keys() - set(country)
        # Matched by name: the map's short names stand for the gazetteer's full ones.
        assert country["150000"] == "内蒙古" and country["450000"] == "广西"


def test_the_maps_include_taiwan_and_the_south_china_sea_islands(app, client):
    body = client.get("/static/vendor/geo/100000.json")
    assert body.status_code == 200
    china = json.loads(body.get_data())
    assert "台湾" in [f["properties"]["name"] for f in china["features"]]
    # 三沙市 (the Xisha, Zhongsha and Nansha islands) is on Hainan's map as the islands
    # themselves, and on the country's map ECharts draws the 南海诸岛 inset for a map
    # registered as "china", which static/js/stats.js does.
    hainan = json.loads(client.get("/static/vendor/geo/460000.json").get_data())
    sansha = next(f for f in hainan["features"] if f["properties"]["name"] == "三沙市")
    assert sansha["geometry"]["type"] == "MultiPolygon" and len(sansha["geometry"]["coordinates"]) > 100
    with open("static/js/stats.js", encoding="utf-8") as handle:
        assert '"china"' in handle.read()


def test_each_province_with_cities_drills_into_its_cities(app, client):
    with app.app_context():
        for province in provinces():
            if province.adcode in MUNICIPALITIES or not children(province.adcode):
                continue
            if not maps.has_map(province.adcode):
                continue
            assert client.get(f"/static/{maps.static_name(province.adcode)}").status_code == 200
            cities = maps.regions_of(province.adcode)
            gazetteer = {c.adcode for c in children(province.adcode)}
            assert set(cities) <= gazetteer
            # Most of a province's cities are on its map (the gazetteer is newer for a few).
            assert len(cities) >= len(gazetteer) * 0.6, province.name


def test_the_page_draws_the_map_from_static(client, db, world, national):
    html = client.get("/regulator/stats").get_data(as_text=True)
    data = json.loads(re.search(r'<script type="application/json" id="stats-data">(.*?)</script>',
                                html, re.S).group(1))
    assert data["map"]["url"] == "/static/vendor/geo/100000.json" and data["map"]["name"] == "china"
    regions = {r["adcode"]: r for r in data["map"]["regions"]}
    assert regions["430000"]["name"] == "湖南" and regions["430000"]["drill"] is True
    assert regions["310000"]["drill"] is False  # a municipality's map is by district
    # Regions the gazetteer has not are drawn too, at 0.
    assert regions["710000"]["name"] == "台湾" and regions["710000"]["visits"] == 0
    assert data["drill"].startswith("/regulator/stats/map.json")
    assert 'id="chart-map"' in html


def test_drilling_into_a_province_answers_its_cities(client, db, world, national):
    body = client.get("/regulator/stats/map.json?province=430000").get_json()
    assert body["url"] == "/static/vendor/geo/430000.json" and body["title"] == "湖南省"
    cities = {r["adcode"]: r for r in body["regions"]}
    assert cities["430100"]["name"] == "长沙市" and cities["430100"]["visits"] > 0
    assert cities["430200"]["people"] > 0 and cities["430300"]["people"] == 0
    public = client.get("/participation/map.json?province=430000").get_json()
    assert public["regions"] == body["regions"]
    for bad in ("", "430100", "abc", "310000"):
        answer = client.get(f"/participation/map.json?province={bad}")
        assert answer.status_code == 400 and answer.get_json()["error"]["code"]


def test_a_provincial_regulator_cannot_drill_elsewhere(client, db, world, hunan):
    assert client.get("/regulator/stats/map.json?province=310000").status_code in (400, 403)

"""resolve_city / suggest_cities: what people type, in any script, to one region (SPEC §4)."""
from __future__ import annotations

import math

import pytest
from geopy.distance import geodesic

from openday.core.errors import RuleError
from openday.geo import service
from openday.geo.service import AmbiguousCity, GeoError, UnknownCity


@pytest.mark.parametrize("text", ["长沙", "長沙", "长沙市", "長沙市", "changsha", "Changsha",
                                  "Chang Sha", " CHANGSHA ", "Chángshā", "430100", "430104"])
def test_every_way_of_writing_changsha_resolves_to_430100(text):
    assert service.resolve_city(text).adcode == "430100"


@pytest.mark.parametrize("text, adcode", [
    ("北京", "110100"), ("beijing", "110100"), ("北京市", "110100"), ("110000", "110100"),
    ("重庆", "500100"), ("500229", "500100"), ("上海", "310100"), ("xi'an", "610100"),
    ("仙桃", "429004"), ("神农架", "429021"), ("延边", "222400"), ("吕梁", "141100"),
    ("lvliang", "141100"), ("吉林", "220200"), ("朝阳", "211300"),
])
def test_resolves_cities_by_name_pinyin_and_code(text, adcode):
    assert service.resolve_city(text).adcode == adcode


def test_a_district_name_resolves_to_the_district_and_city_of_gives_its_city():
    pudong = service.resolve_city("浦东")
    assert pudong.adcode == "310115" and pudong.level == "district"
    assert service.resolve_city("浦東新區") == pudong
    assert service.city_of(pudong.adcode).adcode == "310100"


def test_city_ranks_before_the_county_of_the_same_stem():
    assert service.resolve_city("长沙").adcode == "430100"
    assert service.resolve_city("长沙县").adcode == "430121"
    codes = [r.adcode for r in service.suggest_cities("长沙")]
    assert codes.index("430100") < codes.index("430121")


def test_pinyin_matches_whole_syllables_only():
    assert service.resolve_city("changsha").adcode == "430100"
    assert service.resolve_city("changshan").adcode == "330822"  # 常山县, not 长沙
    assert service.resolve_city("常山").adcode == "330822"
    with pytest.raises(UnknownCity) as excinfo:
        service.resolve_city("chang")  # a prefix of changsha, not a name
    assert "430100" in {r.adcode for r in excinfo.value.suggestions}


def test_same_named_districts_are_ambiguous_unless_a_province_is_given():
    with pytest.raises(AmbiguousCity) as excinfo:
        service.resolve_city("朝阳区")
    assert {r.adcode for r in excinfo.value.candidates} == {"110105", "220104"}
    assert service.resolve_city("朝阳区", province="北京").adcode == "110105"
    assert service.resolve_city("朝阳区", province="110000").adcode == "110105"
    assert service.resolve_city("朝阳区", province="吉林省").adcode == "220104"
    assert service.resolve_city("朝阳区", province="jilin").adcode == "220104"


def test_same_named_cities_are_ambiguous_too():
    with pytest.raises(AmbiguousCity) as excinfo:
        service.resolve_city("suzhou")  # 苏州 and 宿州
    assert {r.adcode for r in excinfo.value.candidates} == {"320500", "341300"}
    assert service.resolve_city("suzhou", province="江苏").adcode == "320500"


def test_a_province_name_is_not_a_city_but_suggests_its_cities():
    with pytest.raises(UnknownCity) as excinfo:
        service.resolve_city("海南")  # not 乌海's 海南区, nor 青海's 海南藏族自治州
    assert excinfo.value.suggestions[0].adcode == "460100"
    assert [r.adcode for r in service.suggest_cities("湖南", limit=2)] == ["430100", "430200"]


@pytest.mark.parametrize("text, expected", [("长砂", "430100"), ("changshaa", "430100"),
                                            ("zhengzhuo", "410100")])
def test_unknown_names_come_with_close_suggestions(text, expected):
    with pytest.raises(UnknownCity) as excinfo:
        service.resolve_city(text)
    assert expected in [r.adcode for r in excinfo.value.suggestions]
    assert len(excinfo.value.suggestions) <= 5


@pytest.mark.parametrize("text", ["", "   ", "xyzzy", "999999", "香港"])
def test_unknown_is_a_geo_error_and_a_rule_error(text):
    with pytest.raises(UnknownCity) as excinfo:
        service.resolve_city(text)
    assert isinstance(excinfo.value, GeoError) and isinstance(excinfo.value, RuleError)
    assert (excinfo.value.code, excinfo.value.status) == ("unknown_city", 404)


def test_suggest_puts_cities_first_and_ignores_blank_queries():
    assert service.suggest_cities("") == [] and service.suggest_cities("  ") == []
    found = service.suggest_cities("chang", limit=20)
    levels = [r.level for r in found]
    assert levels == sorted(levels, key=["city", "district"].index)
    assert "430100" in [r.adcode for r in found]
    assert len(service.suggest_cities("长", limit=3)) == 3


@pytest.mark.parametrize("q", ["长沙", "長沙", "长沙市", "changsha", "Changsha"])
def test_suggest_answers_changsha_first(q):
    assert service.suggest_cities(q)[0].adcode == "430100"


def test_suggest_filters_by_province():
    assert {r.province_adcode for r in service.suggest_cities("chaoyang", province="北京")} == \
        {"110000"}
    with pytest.raises(UnknownCity):
        service.suggest_cities("长沙", province="火星")


def test_lookups_by_adcode():
    assert service.city_of("110105").adcode == "110100"
    assert service.city_of("110000").adcode == "110100"
    assert service.city_of("430104").adcode == "430100"
    assert service.city_of("430000") is None and service.city_of("000000") is None
    assert service.province_of("429004").adcode == "420000"
    assert service.full_name(service.get_region("430104")) == "湖南省长沙市岳麓区"
    assert service.full_name(service.get_region("110105")) == "北京市朝阳区"


def test_distance_is_geodesic():
    # 长沙 to 北京, about 1,340 km
    assert 1300 < service.distance_km(28.2281, 112.9389, 39.9042, 116.4074) < 1380
    assert service.distance_km(28.0, 113.0, 28.0, 113.0) == 0


@pytest.mark.parametrize("lat, lon, radius", [(28.23, 112.94, 10), (53.0, 122.5, 50),
                                              (18.25, 109.5, 200), (0.0, 100.0, 5)])
def test_bounding_box_contains_the_whole_circle(lat, lon, radius):
    min_lat, max_lat, min_lon, max_lon = service.bounding_box(lat, lon, radius)
    for bearing in range(0, 360, 5):
        point = geodesic(kilometers=radius).destination((lat, lon), bearing)
        assert min_lat <= point.latitude <= max_lat and min_lon <= point.longitude <= max_lon
    # and not wastefully large
    assert (max_lat - min_lat) < 2 * radius / 110.0 * 1.05
    assert (max_lon - min_lon) < 2 * radius / (111.0 * math.cos(math.radians(abs(lat) + 2))) * 1.1


def test_repeated_questions_get_the_same_answers_and_fresh_errors():
    """resolve_city remembers answers; a repeat must raise the same error, not a shared one."""
    assert service.resolve_city("长沙市") is service.resolve_city("长沙市")
    errors = []
    for _ in range(2):
        with pytest.raises(UnknownCity) as excinfo:
            service.resolve_city("长砂")
        errors.append(excinfo.value)
    assert errors[0] is not errors[1] and errors[0].text == errors[1].text == "长砂"
    assert errors[0].suggestions == errors[1].suggestions
    errors[0].suggestions.clear()  # a caller changing its list changes nobody else's
    with pytest.raises(UnknownCity) as excinfo:
        service.resolve_city("长砂")
    assert "430100" in [r.adcode for r in excinfo.value.suggestions]
    for _ in range(2):
        with pytest.raises(AmbiguousCity) as excinfo:
            service.resolve_city("朝阳区")
        assert {r.adcode for r in excinfo.value.candidates} == {"110105", "220104"}
    with pytest.raises(UnknownCity) as excinfo:  # the unknown province is what is named
        service.resolve_city("朝阳区", province="xyzzy")
    assert excinfo.value.text == "xyzzy"

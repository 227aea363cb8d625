"""Places in the reader's language, and the English names people type (SPEC §4, issue 16)."""
from __future__ import annotations

import pytest

from openday.geo import exonyms, names, service
from openday.geo.names import display_full_name, display_name, english_name


@pytest.fixture
def backend() -> str:
    """Names come from the bundled gazetteer, never the database: one backend is enough."""
    return "sqlite"


def region(code: str):
    return service.get_region(code)


@pytest.mark.parametrize("code, hans, hant, en", [
    ("430100", "长沙市", "長沙市", "Changsha"),
    ("430104", "岳麓区", "嶽麓區", "Yuelu District"),
    ("430121", "长沙县", "長沙縣", "Changsha County"),
    ("430000", "湖南省", "湖南省", "Hunan"),
    ("110100", "北京市", "北京市", "Beijing"),
    ("310115", "浦东新区", "浦東新區", "Pudong New Area"),
    ("610100", "西安市", "西安市", "Xi'an"),
    ("141100", "吕梁市", "呂梁市", "Lüliang"),
    ("650100", "乌鲁木齐市", "烏魯木齊市", "Urumqi"),
    ("150000", "内蒙古自治区", "內蒙古自治區", "Inner Mongolia"),
    ("540000", "西藏自治区", "西藏自治區", "Tibet"),
    ("610000", "陕西省", "陝西省", "Shaanxi"),
    ("140000", "山西省", "山西省", "Shanxi"),
    ("222400", "延边朝鲜族自治州", "延邊朝鮮族自治州", "Yanbian Korean Autonomous Prefecture"),
    ("530926", "耿马傣族佤族自治县", "耿馬傣族佤族自治縣", "Gengma Dai and Va Autonomous County"),
    ("429021", "神农架林区", "神農架林區", "Shennongjia Forestry District"),
    ("140108", "尖草坪区", "尖草坪區", "Jiancaoping District"),
    ("152500", "锡林郭勒盟", "錫林郭勒盟", "Xilingol League"),
])
def test_a_place_in_each_language(code, hans, hant, en):
    place = region(code)
    assert (display_name(place, "zh_Hans"), display_name(place, "zh_Hant"),
            display_name(place, "en")) == (hans, hant, en)


def test_a_short_name_is_still_a_district_in_english():
    assert english_name(region("140302")) == "Cheng District"  # 阳泉's 城区: too short a stem
    assert english_name(region("140105")) == "Xiaodian District"
    assert english_name(region("140109")) == "Wanbailin District"  # a 区, not a 林区


def test_full_names_read_from_the_province_down_in_chinese_and_up_in_english():
    yuelu = region("430104")
    assert display_full_name(yuelu, "zh_Hans") == "湖南省长沙市岳麓区"
    assert display_full_name(yuelu, "zh_Hant") == "湖南省長沙市嶽麓區"
    assert display_full_name(yuelu, "en") == "Yuelu District, Changsha, Hunan"
    assert display_full_name(region("110105"), "en") == "Chaoyang District, Beijing"


def test_every_place_has_an_english_name_of_latin_letters():
    for place in service.regions():
        name = english_name(place)
        assert name and name[0].isupper() and name.isascii() or "ü" in name, place


def test_the_filter_takes_a_region_or_an_adcode_and_speaks_chinese_outside_a_request():
    assert names.place_name(region("430104")) == "岳麓区"
    assert names.place_name("430104") == "岳麓区"
    assert names.place_name("430104", full=True) == "湖南省长沙市岳麓区"
    assert names.place_name("999999") == "999999" and names.place_name(None) == ""


def test_the_filter_follows_the_page_language(app):
    # each in an app context of its own: a request's language is remembered on flask.g
    with app.app_context(), app.test_request_context("/?lang=en"):
        assert names.place_name("430104") == "Yuelu District"
    with app.app_context(), app.test_request_context("/", headers={"Accept-Language": "zh-TW"}):
        assert names.place_name("430104") == "嶽麓區"
    with app.app_context(), app.test_request_context("/"):
        assert app.jinja_env.from_string("{{ '430100'|place_name }}").render() == "长沙市"


@pytest.mark.parametrize("text, adcode", [
    ("Urumqi", "650100"), ("Ürümqi", "650100"), ("Hohhot", "150100"), ("Harbin", "230100"),
    ("Lhasa", "540100"), ("Xi'an", "610100"), ("Xian", "610100"), ("Kashgar", "653100"),
    ("Shigatse", "540200"), ("Canton", "440100"), ("Peking", "110100"),
    ("Changsha City", "430100"), ("Yuelu District", "430104"), ("Changsha County", "430121"),
    ("Lüliang", "141100"), ("Pudong New Area", "310115"),
])
def test_english_names_people_type_resolve(text, adcode):
    assert service.resolve_city(text).adcode == adcode


@pytest.mark.parametrize("text, adcode", [
    ("Inner Mongolia", "150000"), ("Tibet", "540000"), ("Xizang", "540000"),
    ("Shaanxi", "610000"), ("Shanxi", "140000"), ("Xinjiang", "650000"), ("Guangxi", "450000"),
    ("Ningxia", "640000"), ("Hunan Province", "430000"), ("湖南", "430000"),
])
def test_english_province_names_resolve(text, adcode):
    assert service.resolve_province(text).adcode == adcode


def test_the_exonym_table_names_places_of_the_gazetteer():
    for code in {**exonyms.ENGLISH, **exonyms.ALIASES}:
        assert service.get_region(code) is not None, code
    for code, spelled in exonyms.ALIASES.items():
        for text in spelled:
            place = region(code)
            found = (service.resolve_province(text) if place.level == "province"
                     else service.resolve_city(text))
            assert found == place, text


@pytest.mark.parametrize("text, adcode", [
    ("长沙市岳麓区", "430104"), ("湖南长沙", "430100"), ("湖南省长沙市", "430100"),
    ("湖南省长沙市岳麓区", "430104"), ("長沙市嶽麓區", "430104"), ("湖南長沙", "430100"),
    ("北京市朝阳区", "110105"), ("吉林朝阳区", "220104"), ("hunan changsha", "430100"),
    ("Yuelu District, Changsha", "430104"), ("changsha yuelu", "430104"),
])
def test_a_place_named_with_its_province_or_city_resolves(text, adcode):
    assert service.resolve_city(text).adcode == adcode


def test_a_compound_that_does_not_nest_is_unknown():
    with pytest.raises(service.UnknownCity):
        service.resolve_city("湖南浦东")  # 浦东 is in 上海
    with pytest.raises(service.UnknownCity):
        service.resolve_city("长沙市朝阳区")
    with pytest.raises(service.UnknownCity):  # a province alone is still not a city
        service.resolve_city("Tibet")

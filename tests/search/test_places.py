"""Places in search (SPEC §4, issue 16): a province searches all of it; English names and
compound names find their place; pages and the API name places in the reader's language."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest

from openday import clock
from openday.events import search


@pytest.fixture
def hunan(world, create_lab, create_event, create_slot):
    """Beside the world's 长沙 and 上海: a slot in 株洲 (湖南) and one in 武汉 (湖北)."""
    zhuzhou = create_lab(name="株洲市产品质量监督检验所", city="430200", district="430202",
                         lat=27.8274, lon=113.1340)
    wuhan = create_lab(name="武汉市产品质量监督检验所", city="420100", district="420102",
                       lat=30.5928, lon=114.3055)
    later = clock.china_datetime(world.day + timedelta(days=4), 9)
    return {
        "zhuzhou": create_slot(event=create_event(lab=zhuzhou, title="株洲开放日"), starts_at=later),
        "wuhan": create_slot(event=create_event(lab=wuhan, title="武汉开放日"), starts_at=later),
    }


def found(**args) -> list[int]:
    result = search.search(search.parse_args({k: str(v) for k, v in args.items()}))
    return [hit.slot.id for hit in result.hits]


@pytest.mark.parametrize("text", ["湖南", "湖南省", "hunan", "Hunan Province", "430000"])
def test_a_province_searches_all_of_its_cities(world, hunan, text):
    changsha = [world.yuelu.id, world.furong_full.id, world.furong.id]
    assert found(city=text) == changsha + [hunan["zhuzhou"].id]
    result = search.search(search.parse_args({"city": text}))
    assert result.province.adcode == "430000" and result.city is None


def test_a_province_with_a_district_filter_keeps_to_the_province(world, hunan):
    assert found(city="湖南", district="芙蓉区") == [world.furong_full.id, world.furong.id]
    with pytest.raises(search.SearchError) as caught:
        found(city="湖南", district="310115")  # 浦东 is not in 湖南
    assert "district" in caught.value.fields


def test_a_province_named_in_english(world, hunan):
    assert found(city="Shanghai") == [world.shanghai.id]  # a municipality is its city
    assert found(city="Hubei") == [hunan["wuhan"].id]


@pytest.mark.parametrize("text", ["长沙市岳麓区", "長沙市嶽麓區", "湖南省长沙市岳麓区",
                                  "Yuelu District", "Yuelu District, Changsha"])
def test_a_district_named_with_its_city(world, text):
    assert found(city=text) == [world.yuelu.id]


def test_a_city_named_with_its_province(world):
    assert found(city="湖南长沙") == [world.yuelu.id, world.furong_full.id, world.furong.id]


def test_the_api_searches_a_province_and_english_names(client, world, hunan):
    body = client.get("/api/v1/slots", query_string={"city": "湖南"}).get_json()
    assert body["total"] == 4
    assert {item["city"]["adcode"] for item in body["items"]} == {"430100", "430200"}
    body = client.get("/api/v1/slots", query_string={"city": "Changsha"}).get_json()
    assert body["total"] == 3


@pytest.mark.parametrize("language, name", [(None, "长沙市"), ("zh-CN", "长沙市"),
                                            ("zh-TW", "長沙市"), ("zh-HK", "長沙市"),
                                            ("zh-Hant", "長沙市"), ("en-US,en;q=0.9", "Changsha")])
def test_the_api_names_cities_in_the_language_asked_for(client, world, language, name):
    headers = {"Accept-Language": language} if language else {}
    body = client.get("/api/v1/slots?city=430100", headers=headers).get_json()
    assert {item["city"]["name"] for item in body["items"]} == {name}
    one = client.get(f"/api/v1/slots/{world.yuelu.id}", headers=headers).get_json()
    assert one["city"]["name"] == name


def heading(client, url: str) -> str:
    page = client.get(url).get_data(as_text=True)
    return re.search(r"<h1[^>]*>(.*?)</h1>", page, re.S).group(1)


@pytest.mark.parametrize("url, place", [
    ("/search?city=长沙", "长沙市"), ("/search?city=长沙&lang=zh_Hant", "長沙市"),
    ("/search?city=长沙&lang=en", "Changsha"), ("/search?city=岳麓区&lang=zh_Hant", "嶽麓區"),
    ("/search?city=长沙&district=430104&lang=en", "Yuelu District"),
    ("/search?city=湖南&lang=en", "Hunan"), ("/search?city=Tibet&lang=zh_Hant", "西藏自治區"),
])
def test_search_pages_name_the_place_in_the_pages_language(client, world, url, place):
    assert heading(client, url).endswith(" · " + place)


def test_suggestions_name_places_in_the_pages_language(client, world):
    page = client.get("/search?city=长莎&lang=en").get_data(as_text=True)
    assert "Changsha, Hunan" in page
    page = client.get("/search?city=长莎&lang=zh_Hant").get_data(as_text=True)
    assert "湖南省長沙市" in page


def test_the_event_page_names_its_place_in_the_pages_language(client, world):
    url = f"/events/{world.yuelu.event_id}"
    assert "湖南省长沙市岳麓区" in client.get(url).get_data(as_text=True)
    client.get("/lang/zh_Hant")
    hant = client.get(url).get_data(as_text=True)
    assert "長沙市" in hant and "嶽麓區" in hant
    client.get("/lang/en")
    english = client.get(url).get_data(as_text=True)
    assert "Yuelu District, Changsha, Hunan" in english


def test_the_home_page_names_the_last_city_in_the_pages_language(client, world):
    client.get("/search?city=长沙")  # remembered in a cookie
    assert "長沙市" in client.get("/?lang=zh_Hant").get_data(as_text=True)
    assert "Changsha" in client.get("/?lang=en").get_data(as_text=True)


def test_an_unknown_citys_suggestions_are_named_in_the_language_asked_for(client, world):
    response = client.get("/api/v1/slots?city=长莎", headers={"Accept-Language": "en"})
    assert response.status_code == 404
    assert response.get_json()["error"]["fields"]["city"][0] == "Changsha"

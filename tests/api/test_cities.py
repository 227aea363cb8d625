"""GET /api/v1/cities (SPEC §4, §6)."""
from __future__ import annotations

import pytest


@pytest.fixture
def backend() -> str:
    """The endpoint reads the bundled gazetteer, never the database: one backend is enough."""
    return "sqlite"


@pytest.mark.parametrize("q", ["长沙", "長沙", "长沙市", "changsha", "Changsha", "430100"])
def test_changsha_comes_first_however_it_is_written(client, q):
    response = client.get("/api/v1/cities", query_string={"q": q})
    assert response.status_code == 200
    first = response.get_json()[0]
    assert first == {"adcode": "430100", "name": "长沙市", "province": "湖南省",
                     "lat": pytest.approx(28.23, abs=0.05), "lon": pytest.approx(112.94, abs=0.05)}


def test_city_before_the_county_of_the_same_name(client):
    codes = [c["adcode"] for c in client.get("/api/v1/cities?q=长沙").get_json()]
    assert codes.index("430100") < codes.index("430121")


def test_a_district_is_found_with_its_province(client):
    first = client.get("/api/v1/cities?q=浦东").get_json()[0]
    assert (first["adcode"], first["province"]) == ("310115", "上海市")


def test_changsha_is_not_changshan(client):
    first = client.get("/api/v1/cities?q=changshan").get_json()[0]
    assert first["adcode"] == "330822"  # 常山县
    assert client.get("/api/v1/cities?q=changsha").get_json()[0]["adcode"] == "430100"


def test_same_named_districts_are_all_listed_and_a_province_narrows_them(client):
    codes = {c["adcode"] for c in client.get("/api/v1/cities?q=朝阳区").get_json()}
    assert {"110105", "220104"} <= codes
    narrowed = client.get("/api/v1/cities?q=朝阳区&province=吉林").get_json()
    assert [c["adcode"] for c in narrowed] == ["220104"]


@pytest.mark.parametrize("url", ["/api/v1/cities", "/api/v1/cities?q=", "/api/v1/cities?q=%20"])
def test_missing_query_is_a_400_error_object(client, url):
    response = client.get(url)
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["code"] == "missing_query" and "q" in error["fields"]


def test_unknown_city_is_a_404_naming_the_closest_places(client):
    response = client.get("/api/v1/cities?q=changshaa")
    assert response.status_code == 404
    error = response.get_json()["error"]
    assert set(error) == {"code", "message", "fields"}
    assert error["code"] == "unknown_city" and "长沙市" in error["message"]
    assert error["fields"]["q"]


def test_unknown_province_filter_is_a_400(client):
    response = client.get("/api/v1/cities?q=长沙&province=火星")
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "unknown_province"


def test_geo_children_narrow_the_region_selects(client):
    provinces = client.get("/geo/children/").get_json()
    assert {"adcode": "430000", "name": "湖南省"} in provinces and len(provinces) == 31
    assert client.get("/geo/children/110000").get_json() == [{"adcode": "110100", "name": "北京市"}]
    districts = client.get("/geo/children/430100").get_json()
    assert {"adcode": "430104", "name": "岳麓区"} in districts
    assert client.get("/geo/children/999999").status_code == 404


@pytest.mark.parametrize("q, adcode", [("Urumqi", "650100"), ("Ürümqi", "650100"),
                                       ("Hohhot", "150100"), ("Harbin", "230100"),
                                       ("Lhasa", "540100"), ("Xi'an", "610100"), ("Xian", "610100"),
                                       ("长沙市岳麓区", "430104"), ("湖南长沙", "430100")])
def test_english_and_compound_names_come_first(client, q, adcode):
    assert client.get("/api/v1/cities", query_string={"q": q}).get_json()[0]["adcode"] == adcode


@pytest.mark.parametrize("q", ["Inner Mongolia", "Tibet", "湖南", "Hunan"])
def test_a_province_lists_its_cities(client, q):
    cities = client.get("/api/v1/cities", query_string={"q": q}).get_json()
    assert cities and len({c["province"] for c in cities}) == 1
    assert all(c["adcode"][:2] == cities[0]["adcode"][:2] for c in cities)


@pytest.mark.parametrize("language, name, province", [
    (None, "岳麓区", "湖南省"), ("zh-CN,zh;q=0.9", "岳麓区", "湖南省"),
    ("zh-TW", "嶽麓區", "湖南省"), ("zh-HK", "嶽麓區", "湖南省"), ("zh-Hant", "嶽麓區", "湖南省"),
    ("en-GB,en;q=0.8", "Yuelu District", "Hunan"),
])
def test_names_follow_accept_language(client, language, name, province):
    headers = {"Accept-Language": language} if language else {}
    first = client.get("/api/v1/cities?q=岳麓", headers=headers).get_json()[0]
    assert (first["adcode"], first["name"], first["province"]) == ("430104", name, province)
    tibet = client.get("/api/v1/cities?q=Lhasa", headers=headers).get_json()[0]
    assert tibet["province"] == {"岳麓区": "西藏自治区", "嶽麓區": "西藏自治區"}.get(name, "Tibet")


def test_an_unknown_city_names_the_nearest_first_in_the_language_asked_for(client):
    error = client.get("/api/v1/cities?q=长莎").get_json()["error"]
    assert error["message"].index("长沙市") < error["message"].index("长治市")
    english = client.get("/api/v1/cities?q=长莎", headers={"Accept-Language": "en"}).get_json()
    assert "Changsha, Hunan" in english["error"]["message"]


def test_region_selects_are_named_in_the_readers_language(client):
    districts = client.get("/geo/children/430100", headers={"Accept-Language": "en"}).get_json()
    assert {"adcode": "430104", "name": "Yuelu District"} in districts
    response = client.get("/geo/children/", headers={"Accept-Language": "zh-TW"})
    assert {"adcode": "610000", "name": "陝西省"} in response.get_json()
    assert "Accept-Language" in response.headers["Vary"]  # shared caches keep one per language

"""Addresses to points: offline from the gazetteer, or a network geocoder with fallback (§9)."""
from __future__ import annotations

import socket

import pytest
from flask import Flask
from geopy.exc import GeocoderNotFound, GeocoderServiceError
from geopy.geocoders import Nominatim
from geopy.geocoders.base import Geocoder
from geopy.location import Location

from openday.geo import geocoder as geo
from openday.geo import service
from openday.geo.geocoder import OfflineGeocoder, geocode_address, make_geocoder

YUELU = service.get_region("430104")


@pytest.fixture(autouse=True)
def no_network(monkeypatch):
    """Any attempt to open a socket fails the test: the offline path must never need one."""
    def refuse(*args, **kwargs):
        raise AssertionError("network access attempted")
    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(geo, "MIN_DELAY_SECONDS", 0.0)


class FakeGeocoder(Geocoder):
    """Stands in for a network service: answers (or fails) as told, records the queries."""

    def __init__(self, answer):
        super().__init__()
        self.answer = answer
        self.queries: list[str] = []

    def geocode(self, query, exactly_one=True, **kwargs):
        self.queries.append(query)
        if isinstance(self.answer, Exception):
            raise self.answer
        return self.answer


def test_offline_places_a_known_district_at_its_point():
    location = OfflineGeocoder().geocode("麓山南路 932 号", district_adcode="430104")
    assert isinstance(location, Location)
    assert (location.latitude, location.longitude) == (YUELU.lat, YUELU.lon)
    assert location.address == "湖南省长沙市岳麓区" and location.raw["adcode"] == "430104"


@pytest.mark.parametrize("address, adcode", [
    ("湖南省长沙市岳麓区麓山南路932号", "430104"),
    ("長沙市嶽麓區麓山南路", "430104"),
    ("长沙市芙蓉区五一大道 1 号", "430102"),  # 长沙 inside 长沙市 is not 长沙县
    ("长沙县星沙街道", "430121"),
    ("北京市朝阳区建国路 88 号", "110105"),
    ("吉林省长春市朝阳区", "220104"),
    ("广州市越秀区北京路", "440104"),  # 北京路 is a street, not 北京
    ("上海市南京东路", "310100"),
    ("湖南长沙", "430100"),
    ("仙桃市", "429004"),
])
def test_offline_finds_the_most_specific_region_named_in_the_text(address, adcode):
    assert OfflineGeocoder().geocode(address).raw["adcode"] == adcode


def test_offline_answers_none_when_nothing_or_several_places_match():
    offline = OfflineGeocoder()
    assert offline.geocode("Baker Street 221b") is None
    assert offline.geocode("朝阳区建国路") is None  # 北京 or 长春?
    both = offline.geocode("朝阳区建国路", exactly_one=False)
    assert {loc.raw["adcode"] for loc in both} == {"110105", "220104"}


def test_make_geocoder_builds_offline_or_a_named_geopy_geocoder():
    assert isinstance(make_geocoder("offline", None), OfflineGeocoder)
    assert isinstance(make_geocoder("", None), OfflineGeocoder)
    nominatim = make_geocoder("nominatim", None)  # constructing one sends nothing
    assert isinstance(nominatim, Nominatim)
    assert nominatim.headers["User-Agent"].startswith("openday")
    with pytest.raises(GeocoderNotFound):
        make_geocoder("no-such-service", None)


def test_network_answer_is_used_when_plausible():
    point = Location("岳麓山", (28.1870, 112.9430), {})
    fake = FakeGeocoder(point)
    assert geocode_address("麓山南路 932 号", "430104", fake) == (28.1870, 112.9430)
    # the region's names go in front, so the service looks in the right city
    assert fake.queries == ["湖南省长沙市岳麓区麓山南路 932 号"]


@pytest.mark.parametrize("answer", [
    GeocoderServiceError("quota exceeded"),
    None,
    Location("中山路, 哈尔滨", (45.75, 126.65), {}),  # a homonymous street 2,000 km away
])
def test_network_failure_or_nonsense_falls_back_to_the_gazetteer(answer):
    assert geocode_address("中山路 1 号", "430104", FakeGeocoder(answer)) == (YUELU.lat, YUELU.lon)


def test_offline_is_used_outside_an_app_and_when_configured():
    assert geocode_address("岳麓区麓山南路", None) == (YUELU.lat, YUELU.lon)
    app = Flask("geocoder-test")
    app.config.update(OPENDAY_GEOCODER="offline", OPENDAY_GEOCODER_API_KEY=None)
    with app.app_context():
        assert isinstance(geo.configured_geocoder(), OfflineGeocoder)
        assert geocode_address("whatever", "430104") == (YUELU.lat, YUELU.lon)


def test_a_misconfigured_geocoder_degrades_to_offline():
    app = Flask("geocoder-test")
    app.config.update(OPENDAY_GEOCODER="no-such-service", OPENDAY_GEOCODER_API_KEY="k")
    with app.app_context():
        assert isinstance(geo.configured_geocoder(), OfflineGeocoder)


def test_configured_network_geocoder_is_built_once_per_process():
    app = Flask("geocoder-test")
    app.config.update(OPENDAY_GEOCODER="nominatim", OPENDAY_GEOCODER_API_KEY=None)
    with app.app_context():
        first = geo.configured_geocoder()
        assert isinstance(first, Nominatim) and geo.configured_geocoder() is first

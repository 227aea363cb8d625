"""What the search remembers: lists for OPENDAY_SEARCH_CACHE_SECONDS (never the slot's own page
or the booking), and result cards per listing and language (always, since a card's key holds
every value it shows)."""
from __future__ import annotations

import pytest

from openday import cache
from openday.events.search import SEARCH_CACHE


def _seats_left(client, slot_id: int, path: str = "/api/v1/slots?city=长沙") -> int:
    items = client.get(path).get_json()["items"]
    return next(item["seats_left"] for item in items if item["id"] == slot_id)


@pytest.fixture(autouse=True)
def empty_cache():
    cache.forget()
    yield
    cache.forget()


def test_without_the_setting_tests_read_live_lists(client, world, book):
    before = _seats_left(client, world.yuelu.id)
    book(world.yuelu, 2)
    assert _seats_left(client, world.yuelu.id) == before - 2


@pytest.mark.parametrize("app_config", [{SEARCH_CACHE: 60}])
def test_lists_are_remembered_but_a_slot_and_a_booking_read_live(client, world, book):
    before = _seats_left(client, world.yuelu.id)
    book(world.yuelu, 2)
    assert _seats_left(client, world.yuelu.id) == before  # the same list, from memory
    assert client.get(f"/api/v1/slots/{world.yuelu.id}").get_json()["seats_left"] == before - 2
    # another query is another key: never answered with this one's list
    assert _seats_left(client, world.yuelu.id, "/api/v1/slots?city=长沙&kind=tour") == before - 2
    shanghai = client.get("/api/v1/slots?city=上海").get_json()
    assert [item["id"] for item in shanghai["items"]] == [world.shanghai.id]
    cache.forget(SEARCH_CACHE)  # (the seconds have passed)
    assert _seats_left(client, world.yuelu.id) == before - 2


@pytest.mark.parametrize("app_config", [{SEARCH_CACHE: 60}])
def test_errors_are_not_remembered(client, world):
    assert client.get("/api/v1/slots?city=长纱").status_code == 404
    assert client.get("/api/v1/slots?city=长纱").status_code == 404


def test_a_card_changes_with_its_seats_and_its_reader(client, world, book):
    html = client.get("/search?city=长沙").get_data(as_text=True)
    assert "余 20 位" in html
    book(world.yuelu, 2)
    assert "余 18 位" in client.get("/search?city=长沙").get_data(as_text=True)
    english = client.get("/search?city=长沙", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "余 18 位" not in english and "18" in english
    assert "余 18 位" in client.get("/search?city=长沙").get_data(as_text=True)

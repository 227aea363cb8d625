"""What the search remembers: lists for OPENDAY_SEARCH_CACHE_SECONDS (never the slot's own page
or the booking), and result cards per listing and language (always, since a card's key holds
every value it shows)."""
from __future__ import annotations

from datetime import timedelta

import pytest

from openday import cache
from openday.events.search import SEARCH_CACHE, SEARCH_LIST_CACHE


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


class _Clock:
    """The cache's clock, moved by hand: the test waits for nothing and times nothing."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def moved(monkeypatch) -> _Clock:
    fake = _Clock()
    monkeypatch.setattr(cache, "_clock", fake)
    return fake


def _ids(client, path: str = "/api/v1/slots?city=长沙") -> list[int]:
    return [item["id"] for item in client.get(path).get_json()["items"]]


@pytest.mark.parametrize("app_config", [{SEARCH_CACHE: 2, SEARCH_LIST_CACHE: 30}])
@pytest.mark.parametrize("path", ["/api/v1/slots?city=长沙", "/api/v1/slots?city=长沙&lat=28.2&lon=112.9"])
def test_seats_on_a_list_are_never_older_than_the_documented_seconds(client, world, book, moved, path):
    """The found slots are remembered 30 s, but the seats shown are read again once the page's
    2 s have passed, whatever the longer memory holds; HTML cards likewise."""
    before = _seats_left(client, world.yuelu.id, path)
    assert "余 20 位" in client.get("/search?city=长沙").get_data(as_text=True)
    book(world.yuelu, 2)
    moved.now += 1.9
    assert _seats_left(client, world.yuelu.id, path) == before  # within the documented 2 s
    assert "余 20 位" in client.get("/search?city=长沙").get_data(as_text=True)
    moved.now += 0.2  # 2.1 s after the first read: the found list is still remembered, the seats not
    assert _seats_left(client, world.yuelu.id, path) == before - 2
    assert "余 18 位" in client.get("/search?city=长沙").get_data(as_text=True)
    for _ in range(3):  # and so on, every 2 s, while the found list stays remembered
        book(world.yuelu, 1)
        moved.now += 2.01
        before -= 1
        assert _seats_left(client, world.yuelu.id, path) == before - 2


@pytest.mark.parametrize("app_config", [{SEARCH_CACHE: 2, SEARCH_LIST_CACHE: 30}])
def test_a_slot_cancelled_or_started_leaves_the_list_within_the_seconds(app, client, world, moved,
                                                                        monkeypatch):
    from openday import clock
    from openday.bookings import staff
    from openday.events.models import Slot
    from openday.extensions import db

    assert world.yuelu.id in _ids(client) and world.furong.id in _ids(client)
    staff.cancel_slot(db.session.get(Slot, world.yuelu.id), "停电")
    moved.now += 2.1
    assert world.yuelu.id not in _ids(client)
    # a slot that has started is not found any more, though the found list still names it
    later = world.furong_full.starts_at + (world.furong.starts_at - world.furong_full.starts_at) / 2
    monkeypatch.setattr(clock, "now", lambda: later)
    moved.now += 2.1
    assert _ids(client) == [world.furong.id]


@pytest.mark.parametrize("app_config", [{SEARCH_CACHE: 2, SEARCH_LIST_CACHE: 30}])
def test_a_new_slot_shows_within_the_list_seconds_and_the_pages(client, world, moved, create_slot):
    found = client.get("/api/v1/slots?city=长沙").get_json()
    new = create_slot(event=world.yuelu.event, starts_at=world.yuelu.starts_at - timedelta(hours=1))
    moved.now += 29
    assert client.get("/api/v1/slots?city=长沙").get_json()["total"] == found["total"]
    moved.now += 3.1  # the list's 30 s, and the 2 s of the page read just before they ended
    again = client.get("/api/v1/slots?city=长沙").get_json()
    assert again["total"] == found["total"] + 1 and again["items"][0]["id"] == new.id


@pytest.mark.parametrize("app_config", [{SEARCH_CACHE: 2, SEARCH_LIST_CACHE: 30}])
def test_available_only_drops_a_slot_that_filled(client, world, book, moved):
    path = "/api/v1/slots?city=长沙&available=1"
    assert world.furong.id in _ids(client, path)
    book(world.furong, 4)
    book(world.furong, 4)
    book(world.furong, 2)
    moved.now += 2.1
    assert world.furong.id not in _ids(client, path)


@pytest.mark.parametrize("app_config", [{SEARCH_CACHE: 60}])
def test_a_full_store_forgets_its_oldest_quarter_not_everything(app, moved):
    """Bounded (so a burst of distinct searches cannot grow a worker), and when full it keeps
    the newer three quarters: forgetting all at once made a full store a cold one."""
    calls = []

    def compute(n: int) -> int:
        calls.append(n)
        return n * 2

    with app.app_context():
        for n in range(8):
            assert cache.remembered(SEARCH_CACHE, compute, n, per_locale=False, max_entries=8) == n * 2
        cache.remembered(SEARCH_CACHE, compute, 8, per_locale=False, max_entries=8)  # full: 0, 1 go
        calls.clear()
        for n in range(2, 9):
            assert cache.remembered(SEARCH_CACHE, compute, n, per_locale=False, max_entries=8) == n * 2
        assert calls == []  # still remembered
        assert cache.remembered(SEARCH_CACHE, compute, 0, per_locale=False, max_entries=8) == 0
        assert calls == [0]
        moved.now += 61  # and everything expires after its seconds
        cache.remembered(SEARCH_CACHE, compute, 5, per_locale=False, max_entries=8)
        assert calls == [0, 5]

"""Pages read by many keep their figures a minute (OPENDAY_STATS_CACHE_SECONDS), per database."""
from __future__ import annotations

import pytest
from flask_babel import refresh

from openday.stats import service
from tests.stats.world import Ledger


@pytest.fixture
def app_config() -> dict:
    return {"OPENDAY_STATS_CACHE_SECONDS": 60}


@pytest.fixture(autouse=True)
def empty_cache():
    service.clear_cache()
    yield
    service.clear_cache()


def _visits(client) -> int:
    return client.get("/api/v1/stats").get_json()["totals"]["visits"]


def test_public_figures_are_kept_a_minute_then_fresh(app, client, db, world, create_slot):
    before = _visits(client)
    Ledger(db).walk_ins(world.slots["quiz"], 6)
    assert _visits(client) == before  # the same minute: the remembered answer
    service.clear_cache()  # (the minute has passed)
    assert _visits(client) == before + 6


def test_the_cache_never_answers_for_another_filter_or_language(client, world):
    national = client.get("/api/v1/stats?group_by=kind").get_json()
    shanghai = client.get("/api/v1/stats?group_by=kind&province=310000").get_json()
    assert national["totals"] != shanghai["totals"]
    # The test's app context outlives each request and Flask-Babel keeps the locale on it: forget
    # it, as a real server's next request would.
    refresh()
    english = client.get("/api/v1/stats?group_by=kind", headers={"Accept-Language": "en"}).get_json()
    assert english["totals"] == national["totals"]
    assert national["groups"][0]["name"] == "实地参观"
    assert english["groups"][0]["name"] != "实地参观"  # kinds are named in the reader's language


def test_errors_are_not_remembered(client, world):
    assert client.get("/api/v1/stats?campaign=2999").status_code == 404
    assert client.get("/api/v1/stats?campaign=2999").status_code == 404


def test_without_the_setting_tests_read_fresh_figures(app):
    app.config.pop("OPENDAY_STATS_CACHE_SECONDS")
    assert service.cache_seconds() == 0

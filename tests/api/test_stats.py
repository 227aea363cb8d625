"""GET /api/v1/stats: public aggregates, exactly SPEC §6's shape, never a name or a phone."""
from __future__ import annotations

import json

import pytest

from openday.stats import service
from tests.stats.world import KNOWN_PHONE, KNOWN_PHONE_MASKED, build_world, figures_from_tables

GROUP_KEYS = {"key", "name", "labs", "events", "slots", "capacity", "bookings", "people",
              "checked_in", "walk_ins", "visits"}


@pytest.fixture
def world(db, campaign, create_campaign, create_lab, create_event, create_slot):
    return build_world(db, campaign, create_campaign, create_lab, create_event, create_slot)


def test_totals_and_groups_by_province(client, db, world):
    response = client.get(f"/api/v1/stats?campaign={world.campaign.year}&group_by=province")
    assert response.status_code == 200
    body = response.get_json()
    assert {"totals", "groups"} <= set(body)
    assert body["totals"] == figures_from_tables(db, world)
    assert [g["key"] for g in body["groups"]] == ["310000", "430000"]
    assert [g["name"] for g in body["groups"]] == ["上海市", "湖南省"]
    for group in body["groups"]:
        assert GROUP_KEYS <= set(group)
        assert {k: v for k, v in group.items() if k not in ("key", "name")} == \
            figures_from_tables(db, world, province=group["key"])


@pytest.mark.parametrize("group_by", service.GROUPINGS)
def test_group_sums_equal_the_totals(client, world, group_by):
    body = client.get(f"/api/v1/stats?group_by={group_by}").get_json()
    assert body["groups"]
    for figure in service.ADDITIVE:
        assert sum(g[figure] for g in body["groups"]) == body["totals"][figure], figure


def test_defaults_to_the_current_campaign_by_province(client, db, world):
    body = client.get("/api/v1/stats").get_json()
    assert body["campaign"]["year"] == world.campaign.year
    assert body["group_by"] == "province"
    assert body["totals"]["visits"] == figures_from_tables(db, world)["visits"]


def test_an_earlier_campaign(client, db, world):
    body = client.get(f"/api/v1/stats?campaign={world.previous.year}&group_by=kind").get_json()
    assert body["totals"] == figures_from_tables(db, world, campaign=world.previous)
    assert [(g["key"], g["name"]) for g in body["groups"]] == [("tour", "实地参观")]


def test_province_and_kind_filters(client, db, world):
    body = client.get("/api/v1/stats?group_by=city&province=430000&kind=tour").get_json()
    assert body["totals"] == figures_from_tables(db, world, province="430000", kind="tour")
    assert [g["key"] for g in body["groups"]] == ["430100"]


def test_date_keys_are_beijing_days(client, world):
    from openday import clock
    body = client.get("/api/v1/stats?group_by=date").get_json()
    night = world.slots["tour_night"]
    assert clock.local(night.starts_at).date().isoformat() in [g["key"] for g in body["groups"]]


@pytest.mark.parametrize("query, field, status", [
    ("group_by=lab", "group_by", 400),
    ("group_by=", None, 200),
    ("campaign=1999", "campaign", 404),
    ("campaign=last", "campaign", 400),
    ("campaign=20261", "campaign", 400),
    ("kind=party", "kind", 400),
    ("province=999999", "province", 400),
    ("province=430100", "province", 400),
])
def test_bad_parameters_answer_an_error_object(client, world, query, field, status):
    response = client.get(f"/api/v1/stats?{query}")
    assert response.status_code == status
    if field:
        error = response.get_json()["error"]
        assert set(error) == {"code", "message", "fields"}
        assert list(error["fields"]) == [field] and error["message"]


def test_no_campaign_at_all(client, db):
    response = client.get("/api/v1/stats")
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"


def test_no_phone_or_name_in_any_answer(client, world):
    for group_by in service.GROUPINGS:
        for year in (world.campaign.year, world.previous.year):
            text = client.get(f"/api/v1/stats?campaign={year}&group_by={group_by}").get_data(as_text=True)
            assert KNOWN_PHONE not in text and KNOWN_PHONE_MASKED not in text
            assert "张三" not in json.loads(text).__repr__()
            assert "检测所" not in text  # no lab names either: aggregates only


def test_public_and_cookieless(client, world):
    response = client.get("/api/v1/stats")
    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers
    assert response.headers["Content-Type"].startswith("application/json")

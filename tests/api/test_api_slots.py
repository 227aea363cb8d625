"""GET /api/v1/slots, GET /api/v1/slots/<id> (SPEC §6): the search service as JSON."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest

from openday import clock
from openday.events.models import EventStatus

ITEM_KEYS = {"id", "event_id", "title", "kind", "lab", "city", "venue", "starts_at", "ends_at",
             "capacity", "seats_left", "distance_km", "status", "mode"}
OFFSET = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+08:00$")


@pytest.fixture
def slots(db, create_lab, create_event, create_slot):
    lab = create_lab(name="长沙市食品检验所", city="430100", district="430104", lat=28.2345, lon=112.9313)
    event = create_event(lab=lab, kind="lecture", title="食品安全讲座", venue_name="岳麓书院讲堂",
                         description="讲讲添加剂的那些事。")
    first = create_slot(event=event, starts_in=timedelta(days=1), capacity=12)
    second = create_slot(event=event, starts_in=timedelta(days=2), capacity=8)
    return first, second


def test_list_items_have_exactly_the_spec_fields(client, slots):
    body = client.get("/api/v1/slots?city=长沙").get_json()
    assert set(body) == {"items", "page", "per_page", "total"}
    assert body["total"] == 2 and body["page"] == 1 and body["per_page"] == 20
    item = body["items"][0]
    assert set(item) == ITEM_KEYS
    assert item["id"] == slots[0].id and item["event_id"] == slots[0].event_id
    assert item["title"] == "食品安全讲座" and item["kind"] == "lecture"
    assert item["lab"] == {"id": slots[0].event.lab_id, "name": "长沙市食品检验所"}
    assert item["city"] == {"adcode": "430100", "name": "长沙市"}
    assert item["venue"].startswith("岳麓书院讲堂")
    assert OFFSET.match(item["starts_at"]) and OFFSET.match(item["ends_at"])
    assert item["starts_at"] == clock.local(slots[0].starts_at).isoformat()
    assert item["capacity"] == 12 and item["seats_left"] == 12
    assert item["distance_km"] is None
    assert item["status"] == "open"


def test_distance_when_searching_near_a_point(client, slots):
    body = client.get("/api/v1/slots?lat=28.2&lon=112.9&radius_km=20").get_json()
    assert body["total"] == 2
    assert all(isinstance(item["distance_km"], float) and 0 < item["distance_km"] < 20
               for item in body["items"])


def test_unknown_city_is_4xx_with_closest_names(client, slots):
    response = client.get("/api/v1/slots?city=长纱")
    body = response.get_json()
    assert 400 <= response.status_code < 500
    assert body["error"]["code"] == "unknown_city"
    assert "长沙市" in body["error"]["fields"]["city"]


def test_ambiguous_city_lists_candidates(client, slots):
    response = client.get("/api/v1/slots?city=朝阳区")
    assert response.status_code == 400
    assert response.get_json()["error"]["fields"]["city"] == ["北京市朝阳区", "吉林省长春市朝阳区"]


@pytest.mark.parametrize("query", ["date_from=tomorrow", "page=0", "per_page=abc", "lat=200&lon=1",
                                   "kind=disco", "radius_km=5", "q=" + "长" * 500, "lat=1"])
def test_bad_parameters_are_400_error_objects(client, slots, query):
    response = client.get(f"/api/v1/slots?{query}")
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert set(error) == {"code", "message", "fields"} and error["fields"]


def test_per_page_is_capped(client, slots):
    assert client.get("/api/v1/slots?per_page=1000").get_json()["per_page"] == 100


def test_one_slot_with_description(client, slots):
    body = client.get(f"/api/v1/slots/{slots[1].id}").get_json()
    assert set(body) == ITEM_KEYS | {"description"}
    assert body["description"] == "讲讲添加剂的那些事。" and body["capacity"] == 8


def test_unpublished_or_missing_slot_is_404(client, create_event, create_slot):
    draft = create_slot(event=create_event(status=EventStatus.draft))
    for url in (f"/api/v1/slots/{draft.id}", "/api/v1/slots/424242"):
        response = client.get(url)
        assert response.status_code == 404 and response.get_json()["error"]["code"] == "not_found"


def test_cancelled_slot_is_shown_as_cancelled_and_not_listed(client, slots):
    from openday.bookings import staff
    staff.cancel_slot(slots[0], "设备检修")
    response = client.get(f"/api/v1/slots/{slots[0].id}")
    assert response.status_code == 200 and response.get_json()["status"] == "cancelled"
    listed = client.get("/api/v1/slots?city=长沙").get_json()
    assert [item["id"] for item in listed["items"]] == [slots[1].id]
    assert client.get(f"/api/v1/slots/{slots[1].id}").get_json()["status"] == "open"


def test_slot_of_a_cancelled_event_is_shown_as_cancelled(client, slots):
    from openday.bookings import staff
    staff.cancel_event(slots[0].event, "台风")
    for slot in slots:
        response = client.get(f"/api/v1/slots/{slot.id}")
        assert response.status_code == 200 and response.get_json()["status"] == "cancelled"
    assert client.get("/api/v1/slots?city=长沙").get_json()["total"] == 0


def test_slot_of_a_suspended_lab_is_404_on_api_and_booking_page(client, db, slots):
    from openday.events.service import refresh_lab_slots
    from openday.labs.models import LabStatus
    lab = slots[0].event.lab
    lab.status = LabStatus.suspended
    refresh_lab_slots(lab)
    db.session.commit()
    response = client.get(f"/api/v1/slots/{slots[0].id}")
    assert response.status_code == 404 and response.get_json()["error"]["code"] == "not_found"
    assert client.get(f"/slots/{slots[0].id}/book").status_code == 404
    assert client.get("/api/v1/slots?city=长沙").get_json()["total"] == 0

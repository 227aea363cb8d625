"""GET /api/v1/openapi.json: a valid OpenAPI 3.1 document that says what the API really answers."""
from __future__ import annotations

import pytest
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate

from openday.api.openapi import SCHEMAS


@pytest.fixture
def document(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    return response.get_json()


def check(document: dict, schema_name: str, instance) -> None:
    validator = Draft202012Validator({"$ref": f"#/components/schemas/{schema_name}",
                                      "components": document["components"]})
    errors = sorted(validator.iter_errors(instance), key=str)
    assert not errors, f"{schema_name}: {errors[0].message} at {list(errors[0].absolute_path)}"


def test_document_is_valid_openapi_3_1(document):
    assert document["openapi"].startswith("3.1")
    validate(document)


def test_every_api_route_is_documented_and_nothing_else(app, document):
    routes = set()
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/v1/"):
            path = rule.rule.removeprefix("/api/v1").replace("<int:", "{").replace("<", "{").replace(">", "}")
            for method in rule.methods - {"HEAD", "OPTIONS"}:
                routes.add((path, method.lower()))
    documented = {(path, method) for path, item in document["paths"].items() for method in item}
    normalise = {"{slot_id}": "{id}", "{token}": "{id}", "{manage_token}": "{id}"}

    def shape(pairs):
        out = set()
        for path, method in pairs:
            for name, generic in normalise.items():
                path = path.replace(name, generic)
            out.add((path, method))
        return out

    assert shape(routes) == shape(documented)


def test_spec_section_6_fields_are_required(document):
    schemas = document["components"]["schemas"]
    assert set(schemas["Slot"]["required"]) == {"id", "event_id", "title", "kind", "lab", "city", "venue",
                                                 "starts_at", "ends_at", "capacity", "seats_left",
                                                 "distance_km", "status", "mode"}
    assert set(schemas["BookingCreated"]["required"]) == {"code", "status", "party_size",
                                                          "waitlist_position", "manage_token"}
    assert {"code", "status", "party_size", "waitlist_position", "slot_id", "checked_in_at"} <= \
        set(schemas["Booking"]["required"])
    group = schemas["StatsGroup"]["allOf"][1]["required"] + schemas["StatsFigures"]["required"]
    assert {"key", "name", "labs", "events", "slots", "capacity", "bookings", "people", "checked_in",
            "walk_ins", "visits"} <= set(group)
    assert set(schemas["City"]["required"]) == {"adcode", "name", "province", "lat", "lon"}
    assert schemas is not None and set(SCHEMAS) == set(schemas)


def test_real_responses_match_the_documented_schemas(client, db, document, create_slot):
    slot = create_slot(capacity=1, max_party=1)
    check(document, "SlotPage", client.get("/api/v1/slots?city=长沙").get_json())
    check(document, "SlotPage", client.get("/api/v1/slots?lat=28.2&lon=112.9&radius_km=50").get_json())
    check(document, "SlotDetail", client.get(f"/api/v1/slots/{slot.id}").get_json())
    check(document, "City", client.get("/api/v1/cities?q=长沙").get_json()[0])

    url = f"/api/v1/slots/{slot.id}/bookings"
    body = {"name": "钱七", "phone": "13800138000", "party_size": 1, "consent": True}
    check(document, "BookingRequest", body)
    created = client.post(url, json=body)
    assert created.status_code == 201
    check(document, "BookingCreated", created.get_json())
    waiting = client.post(url, json={**body, "phone": "13800138001"}).get_json()
    check(document, "BookingCreated", waiting)
    check(document, "Booking", client.get(f"/api/v1/bookings/{waiting['manage_token']}").get_json())
    check(document, "Booking", client.delete(f"/api/v1/bookings/{created.get_json()['manage_token']}").get_json())

    stats = client.get("/api/v1/stats?group_by=province")
    assert stats.status_code == 200
    check(document, "Stats", stats.get_json())

    key = {"Idempotency-Key": "5f0c7a52-8d7e-4a43-9a55-2c1b6a0e9b11"}
    keyed = client.post(url, json={**body, "phone": "13800138002"}, headers=key)
    check(document, "BookingCreated", keyed.get_json())
    assert client.post(url, json={**body, "phone": "13800138002"}, headers=key).get_data() == keyed.get_data()
    for bad in (client.post(url, json={**body, "phone": "13800138001"}),       # already_booked
                client.post(url, json={**body, "phone": "13800138003"}, headers=key),  # key reused
                client.post(url, json=body, headers={"Idempotency-Key": "short"}),
                client.get("/api/v1/slots?city=长纱"), client.get("/api/v1/slots?page=0"),
                client.get("/api/v1/slots/999999"), client.post(url, json={"name": 1}),
                client.post(url, data=b"{", content_type="application/json"),
                client.get("/api/v1/bookings/" + "x" * 43)):
        assert 400 <= bad.status_code < 500
        check(document, "Error", bad.get_json())


def test_booking_documents_the_repeat_and_the_idempotency_key(document):
    operation = document["paths"]["/slots/{slot_id}/bookings"]["post"]
    header = next(p for p in operation["parameters"] if p["in"] == "header")
    assert header["name"] == "Idempotency-Key" and header["required"] is False
    responses = operation["responses"]
    assert "200" not in responses  # a repeat is never answered with a booking
    assert "already_booked" in responses["409"]["description"]
    assert "idempotency_key_reused" in responses["422"]["description"]
    assert "bad_idempotency_key" in responses["400"]["description"]
    for method in ("get", "delete"):
        assert "429" in document["paths"]["/bookings/{manage_token}"][method]["responses"]

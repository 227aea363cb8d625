"""GET /api/v1/openapi.json — the OpenAPI 3.1 document of the whole JSON API (SPEC §6).

Written by hand next to the code it describes; tests validate the document itself and check real
responses of every route against the schemas here, so it cannot drift from what the API answers.
"""
from __future__ import annotations

from flask import request

from openday.api.blueprint import bp
from openday.events.search import DEFAULT_PER_PAGE, KINDS, MAX_PER_PAGE, MAX_RADIUS_KM

ISO_TIME = {"type": "string", "format": "date-time",
            "description": "ISO 8601 in Beijing time, with its offset: 2026-09-12T09:30:00+08:00"}


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict, description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _error(description: str) -> dict:
    return _json(_ref("Error"), description)


def _query(name: str, schema: dict, description: str) -> dict:
    return {"name": name, "in": "query", "required": False, "schema": schema,
            "description": description}


SCHEMAS: dict = {
    "Error": {
        "type": "object",
        "required": ["error"],
        "properties": {"error": {
            "type": "object",
            "required": ["code", "message", "fields"],
            "properties": {
                "code": {"type": "string", "examples": ["invalid", "not_found", "unknown_city",
                                                             "already_booked"]},
                "message": {"type": "string"},
                "fields": {"type": "object",
                           "description": "Problems by parameter or body field; for unknown_city "
                                          "and ambiguous_city, `city` lists the closest names.",
                           "additionalProperties": {"type": "array", "items": {"type": "string"}}},
            },
        }},
    },
    "City": {
        "type": "object",
        "required": ["adcode", "name", "province", "lat", "lon"],
        "properties": {
            "adcode": {"type": "string", "pattern": "^[0-9]{6}$"},
            "name": {"type": "string"},
            "province": {"type": ["string", "null"]},
            "lat": {"type": "number"},
            "lon": {"type": "number"},
        },
    },
    "Slot": {
        "type": "object",
        "required": ["id", "event_id", "title", "kind", "lab", "city", "venue", "starts_at",
                     "ends_at", "capacity", "seats_left", "distance_km", "status", "mode"],
        "properties": {
            "id": {"type": "integer"},
            "event_id": {"type": "integer"},
            "title": {"type": "string"},
            "kind": {"type": "string", "enum": list(KINDS)},
            "lab": {"type": "object", "required": ["id", "name"],
                    "properties": {"id": {"type": "integer"}, "name": {"type": "string"}}},
            "city": {"type": "object", "required": ["adcode", "name"],
                     "properties": {"adcode": {"type": "string", "pattern": "^[0-9]{6}$"},
                                    "name": {"type": "string"}}},
            "venue": {"type": "string"},
            "starts_at": ISO_TIME,
            "ends_at": ISO_TIME,
            "capacity": {"type": "integer", "minimum": 1},
            "seats_left": {"type": "integer", "minimum": 0},
            "distance_km": {"type": ["number", "null"], "minimum": 0,
                            "description": "Geodesic distance from the search point; null "
                                           "when the search had none."},
            "status": {"type": "string", "enum": ["open", "cancelled"],
                       "description": "cancelled when the lab cancelled the slot or its event "
                                      "(only GET /slots/{slot_id} shows such a slot; a search "
                                      "lists open ones)."},
            "mode": {"type": "string", "enum": ["first_come", "ballot"],
                     "description": "first_come, or ballot (SPEC §12): until draw_at bookings "
                                    "are entries (status entered, no seats), then one public "
                                    "draw, then first come, first served"},
        },
    },
    "Draw": {
        "type": "object",
        "required": ["seed", "entries_sha256", "order"],
        "description": "A ballot's draw, as published: anyone can re-compute it. entries_sha256 "
                       "= SHA-256 (hex) of the entry codes sorted and joined by line feeds; "
                       "order = the codes sorted by SHA-256(seed + \":\" + entries_sha256 + "
                       "\":\" + code) as hex, ascending; in that order each entry whose party fits "
                       "the seats still free was confirmed, the others waitlisted in that order.",
        "properties": {
            "seed": {"type": "string", "pattern": "^[0-9a-f]{64}$",
                     "description": "32 bytes from a CSPRNG, fixed at the draw, hex"},
            "entries_sha256": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
            "order": {"type": "array", "items": {"type": "string",
                                                 "pattern": "^[2-9A-HJ-NP-Z]{8}$"},
                      "description": "Entry codes in drawn order"},
            "drawn_at": ISO_TIME,
            "winners": {"type": "integer", "minimum": 0,
                        "description": "How many entries the draw confirmed"},
            "rule": {"type": "string", "description": "The rule above, in words"},
        },
    },
    "SlotDetail": {
        "allOf": [_ref("Slot"), {"type": "object", "required": ["description"], "properties": {
            "description": {"type": "string"},
            "draw_at": {**ISO_TIME, "description": "Ballot slots only: when the draw runs"},
            "draw": {"oneOf": [_ref("Draw"), {"type": "null"}],
                     "description": "Ballot slots only: null before the draw"},
            "draw_rule": {"type": "string", "description": "Ballot slots only: the rule"}}}],
    },
    "SlotPage": {
        "type": "object",
        "required": ["items", "page", "per_page", "total"],
        "properties": {
            "items": {"type": "array", "items": _ref("Slot")},
            "page": {"type": "integer", "minimum": 1},
            "per_page": {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE},
            "total": {"type": "integer", "minimum": 0},
        },
    },
    "BookingRequest": {
        "type": "object",
        "required": ["name", "phone", "party_size", "consent"],
        "properties": {
            "name": {"type": "string", "minLength": 1, "maxLength": 40,
                     "description": "1–40 characters after trimming"},
            "phone": {"type": "string", "maxLength": 30,
                      "description": "Mainland mobile 1[3-9]xxxxxxxxx (+86, spaces and dashes "
                                     "are accepted), or a Hong Kong, Macao, Taiwan or foreign "
                                     "mobile in international form (+ or 00 and the country "
                                     "code); stored in E.164",
                      "examples": ["13800138000", "+86 138-0013-8000", "+852 9123 4567"]},
            "party_size": {"type": "integer", "minimum": 1,
                           "description": "1 to the slot's largest party (default 4)"},
            "consent": {"type": "boolean", "const": True,
                        "description": "Agreement to the purpose statement"},
            "remarks": {"type": ["string", "null"], "maxLength": 200,
                        "description": "Optional note for the hosting lab (\"wheelchair "
                                       "user\"); one line, trimmed; shown only on its roster"},
        },
    },
    "BookingCreated": {
        "type": "object",
        "required": ["code", "status", "party_size", "waitlist_position", "manage_token"],
        "properties": {
            "code": {"type": "string", "pattern": "^[2-9A-HJ-NP-Z]{8}$"},
            "status": {"type": "string", "enum": ["entered", "confirmed", "waitlisted"],
                       "description": "entered: a ballot entry, decided at the slot's draw"},
            "party_size": {"type": "integer", "minimum": 1},
            "waitlist_position": {"type": ["integer", "null"], "minimum": 1},
            "manage_token": {"type": "string", "minLength": 43,
                             "description": "Secret (256 bits); the key of /bookings/{token}"},
        },
    },
    "Booking": {
        "type": "object",
        "required": ["code", "status", "party_size", "waitlist_position", "slot_id",
                     "checked_in_at", "phone"],
        "properties": {
            "code": {"type": "string", "pattern": "^[2-9A-HJ-NP-Z]{8}$"},
            "status": {"type": "string",
                       "enum": ["entered", "confirmed", "waitlisted", "cancelled"]},
            "party_size": {"type": "integer", "minimum": 1},
            "waitlist_position": {"type": ["integer", "null"], "minimum": 1},
            "slot_id": {"type": "integer"},
            "checked_in_at": {**ISO_TIME, "type": ["string", "null"]},
            "phone": {"type": "string", "description": "Masked: 138****5678, +852 ****5678",
                      "pattern": "^([0-9]{3}\\*{4}[0-9]{4}|\\+[0-9]{1,3} \\*{4}[0-9]{4})?$"},
            "cancelled_by": {"type": ["string", "null"], "enum": ["citizen", "lab", "event", None],
                             "description": "Who cancelled: the citizen, the lab (this slot) "
                                            "or the lab's whole event"},
        },
    },
    "StatsFigures": {
        "type": "object",
        "required": ["labs", "events", "slots", "capacity", "bookings", "people", "checked_in",
                     "walk_ins", "visits", "rating", "ratings"],
        "properties": {
            "labs": {"type": "integer"}, "events": {"type": "integer"},
            "slots": {"type": "integer"}, "capacity": {"type": "integer"},
            "bookings": {"type": "integer"}, "people": {"type": "integer"},
            "waitlisted": {"type": "integer"}, "checked_in": {"type": "integer"},
            "walk_ins": {"type": "integer"},
            "visits": {"type": "integer", "description": "人次 = people checked in + walk-ins"},
            "attendance_rate": {
                "type": ["number", "null"],
                "description": "到场率: people checked in ÷ people booked, over the sessions that "
                               "have ended only; null before any has ended (未开始) or when "
                               "nobody had booked them"},
            "entries": {"type": "integer", "description": "Ballot entries (waiting or drawn)"},
            "winners": {"type": "integer", "description": "Ballot entries a draw confirmed"},
            "ratings": {"type": "integer", "description": "Visitors' ratings (count)"},
            "rating": {"type": ["number", "null"], "minimum": 1, "maximum": 5,
                       "description": "Mean rating, null without any"},
        },
    },
    "FeedbackRequest": {
        "type": "object",
        "required": ["rating"],
        "properties": {
            "rating": {"type": "integer", "minimum": 1, "maximum": 5},
            "comment": {"type": ["string", "null"], "maxLength": 500,
                        "description": "Plain text; shown escaped, never as links"},
        },
    },
    "Feedback": {
        "type": "object",
        "required": ["rating", "comment", "created_at"],
        "properties": {
            "rating": {"type": "integer", "minimum": 1, "maximum": 5},
            "comment": {"type": ["string", "null"]},
            "created_at": ISO_TIME,
        },
    },
    "StatsGroup": {
        "allOf": [_ref("StatsFigures"), {
            "type": "object", "required": ["key", "name"],
            "properties": {"key": {"type": "string"}, "name": {"type": "string"}}}],
    },
    "Stats": {
        "type": "object",
        "required": ["totals", "groups"],
        "properties": {
            "campaign": {"type": "object", "properties": {
                "year": {"type": "integer"}, "edition": {"type": "integer"},
                "theme": {"type": "string"}, "starts_on": {"type": "string", "format": "date"},
                "ends_on": {"type": "string", "format": "date"}}},
            "group_by": {"type": "string", "enum": ["province", "city", "kind", "date"]},
            "totals": _ref("StatsFigures"),
            "groups": {"type": "array", "items": _ref("StatsGroup")},
        },
    },
}

TOKEN_PARAM = {"name": "manage_token", "in": "path", "required": True,
               "schema": {"type": "string", "minLength": 20, "maxLength": 64},
               "description": "The secret token from the booking's answer"}
SLOT_PARAM = {"name": "slot_id", "in": "path", "required": True, "schema": {"type": "integer"}}
IDEMPOTENCY_KEY_PARAM = {
    "name": "Idempotency-Key", "in": "header", "required": False,
    "schema": {"type": "string", "minLength": 16, "maxLength": 255, "pattern": "^[!-~]+$"},
    "description": "A new random value (a UUID) for each booking you mean to make, sent again "
                   "unchanged when you retry it. A request whose key came with a booking request "
                   "in the last 24 hours is answered with that request's 201 and body again, "
                   "token included, and books nothing; the same key with another slot or other "
                   "details is 422 idempotency_key_reused. Refused requests store nothing under "
                   "their key: sending them again asks again."}
RATE_LIMITED = _error("Too many requests (per IP generous, per phone tight)")
TOKEN_GUESSING = _error("rate_limited: too many unknown tokens from this address")

PATHS: dict = {
    "/cities": {"get": {
        "operationId": "listCities",
        "summary": "Cities and districts matching a name (simplified, traditional, pinyin, "
                   "English: Urumqi, Xi'an) or adcode",
        "description": "Names and provinces are in the language Accept-Language asks for: "
                       "zh-Hant, zh-TW, zh-HK → 長沙市; en → Changsha; otherwise 长沙市. A "
                       "province's name lists its cities; 湖南长沙 and 长沙市岳麓区 name the "
                       "city and the district.",
        "parameters": [
            {"name": "q", "in": "query", "required": True, "schema": {"type": "string"}},
            _query("province", {"type": "string"}, "Limit to a province (adcode or name)"),
            _query("limit", {"type": "integer", "minimum": 1, "maximum": 50, "default": 10}, "")],
        "responses": {
            "200": _json({"type": "array", "items": _ref("City")}, "Best match first"),
            "400": _error("Missing q or unknown province"),
            "404": _error("No city matches; the closest names are in the message"),
        },
    }},
    "/slots": {"get": {
        "operationId": "searchSlots",
        "summary": "Search future slots of published events (soonest first, or nearest first "
                   "with a point)",
        "parameters": [
            _query("city", {"type": "string"},
                   "Adcode or name in any spelling: 长沙, 長沙, 长沙市, changsha, Urumqi, "
                   "Xi'an; a district name or adcode also limits to that district (长沙市岳麓区 "
                   "too); a province (湖南, Hunan, Tibet) searches all of it. city.name in the "
                   "items is in the language Accept-Language asks for (zh-Hant, en)"),
            _query("district", {"type": "string"}, "District adcode or name"),
            _query("kind", {"type": "string", "enum": list(KINDS)}, ""),
            _query("date_from", {"type": "string", "format": "date"}, "Beijing date, inclusive"),
            _query("date_to", {"type": "string", "format": "date"}, "Beijing date, inclusive"),
            _query("q", {"type": "string", "maxLength": 100},
                   "Keywords in the title, lab name or testing items"),
            _query("lat", {"type": "number", "minimum": -90, "maximum": 90}, ""),
            _query("lon", {"type": "number", "minimum": -180, "maximum": 180}, ""),
            _query("radius_km", {"type": "number", "exclusiveMinimum": 0,
                                 "maximum": MAX_RADIUS_KM},
                   "Within this distance of lat/lon, or of the city's centre (default 50 with "
                   "a point)"),
            _query("available", {"type": "string", "enum": ["1", "true", "0", "false"]},
                   "Only slots with free seats"),
            _query("page", {"type": "integer", "minimum": 1, "default": 1}, ""),
            _query("per_page", {"type": "integer", "minimum": 1, "default": DEFAULT_PER_PAGE},
                   f"At most {MAX_PER_PAGE} (larger values are capped)"),
        ],
        "responses": {
            "200": _json(_ref("SlotPage"), "One page of slots and the total"),
            "400": _error("Bad parameter, or ambiguous_city (candidates in fields.city)"),
            "404": _error("unknown_city: the closest names are in fields.city"),
        },
    }},
    "/slots/{slot_id}": {"get": {
        "operationId": "getSlot",
        "parameters": [SLOT_PARAM],
        "responses": {"200": _json(_ref("SlotDetail"), "The slot, with the event's description "
                                   "(a cancelled one too, with status cancelled); a ballot's "
                                   "draw_at and, after it, the published draw"),
                      "404": _error("No such slot, or its event is a draft or its lab not "
                                    "approved")},
    }},
    "/slots/{slot_id}/bookings": {"post": {
        "operationId": "bookSlot",
        "summary": "Book seats: confirmed when they fit, else waitlisted. A phone number is not "
                   "a secret: a phone that already holds a booking on the slot is 409 "
                   "already_booked, which tells nothing of that booking; retry with the same "
                   "Idempotency-Key to be answered with your own booking again",
        "parameters": [SLOT_PARAM, IDEMPOTENCY_KEY_PARAM],
        "requestBody": {"required": True,
                        "content": {"application/json": {"schema": _ref("BookingRequest")}}},
        "responses": {
            "201": _json(_ref("BookingCreated"),
                         "Booked (confirmed or waitlisted); or, for a repeated Idempotency-Key, "
                         "the answer its first request got"),
            "400": _error("bad_json: body is not a JSON object; bad_idempotency_key"),
            "404": _error("No such slot"),
            "409": _error("already_booked (no code, token or name of that booking), "
                          "booking_closed, slot_unavailable (cancelled or not public) or "
                          "daily_limit"),
            "413": _error("Body too large"),
            "422": _error("invalid: field errors in fields; idempotency_key_reused"),
            "429": RATE_LIMITED,
            "503": _error("busy: try again after Retry-After seconds"),
        },
    }},
    "/bookings/{manage_token}": {
        "get": {
            "operationId": "getBooking",
            "parameters": [TOKEN_PARAM],
            "responses": {"200": _json(_ref("Booking"), "The booking, phone masked"),
                          "404": _error("No such booking"),
                          "429": TOKEN_GUESSING},
        },
        "delete": {
            "operationId": "cancelBooking",
            "summary": "Cancel; waitlisted bookings that now fit are promoted at once",
            "parameters": [TOKEN_PARAM],
            "responses": {"200": _json(_ref("Booking"), "The cancelled booking"),
                          "404": _error("No such booking"),
                          "409": _error("not_cancellable: already started or checked in"),
                          "429": TOKEN_GUESSING,
                          "503": _error("busy: try again after Retry-After seconds")},
        },
    },
    "/bookings/{manage_token}/feedback": {"post": {
        "operationId": "leaveFeedback",
        "summary": "Rate a checked-in visit 1–5, with an optional comment, once, from the visit's "
                   "start until 30 days after its end",
        "parameters": [TOKEN_PARAM],
        "requestBody": {"required": True,
                        "content": {"application/json": {"schema": _ref("FeedbackRequest")}}},
        "responses": {
            "201": _json(_ref("Feedback"), "Thank you"),
            "400": _error("bad_json: body is not a JSON object"),
            "403": _error("not_checked_in: only a checked-in visit can be rated"),
            "404": _error("No such booking"),
            "409": _error("already_rated (the second time), feedback_not_open (before the "
                          "visit's start) or feedback_closed (30 days after its end)"),
            "413": _error("Body too large"),
            "422": _error("invalid: rating not 1–5, or comment over 500 characters"),
            "429": TOKEN_GUESSING,
            "503": _error("busy: try again after Retry-After seconds"),
        },
    }},
    "/stats": {"get": {
        "operationId": "getStats",
        "summary": "Participation totals (aggregates only)",
        "parameters": [
            _query("campaign", {"type": "integer"}, "Campaign year (default: the current one)"),
            _query("group_by", {"type": "string", "enum": ["province", "city", "kind", "date"],
                                "default": "province"}, ""),
            _query("province", {"type": "string"}, "Province adcode"),
            _query("kind", {"type": "string", "enum": list(KINDS)}, ""),
        ],
        "responses": {"200": _json(_ref("Stats"), "Totals and groups"),
                      "400": _error("Bad parameter"),
                      "404": _error("No campaign for that year")},
    }},
    "/openapi.json": {"get": {
        "operationId": "getOpenAPI",
        "responses": {"200": {"description": "This document",
                              "content": {"application/json": {"schema": {"type": "object"}}}}},
    }},
}


def document(server_url: str = "/api/v1") -> dict:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "openday API",
            "version": "1.0.0",
            "summary": "National open day of inspection and testing laboratories",
            "description": "No cookies, no CSRF; rate-limited. Times are ISO 8601 with the "
                           "+08:00 offset. Errors answer 4xx with "
                           "{\"error\": {\"code\", \"message\", \"fields\"}}.",
        },
        "servers": [{"url": server_url}],
        "paths": PATHS,
        "components": {"schemas": SCHEMAS},
    }


@bp.get("/openapi.json")
def openapi_json():
    return document(request.script_root + "/api/v1")

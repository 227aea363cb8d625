"""schemathesis over /api/v1/openapi.json, in process (WSGI): every documented operation gets
generated valid (positive) and invalid (negative) input; no 5xx, only documented status codes
and content types, and every response body matches its schema in the document.

(schemathesis' own pytest integration does not run under pytest 9, so each operation is a test
of its own here, driven through schemathesis' Python API and Hypothesis.)
"""
from __future__ import annotations

import re

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (content_type_conformance, response_schema_conformance,
                                               status_code_conformance)

from openday import create_app

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance]
HTTP_METHODS = {"get", "post", "put", "patch", "delete"}


def documented_operations() -> list[tuple[str, str]]:
    app = create_app({"TESTING": True, "SECRET_KEY": "openapi-listing-0123456789",
                      "OPENDAY_DATABASE_URL": "sqlite://"})
    document = app.test_client().get("/api/v1/openapi.json").get_json()
    return sorted((method.upper(), path) for path, item in document["paths"].items()
                  for method in item if method in HTTP_METHODS)


@pytest.fixture
def api_schema(app, create_slot):
    from openday.bookings import service
    slot = create_slot(capacity=8)                 # something for the slot and stats routes to show
    service.book(slot.id, service.BookingRequest("张三", "13800138000", 2, True))
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)


def test_the_document_lists_every_api_route(app):
    def shape(path: str) -> str:
        return re.sub(r"\{[^}]*\}|<[^>]*>", "{}", path)
    documented = {(method, shape("/api/v1" + path)) for method, path in documented_operations()}
    routes = {(method, shape(rule.rule)) for rule in app.url_map.iter_rules()
              if rule.rule.startswith("/api/v1/") for method in rule.methods - {"HEAD", "OPTIONS"}}
    assert documented == routes


@pytest.mark.parametrize(("method", "path"), documented_operations())
def test_operation_matches_its_openapi_document(api_schema, method, path):
    operation = api_schema[path][method]
    strategy = st.one_of(operation.as_strategy(generation_mode=GenerationMode.POSITIVE),
                         operation.as_strategy(generation_mode=GenerationMode.NEGATIVE))

    @settings(max_examples=25, deadline=None, phases=[Phase.explicit, Phase.generate],
              suppress_health_check=list(HealthCheck), database=None)
    @given(case=strategy)
    def run(case):
        case.call_and_validate(checks=CHECKS)

    run()

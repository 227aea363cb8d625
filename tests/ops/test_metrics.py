"""Prometheus metrics (openday/metrics.py): requests by URL rule, bookings by outcome, who may
read /metrics."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest
from prometheus_client.parser import text_string_to_metric_families

from openday.bookings import service
from openday.core.errors import RuleError

ROUTE = "/events/<int:event_id>"


@pytest.fixture
def backend() -> str:
    return "sqlite"  # the counters do not depend on the database


def samples(client, **kwargs) -> dict[tuple[str, tuple], float]:
    response = client.get("/metrics", **kwargs)
    assert response.status_code == 200, response.status_code
    text = response.get_data(as_text=True)
    return {(sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(text) for sample in family.samples}


def value(found: dict, name: str, **labels) -> float:
    return found.get((name, tuple(sorted(labels.items()))), 0.0)


def test_requests_are_counted_and_timed_by_url_rule_not_path(client, create_event):
    first, second = create_event(), create_event(title="第二场活动")
    before = samples(client)
    for event in (first, second, first):
        assert client.get(f"/events/{event.id}").status_code == 200
    token = "t" * 43
    assert client.get(f"/bookings/{token}").status_code == 404
    assert client.get("/no/such/page").status_code == 404
    after = samples(client)

    ok = {"method": "GET", "route": ROUTE, "status": "200"}
    assert value(after, "openday_http_requests_total", **ok) - \
        value(before, "openday_http_requests_total", **ok) == 3
    timed = {"method": "GET", "route": ROUTE}
    assert value(after, "openday_http_request_duration_seconds_count", **timed) - \
        value(before, "openday_http_request_duration_seconds_count", **timed) == 3
    token_route = {"method": "GET", "route": "/bookings/<token>", "status": "404"}
    assert value(after, "openday_http_requests_total", **token_route) - \
        value(before, "openday_http_requests_total", **token_route) == 1
    unmatched = {"method": "GET", "route": "<unmatched>", "status": "404"}
    assert value(after, "openday_http_requests_total", **unmatched) - \
        value(before, "openday_http_requests_total", **unmatched) == 1

    text = client.get("/metrics").get_data(as_text=True)
    assert token not in text and f"/events/{first.id}" not in text and "/no/such/page" not in text


def test_bookings_are_counted_by_outcome(client, create_slot):
    slot = create_slot(capacity=2, max_party=2)
    before = samples(client)

    def attempt(phone: str, party: int = 2, slot_id: int = slot.id):
        try:
            service.book(slot_id, service.BookingRequest("李四", phone, party, True))
        except RuleError as exc:
            return exc.code

    attempt("13800000001")              # confirmed: the slot is full now
    attempt("13800000002")              # waitlisted
    repeat = attempt("13800000001")     # the same phone again: refused, revealing nothing
    refused = attempt("13800000003", slot_id=slot.id + 1000)
    invalid = attempt("123")
    after = samples(client)

    def delta(outcome: str) -> float:
        return (value(after, "openday_bookings_total", outcome=outcome)
                - value(before, "openday_bookings_total", outcome=outcome))

    assert refused and invalid and refused != invalid
    assert repeat == "already_booked"
    assert (delta("confirmed"), delta("waitlisted"), delta(repeat)) == (1, 1, 1)
    assert delta(refused) == 1 and delta(invalid) == 1


def test_a_booking_through_the_page_is_counted(client, create_slot):
    slot = create_slot()
    before = value(samples(client), "openday_bookings_total", outcome="confirmed")
    client.submit(f"/slots/{slot.id}/book", {"name": "李四", "phone": "13800138000",
                                             "party_size": "2", "consent": "y"})
    assert value(samples(client), "openday_bookings_total", outcome="confirmed") == before + 1


@pytest.mark.parametrize("headers", [{"X-Forwarded-For": "203.0.113.5"}, {"X-Real-IP": "203.0.113.5"},
                                     {"Forwarded": "for=203.0.113.5"}])
def test_metrics_refuse_what_came_through_a_proxy(client, headers):
    assert client.get("/metrics").status_code == 200    # straight from loopback
    assert client.get("/metrics", headers=headers).status_code == 404


def test_metrics_refuse_other_addresses(client):
    for address in ("203.0.113.5", "10.0.0.8", "::ffff:203.0.113.5"):
        assert client.get("/metrics", environ_base={"REMOTE_ADDR": address}).status_code == 404
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "::1"}).status_code == 200


@pytest.mark.parametrize("app_config", [{"OPENDAY_METRICS_TOKEN": "s3cret-metrics-token"}])
def test_a_remote_scraper_needs_the_token(client, app_config):
    remote = {"REMOTE_ADDR": "203.0.113.5", "HTTP_X_FORWARDED_FOR": "203.0.113.5"}
    assert client.get("/metrics", environ_base=remote).status_code == 404
    wrong = {"Authorization": "Bearer not-the-token"}
    assert client.get("/metrics", environ_base=remote, headers=wrong).status_code == 404
    right = {"Authorization": "Bearer s3cret-metrics-token"}
    response = client.get("/metrics", environ_base=remote, headers=right)
    assert response.status_code == 200
    assert "openday_http_requests_total" in response.get_data(as_text=True)


WORKER = """
import sys
from openday import create_app
app = create_app({"TESTING": True, "OPENDAY_DATABASE_URL": "sqlite:///" + sys.argv[1]})
client = app.test_client()
for _ in range(int(sys.argv[2])):
    assert client.get("/no/such/page").status_code == 404
print(client.get("/metrics").get_data(as_text=True))
"""


def test_processes_sharing_a_multiprocess_directory_are_added_up(tmp_path):
    """What gunicorn_conf.py sets up for its workers: each process writes its own samples, and a
    scrape of any of them reports the sum."""
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "metrics")}
    (tmp_path / "metrics").mkdir()

    def worker(requests: int) -> float:
        done = subprocess.run([sys.executable, "-c", WORKER, str(tmp_path / "db.sqlite"), str(requests)],
                              env=env, capture_output=True, text=True, timeout=120, check=True)
        return sum(sample.value for family in text_string_to_metric_families(done.stdout)
                   for sample in family.samples if sample.name == "openday_http_requests_total"
                   and sample.labels.get("route") == "<unmatched>")

    assert worker(3) == 3
    assert worker(4) == 7   # this process counted 4; the scrape adds the first process's 3
    assert len(list((tmp_path / "metrics").glob("counter_*.db"))) == 2

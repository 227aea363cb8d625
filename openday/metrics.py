"""Prometheus metrics at ``/metrics`` (prometheus_client).

- ``openday_http_requests_total{method,route,status}`` and
  ``openday_http_request_duration_seconds{method,route}``: the route is the URL rule
  (``/bookings/<token>``), never the raw path, so a manage token never becomes a label and the
  series stay few;
- ``openday_bookings_total{outcome}``: ``confirmed``, ``waitlisted``, ``entered`` (a ballot
  entry) or the refusal's stable code (``already_booked``, ``booking_closed``, ``daily_limit``,
  ``busy``…).

Under gunicorn each worker is its own process: openday/gunicorn_conf.py sets
PROMETHEUS_MULTIPROC_DIR before the workers start, every worker writes its samples there and a
scrape of any worker adds all of them up (prometheus_client's multiprocess mode).

Who may read it: the page lists routes and traffic, nothing personal, but it is not for the
public. It answers a request made straight to the app from a loopback address (a Prometheus or
node agent on the host, `curl 127.0.0.1:5000/metrics`); a request that came through a proxy
(it carries X-Forwarded-For, X-Real-IP or Forwarded) is refused even though it arrives from
127.0.0.1, so a proxy rule that forwards /metrics by mistake still shows nothing. A scraper on
another host sends ``Authorization: Bearer <OPENDAY_METRICS_TOKEN>``. Everyone else gets a 404.
"""
from __future__ import annotations

import functools
import hmac
import ipaddress
import os
import time
from collections.abc import Callable

import prometheus_client as prom
from flask import Flask, Response, abort, current_app, g, request
from prometheus_client import Counter, Histogram, multiprocess

PATH = "/metrics"
PROXY_HEADERS = ("X-Forwarded-For", "X-Real-IP", "Forwarded")
UNMATCHED = "<unmatched>"  # 404s: one series for every path no rule knows

REQUESTS = Counter("openday_http_requests", "HTTP requests answered, by route and status.",
                   ["method", "route", "status"])
LATENCY = Histogram("openday_http_request_duration_seconds",
                    "Time from the request reaching the app to its response, by route.",
                    ["method", "route"],
                    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10))
BOOKINGS = Counter("openday_bookings", "Booking attempts by outcome: confirmed, waitlisted, "
                   "entered (a ballot entry), or the refusal's code.", ["outcome"])


def count_bookings(refusal: type[Exception]) -> Callable:
    """Decorates the booking service's ``book``: counts what each attempt came to.
    ``refusal`` is the service's error class; its ``code`` is the outcome."""
    def decorate(book: Callable) -> Callable:
        @functools.wraps(book)
        def counted(*args, **kwargs):
            try:
                booking = book(*args, **kwargs)
            except refusal as exc:
                BOOKINGS.labels(outcome=getattr(exc, "code", "refused")).inc()
                raise
            BOOKINGS.labels(outcome=str(booking.status)).inc()
            return booking
        return counted
    return decorate


def _route() -> str:
    rule = request.url_rule
    return rule.rule if rule is not None else UNMATCHED


def _start() -> None:
    g.metrics_started = time.perf_counter()


def _record(status: int) -> None:
    started = g.pop("metrics_started", None)
    if started is None or request.path == PATH:
        return  # already counted (an error answered after a teardown) or the scrape itself
    route, method = _route(), request.method
    REQUESTS.labels(method=method, route=route, status=str(status)).inc()
    LATENCY.labels(method=method, route=route).observe(time.perf_counter() - started)


def _after(response: Response) -> Response:
    _record(response.status_code)
    return response


def _teardown(exc: BaseException | None) -> None:
    if exc is not None:  # after_request did not run: the client got a 500
        _record(500)


def allowed() -> bool:
    token = current_app.config.get("OPENDAY_METRICS_TOKEN") or os.environ.get("OPENDAY_METRICS_TOKEN")
    sent = request.headers.get("Authorization", "")
    if token and sent.startswith("Bearer ") and hmac.compare_digest(sent[7:].encode(), token.encode()):
        return True
    if any(header in request.headers for header in PROXY_HEADERS):
        return False
    try:
        return ipaddress.ip_address(request.remote_addr or "").is_loopback
    except ValueError:
        return False


def registry() -> prom.CollectorRegistry:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        combined = prom.CollectorRegistry()
        multiprocess.MultiProcessCollector(combined)
        return combined
    return prom.REGISTRY


def metrics_view() -> Response:
    if not allowed():
        abort(404)
    response = Response(prom.generate_latest(registry()), mimetype=prom.CONTENT_TYPE_LATEST)
    response.headers["Cache-Control"] = "no-store"
    return response


def init_app(app: Flask) -> None:
    app.before_request(_start)
    app.after_request(_after)
    app.teardown_request(_teardown)
    app.add_url_rule(PATH, "metrics", metrics_view)

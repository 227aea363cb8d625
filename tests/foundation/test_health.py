"""GET /healthz (SPEC §6): ok, or 503 naming the part that is down; no secrets, no counts."""
from __future__ import annotations

import pytest

from openday import create_app
from openday.extensions import db as _db, limiter
from tests.servers import closed_port

SETTINGS = {"TESTING": True, "SECRET_KEY": "test-secret-key-0123456789", "SERVER_NAME": None}
SHARED_REDIS = "redis://127.0.0.1:6379"


def health(app):
    response = app.test_client().get("/healthz")
    assert response.headers["Cache-Control"] == "no-store"
    assert "Set-Cookie" not in response.headers
    return response


def assert_down(response, part: str) -> dict:
    assert response.status_code == 503
    assert int(response.headers["Retry-After"]) > 0
    body = response.get_json()
    assert body["status"] != "ok" and body[part] not in ("ok", "", None)
    assert "127.0.0.1" not in response.get_data(as_text=True)  # no host, port or URL
    return body


def test_healthy_app_without_redis(app):
    response = health(app)
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok"}


@pytest.fixture
def app_config(request):
    return getattr(request, "param", {})


@pytest.mark.parametrize("app_config", [
    {"RATELIMIT_ENABLED": True, "RATELIMIT_STORAGE_URI": SHARED_REDIS},
    {"OPENDAY_QUEUE_URL": SHARED_REDIS + "/0"},
], indirect=True)
def test_healthy_app_with_redis(app):
    response = health(app)
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok", "redis": "ok"}


@pytest.mark.parametrize("backend", ["sqlite"])
@pytest.mark.parametrize("app_config", [
    {"RATELIMIT_ENABLED": True, "RATELIMIT_STORAGE_URI": f"redis://:hunter2@127.0.0.1:{closed_port()}"},
    {"OPENDAY_QUEUE_URL": f"redis://127.0.0.1:{closed_port()}/0"},
], indirect=["app_config"])
def test_redis_down_is_503_without_its_url(app):
    response = health(app)
    body = assert_down(response, "redis")
    assert body == {"status": "unavailable", "database": "ok", "redis": "connection refused"}
    assert "hunter2" not in response.get_data(as_text=True)


def test_database_down_is_503():
    url = f"postgresql://postgres:hunter2@127.0.0.1:{closed_port()}/openday"
    app = create_app({**SETTINGS, "OPENDAY_DATABASE_URL": url})
    response = health(app)
    body = assert_down(response, "database")
    assert body == {"status": "unavailable", "database": "connection refused"}
    assert "hunter2" not in response.get_data(as_text=True)
    with app.app_context():
        _db.engine.dispose()


@pytest.fixture
def everything_limited(tmp_path, request):
    """An app where every route is limited to two requests a minute (an application-wide limit);
    the limit is taken off the process-wide limiter afterwards."""
    from tests.conftest import make_app
    app = make_app("sqlite", tmp_path, request, RATELIMIT_ENABLED=True,
                   RATELIMIT_APPLICATION="2 per minute")
    yield app
    limiter.limit_manager.set_application_limits([])


def test_healthz_is_exempt_from_rate_limits(everything_limited):
    client = everything_limited.test_client()
    assert [client.get("/healthz").status_code for _ in range(5)] == [200] * 5
    assert [client.get("/").status_code for _ in range(3)] == [200, 200, 429]  # the limit is real

"""Rate limits shared between app servers through the real Redis on 127.0.0.1:6379 (SPEC §8, §9)."""
import uuid

import pytest
import redis

from tests.conftest import PASSWORD, make_app

REDIS_URL = "redis://127.0.0.1:6379"


@pytest.fixture
def redis_prefix():
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3)
    try:
        client.ping()
    except redis.RedisError as exc:
        pytest.fail(f"Redis is needed at {REDIS_URL} (start it: redis-server --daemonize yes): {exc}",
                    pytrace=False)
    prefix = f"openday-test-{uuid.uuid4().hex[:8]}"
    yield prefix
    for key in client.scan_iter(f"*{prefix}*"):
        client.delete(key)


@pytest.fixture
def two_servers(tmp_path, request, redis_prefix):
    """Two app instances on one database, as two gunicorn hosts would be, sharing Redis."""
    config = {"RATELIMIT_ENABLED": True, "RATELIMIT_STORAGE_URI": REDIS_URL,
              "RATELIMIT_KEY_PREFIX": redis_prefix, "OPENDAY_LOGIN_ACCOUNT_LIMIT": "4 per 15 minutes"}
    first = make_app("sqlite", tmp_path, request, **config)
    second = make_app("sqlite", tmp_path, request, **config)
    from tests.conftest import FormClient
    first.test_client_class = second.test_client_class = FormClient
    return first, second


def failed_login(app, email):
    with app.app_context():
        return app.test_client().submit("/login", {"email": email, "password": "wrong guess"})


def test_failed_logins_on_one_server_count_on_the_other(two_servers, redis_prefix):
    first, second = two_servers
    with first.app_context():
        from openday.accounts.models import User
        from openday.extensions import db
        user = User(email="shared@openday.test", role="admin")
        user.set_password(PASSWORD)
        db.session.add(user)
        db.session.commit()

    assert failed_login(first, "shared@openday.test").status_code == 200
    assert failed_login(second, "shared@openday.test").status_code == 200
    assert failed_login(first, "shared@openday.test").status_code == 200
    assert failed_login(second, "shared@openday.test").status_code == 200
    # The fifth try is refused wherever it lands: the counter lives in Redis, not in a worker.
    with first.app_context():
        refused = first.test_client().submit("/login", {"email": "shared@openday.test", "password": PASSWORD})
    assert refused.status_code == 429
    # ...and it really is Redis that holds it (both apps in this process share one Limiter object,
    # so only the keys prove the counter is outside the process).
    keys = list(redis.Redis.from_url(REDIS_URL).scan_iter(f"*{redis_prefix}*"))
    assert keys, "no rate-limit counter was written to Redis"

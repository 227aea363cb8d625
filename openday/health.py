"""``GET /healthz`` (SPEC §6): can this server answer right now? For load balancers and probes.

200 ``{"status": "ok", "database": "ok", "redis": "ok"}`` ("redis" only when a store is
configured on Redis: the rate limits' or the job queue's), or 503 with ``Retry-After`` and the
failing part's reason in a few fixed words. Never a URL, a host, a count or a driver's message.
Exempt from rate limits (a probe every second must not be refused) and sets no cookie.
"""
from __future__ import annotations

import redis
from flask import Blueprint, current_app, jsonify

from openday.database import RETRY_AFTER_S, fault_reason
from openday.extensions import db, limiter

bp = Blueprint("health", __name__)

REDIS_TIMEOUT_S = 1


def _database() -> str:
    try:
        with db.engine.connect() as connection:
            connection.exec_driver_sql("SELECT 1")
    except Exception as exc:  # whatever the reason, the probe answers; the words say which
        return fault_reason(exc) or "error"
    return "ok"


def redis_urls() -> list[str]:
    """The Redis stores this server depends on, from OPENDAY_RATELIMIT_STORAGE_URI (only while
    limits are on) and OPENDAY_QUEUE_URL."""
    config = current_app.config
    urls = [config.get("OPENDAY_QUEUE_URL") or ""]
    if config.get("RATELIMIT_ENABLED"):
        urls.append(config.get("RATELIMIT_STORAGE_URI") or "")
    return list(dict.fromkeys(url for url in urls if url.startswith(("redis://", "rediss://"))))


def _redis(url: str) -> str:
    client = redis.Redis.from_url(url, socket_connect_timeout=REDIS_TIMEOUT_S,
                                  socket_timeout=REDIS_TIMEOUT_S)
    try:
        client.ping()
    except redis.TimeoutError:
        return "timeout"
    except redis.ConnectionError:
        return "connection refused"
    except redis.RedisError as exc:  # e.g. authentication: its class says enough
        return type(exc).__name__
    finally:
        client.close()
    return "ok"


@bp.get("/healthz")
@limiter.exempt
def healthz():
    parts = {"database": _database()}
    urls = redis_urls()
    if urls:
        answers = [_redis(url) for url in urls]
        parts["redis"] = next((answer for answer in answers if answer != "ok"), "ok")
    healthy = all(value == "ok" for value in parts.values())
    response = jsonify({"status": "ok" if healthy else "unavailable", **parts})
    response.headers["Cache-Control"] = "no-store"
    if not healthy:
        response.status_code = 503
        response.headers["Retry-After"] = str(RETRY_AFTER_S)
    return response

"""Settings from the environment (SPEC §9); every variable is optional for `make run`."""
from __future__ import annotations

import os
from pathlib import Path

INSECURE_KEYS = {"", "dev", "changeme", "secret"}


def _flag(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    return raw.strip().lower() not in {"0", "false", "no", "off"}


def _optional(name: str, kind: type) -> dict:
    """A setting only when the environment names it, so the code's own default stands otherwise."""
    raw = os.environ.get(name)
    return {name: kind(raw)} if raw not in (None, "") else {}


def from_env(instance_path: str) -> dict:
    sqlite_file = Path(instance_path) / "openday.db"
    return {
        "SECRET_KEY": os.environ.get("SECRET_KEY", ""),
        "OPENDAY_DATABASE_URL": os.environ.get("OPENDAY_DATABASE_URL") or f"sqlite:///{sqlite_file}",
        "OPENDAY_GEOCODER": os.environ.get("OPENDAY_GEOCODER", "offline"),
        "OPENDAY_GEOCODER_API_KEY": os.environ.get("OPENDAY_GEOCODER_API_KEY"),
        "RATELIMIT_STORAGE_URI": os.environ.get("OPENDAY_RATELIMIT_STORAGE_URI", "memory://"),
        "RATELIMIT_ENABLED": _flag("OPENDAY_RATELIMIT_ENABLED", True),
        "RATELIMIT_HEADERS_ENABLED": True,
        # A rate-limit store that is down must not refuse citizens (SPEC §8): count in memory
        # until it is back, and never let a limiter error become the request's answer.
        "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
        "RATELIMIT_SWALLOW_ERRORS": True,
        "OPENDAY_QUEUE_URL": os.environ.get("OPENDAY_QUEUE_URL", ""),
        # Local http (make run) cannot send Secure cookies back; production behind TLS keeps them.
        "OPENDAY_SECURE_COOKIES": _flag("OPENDAY_SECURE_COOKIES", True),
        "OPENDAY_PHONE_DAILY_LIMIT": int(os.environ.get("OPENDAY_PHONE_DAILY_LIMIT", "6")),
        "OPENDAY_RETENTION_DAYS": int(os.environ.get("OPENDAY_RETENTION_DAYS", "90")),
        "OPENDAY_PUBLIC_URL": os.environ.get("OPENDAY_PUBLIC_URL", ""),
        # How many proxies in front of the app append to X-Forwarded-For (0: none, trust nothing).
        "OPENDAY_PROXY_HOPS": int(os.environ.get("OPENDAY_PROXY_HOPS") or "0"),
        # The largest form is a notice (20,000 characters, under 200 KB urlencoded): 1 MB leaves
        # room and refuses (413) the megabytes a script might post to have them parsed or echoed.
        "MAX_CONTENT_LENGTH": int(os.environ.get("OPENDAY_MAX_CONTENT_LENGTH") or 1024 * 1024),
        # Multipart bodies only (no form of ours is one, a client may still send one): any field
        # over 500 KB, or more than 1,000 parts, is refused. Flask's defaults, stated here.
        "MAX_FORM_MEMORY_SIZE": 500_000,
        "MAX_FORM_PARTS": 1_000,
        **_optional("OPENDAY_STATS_CACHE_SECONDS", int),
        **_optional("OPENDAY_SEARCH_CACHE_SECONDS", int),
        **_optional("OPENDAY_LOGIN_ACCOUNT_LIMIT", str),
        **_optional("OPENDAY_LOGIN_ADDRESS_LIMIT", str),
        **_optional("OPENDAY_LOGIN_ACCOUNT_CEILING", str),
        **_optional("OPENDAY_REGISTER_LIMIT", str),
        **_optional("OPENDAY_TOKEN_MISS_LIMIT", str),
        "BABEL_DEFAULT_LOCALE": "zh_Hans",
        "BABEL_DEFAULT_TIMEZONE": "Asia/Shanghai",
        "OPENDAY_LOCALES": ("zh_Hans", "zh_Hant", "en"),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        # hide_parameters: SQL errors (and so tracebacks in logs) never quote a phone or a name.
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True, "hide_parameters": True},
        "WTF_CSRF_TIME_LIMIT": None,  # a booking form left open over lunch must still submit
    }

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
        # Local http (make run) cannot send Secure cookies back; production behind TLS keeps them.
        "OPENDAY_SECURE_COOKIES": _flag("OPENDAY_SECURE_COOKIES", True),
        "OPENDAY_PHONE_DAILY_LIMIT": int(os.environ.get("OPENDAY_PHONE_DAILY_LIMIT", "6")),
        "OPENDAY_RETENTION_DAYS": int(os.environ.get("OPENDAY_RETENTION_DAYS", "90")),
        "OPENDAY_PUBLIC_URL": os.environ.get("OPENDAY_PUBLIC_URL", ""),
        **_optional("OPENDAY_STATS_CACHE_SECONDS", int),
        **_optional("OPENDAY_SEARCH_CACHE_SECONDS", int),
        **_optional("OPENDAY_LOGIN_ACCOUNT_LIMIT", str),
        **_optional("OPENDAY_LOGIN_ADDRESS_LIMIT", str),
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

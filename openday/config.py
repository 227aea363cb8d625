"""Settings from the environment (SPEC §9), each with its default here and nowhere else; every
variable is optional for `make run`."""
from __future__ import annotations

import os
from pathlib import Path

INSECURE_KEYS = {"", "dev", "changeme", "secret"}


def _flag(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    return raw.strip().lower() not in {"0", "false", "no", "off"}


def _text(name: str, default: str) -> str:
    return os.environ.get(name) or default


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    return default if raw is None or raw.strip() == "" else int(raw)


# What a test app (TESTING) starts from instead, before the test's own settings: figures read
# fresh, so a test sees what it just wrote.
TESTING_DEFAULTS = {
    "OPENDAY_STATS_CACHE_SECONDS": 0,
    "OPENDAY_SEARCH_CACHE_SECONDS": 0,
    # A test app's messages queue in memory unless the test names a store the worker shares.
    "OPENDAY_QUEUE_URL": "memory://",
    "OPENDAY_SEARCH_LIST_SECONDS": 0,
}


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
        # The job store (SPEC §9): "" is a SQLite file in instance/, "redis://…" for several
        # servers, "sqlite:////path/queue.db" a file elsewhere, "memory://" this process only.
        "OPENDAY_QUEUE_URL": os.environ.get("OPENDAY_QUEUE_URL", ""),
        "OPENDAY_QUEUE_NAME": _text("OPENDAY_QUEUE_NAME", "openday"),
        "OPENDAY_WORKER_THREADS": _int("OPENDAY_WORKER_THREADS", 2),
        # Messages (SPEC §11). Unset gateway: SMS are kept and shown on the booking's page only.
        "OPENDAY_SMS_WEBHOOK_URL": os.environ.get("OPENDAY_SMS_WEBHOOK_URL", ""),
        "OPENDAY_SMS_TIMEOUT_SECONDS": _int("OPENDAY_SMS_TIMEOUT_SECONDS", 10),
        "OPENDAY_SMTP_URL": os.environ.get("OPENDAY_SMTP_URL", ""),
        "OPENDAY_MAIL_FROM": _text("OPENDAY_MAIL_FROM", "openday@localhost"),
        # A claimed message is the worker's for this long; past it (the worker died) it is tried
        # again, with the same id. Longer than a gateway's timeout, so a live worker keeps it.
        "OPENDAY_MESSAGE_LEASE_SECONDS": _int("OPENDAY_MESSAGE_LEASE_SECONDS", 60),
        # Retries wait this, doubling each time (capped at an hour), up to the last attempt.
        "OPENDAY_MESSAGE_RETRY_SECONDS": _int("OPENDAY_MESSAGE_RETRY_SECONDS", 30),
        "OPENDAY_MESSAGE_MAX_ATTEMPTS": _int("OPENDAY_MESSAGE_MAX_ATTEMPTS", 12),
        # No SMS from the first hour to the second (Beijing time) but a same-day change; "" : none.
        "OPENDAY_SMS_QUIET_HOURS": os.environ.get("OPENDAY_SMS_QUIET_HOURS", "21-8"),
        "OPENDAY_SMS_DAILY_CEILING": _int("OPENDAY_SMS_DAILY_CEILING", 10),
        # Reminders go out from this hour (Beijing) the day before the visit.
        "OPENDAY_REMINDER_HOUR": _int("OPENDAY_REMINDER_HOUR", 18),
        # "Find my bookings": tight per phone (each asks for an SMS to it), generous per address.
        "OPENDAY_FIND_PHONE_LIMIT": _text("OPENDAY_FIND_PHONE_LIMIT", "3 per 15 minutes;10 per day"),
        "OPENDAY_FIND_ADDRESS_LIMIT": _text("OPENDAY_FIND_ADDRESS_LIMIT", "60 per hour"),
        "OPENDAY_RESET_ACCOUNT_LIMIT": _text("OPENDAY_RESET_ACCOUNT_LIMIT", "3 per hour;10 per day"),
        "OPENDAY_RESET_ADDRESS_LIMIT": _text("OPENDAY_RESET_ADDRESS_LIMIT", "60 per hour"),
        # Local http (make run) cannot send Secure cookies back; production behind TLS keeps them.
        "OPENDAY_SECURE_COOKIES": _flag("OPENDAY_SECURE_COOKIES", True),
        "OPENDAY_PHONE_DAILY_LIMIT": _int("OPENDAY_PHONE_DAILY_LIMIT", 6),
        "OPENDAY_RETENTION_DAYS": _int("OPENDAY_RETENTION_DAYS", 90),
        # Days after a visit during which a checked-in visitor may rate it (SPEC §13).
        "OPENDAY_FEEDBACK_DAYS": _int("OPENDAY_FEEDBACK_DAYS", 30),
        "OPENDAY_PUBLIC_URL": os.environ.get("OPENDAY_PUBLIC_URL", ""),
        # How many proxies in front of the app append to X-Forwarded-For (0: none, trust nothing).
        "OPENDAY_PROXY_HOPS": _int("OPENDAY_PROXY_HOPS", 0),
        # The largest form is a notice (20,000 characters, under 200 KB urlencoded): 1 MB leaves
        # room and refuses (413) the megabytes a script might post to have them parsed or echoed.
        "MAX_CONTENT_LENGTH": _int("OPENDAY_MAX_CONTENT_LENGTH", 1024 * 1024),
        # Multipart bodies only (no form of ours is one, a client may still send one): any field
        # over 500 KB, or more than 1,000 parts, is refused. Flask's defaults, stated here.
        "MAX_FORM_MEMORY_SIZE": 500_000,
        "MAX_FORM_PARTS": 1_000,
        # Seconds an answer many read at once is remembered in each process (cache.py): the
        # campaign's totals a minute, a search list two seconds (its seats change under it).
        "OPENDAY_STATS_CACHE_SECONDS": _int("OPENDAY_STATS_CACHE_SECONDS", 60),
        "OPENDAY_SEARCH_CACHE_SECONDS": _int("OPENDAY_SEARCH_CACHE_SECONDS", 2),
        # Which slots a search finds, in what order, and how many: remembered longer, since they
        # change only when slots are added (a cancelled, closed or started one is dropped when
        # the page is read, with the seats, which are never older than the two seconds above).
        "OPENDAY_SEARCH_LIST_SECONDS": _int("OPENDAY_SEARCH_LIST_SECONDS", 30),
        # Failed logins, three ways. Per account and address tight: one address guessing one
        # account's password. Per address generous: a carrier-grade NAT puts a whole district's
        # staff behind one address. Per account a high ceiling across addresses, against guessing
        # spread over many, high enough that a stranger's failures leave the owner able to sign in.
        "OPENDAY_LOGIN_ACCOUNT_LIMIT": _text("OPENDAY_LOGIN_ACCOUNT_LIMIT",
                                             "5 per 15 minutes; 20 per day"),
        "OPENDAY_LOGIN_ADDRESS_LIMIT": _text("OPENDAY_LOGIN_ADDRESS_LIMIT",
                                             "60 per 15 minutes; 500 per day"),
        "OPENDAY_LOGIN_ACCOUNT_CEILING": _text("OPENDAY_LOGIN_ACCOUNT_CEILING",
                                               "100 per hour; 500 per day"),
        # Lab registrations per address, generous: many applicants may sit behind one NAT.
        "OPENDAY_REGISTER_LIMIT": _text("OPENDAY_REGISTER_LIMIT", "60 per hour; 300 per day"),
        # Manage-token misses per address before those routes answer 429.
        "OPENDAY_TOKEN_MISS_LIMIT": _text("OPENDAY_TOKEN_MISS_LIMIT", "20 per minute;100 per hour"),
        # Minutes after a check-in during which the lab may undo it or correct how many came.
        "OPENDAY_CHECKIN_UNDO_MINUTES": _int("OPENDAY_CHECKIN_UNDO_MINUTES", 10),
        # /metrics answers another host only with this bearer token ("" : the local host only).
        "OPENDAY_METRICS_TOKEN": os.environ.get("OPENDAY_METRICS_TOKEN", ""),
        # Notices' attachments: the largest file, how many per notice, and where they are kept
        # ("" : instance/attachments). The notice form's body may be that much larger.
        "OPENDAY_ATTACHMENT_MAX_BYTES": _int("OPENDAY_ATTACHMENT_MAX_BYTES", 10 * 1024 * 1024),
        "OPENDAY_ATTACHMENTS_PER_NOTICE": _int("OPENDAY_ATTACHMENTS_PER_NOTICE", 5),
        "OPENDAY_ATTACHMENTS_DIR": os.environ.get("OPENDAY_ATTACHMENTS_DIR", ""),
        # Where the approval queue's link looks a CMA certificate up (a link only; nothing fetched).
        "OPENDAY_CMA_QUERY_URL": _text("OPENDAY_CMA_QUERY_URL", "http://cx.cnca.cn/"),
        # Where the hashed static files are written ("" : instance/assets).
        "OPENDAY_ASSETS_DIR": os.environ.get("OPENDAY_ASSETS_DIR", ""),
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

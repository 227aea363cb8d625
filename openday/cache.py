"""A short per-process memory for answers that many readers ask for at once.

When the press links the campaign's figures, or a city's list of slots opens in thousands of
phones, each reader would repeat the same queries. Pages that can show an answer a little old
remember it here for a few seconds (search lists) or a minute (totals). It is per process on
purpose: everything in it can be recomputed from the database, so no other app server ever
needs it, and each server fills its own with one request. Only plain values are kept (never ORM
objects, which belong to one session), errors are never remembered, and each setting has its
own bounded store, so a burst of distinct searches cannot push the totals out.
"""
from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TypeVar

from flask import current_app, has_request_context

from openday.core.i18n import locale_code

T = TypeVar("T")
MAX_ENTRIES = 512

_stores: dict[str, dict[tuple, tuple[float, object]]] = {}
_lock = threading.Lock()
_clock = time.monotonic  # the seconds an answer is remembered for (tests move it)


def seconds_for(setting: str) -> int:
    """The setting's seconds (``config.from_env`` holds the default; 0 under TESTING unless a test
    sets it). A setting the app lacks remembers nothing."""
    return int(current_app.config.get(setting) or 0)


def remembered(setting: str, compute: Callable[..., T], *args, per_locale: bool = True,
               max_entries: int = MAX_ENTRIES) -> T:
    """``compute(*args)``, remembered for ``seconds_for(setting)`` in this process:
    ``remembered(setting, compute, *args)``.

    The key holds the database, the function, its (hashable) arguments and, unless the answer
    does not depend on it, the reader's language.
    """
    seconds = seconds_for(setting)
    if seconds <= 0:
        return compute(*args)
    locale = locale_code() if per_locale and has_request_context() else ""
    key = (current_app.config.get("OPENDAY_DATABASE_URL"), locale, compute.__qualname__, args)
    now = _clock()
    with _lock:
        store = _stores.setdefault(setting, {})
        hit = store.get(key)
    if hit is not None and hit[0] > now:
        return hit[1]  # type: ignore[return-value]
    value = compute(*args)
    with _lock:
        if len(store) >= max_entries:
            # The expired ones, or else the oldest quarter (a dict keeps insertion order): under
            # a campaign's thousands of distinct searches, forgetting everything at once made a
            # full store a cold one.
            stale = [k for k, (until, _v) in store.items() if until <= now]
            for old in stale or list(store)[:max(1, max_entries // 4)]:
                del store[old]
        store[key] = (now + seconds, value)
    return value


def forget(setting: str | None = None) -> None:
    """Drop what was remembered (for one setting, or all)."""
    with _lock:
        if setting is None:
            _stores.clear()
        else:
            _stores.pop(setting, None)

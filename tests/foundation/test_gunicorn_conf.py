"""gunicorn settings read from the environment (openday/gunicorn_conf.py)."""
from __future__ import annotations

import importlib

import openday.gunicorn_conf as conf


def test_workers_are_recycled_only_when_asked(monkeypatch):
    try:
        monkeypatch.delenv("OPENDAY_MAX_REQUESTS", raising=False)
        assert importlib.reload(conf).max_requests == 0  # gunicorn's "never"
        monkeypatch.setenv("OPENDAY_MAX_REQUESTS", "50000")
        recycled = importlib.reload(conf)
        assert (recycled.max_requests, recycled.max_requests_jitter) == (50000, 5000)
    finally:
        monkeypatch.undo()
        importlib.reload(conf)

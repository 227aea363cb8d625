"""openday/gunicorn_conf.py's multiprocess directory for the metrics: set in the master on start,
cleared of a previous run's samples (and of nothing else), removed on exit when it made it."""
from __future__ import annotations

import importlib
import os

import openday.gunicorn_conf as conf


def test_the_master_makes_its_own_directory_and_removes_it(monkeypatch):
    monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR", raising=False)
    hooks = importlib.reload(conf)
    assert "PROMETHEUS_MULTIPROC_DIR" not in os.environ  # importing the settings sets nothing
    try:
        hooks.on_starting(None)
        directory = os.environ["PROMETHEUS_MULTIPROC_DIR"]
        assert os.path.isdir(directory) and not os.listdir(directory)
        hooks.on_exit(None)
        assert not os.path.exists(directory)
    finally:
        os.environ.pop("PROMETHEUS_MULTIPROC_DIR", None)  # set by the hook, not by monkeypatch


def test_an_operators_directory_loses_old_samples_only(monkeypatch, tmp_path):
    for name in ("counter_123.db", "histogram_123.db", "gauge_livesum_99.db", "notes.txt"):
        (tmp_path / name).write_text("x")
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    hooks = importlib.reload(conf)
    hooks.on_starting(None)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]
    hooks.on_exit(None)
    assert (tmp_path / "notes.txt").exists()

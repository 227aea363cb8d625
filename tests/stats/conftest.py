"""Fixtures for the totals' tests: the world of tests/stats/world.py, and people to look at it."""
from __future__ import annotations

from datetime import timedelta

import pytest

from openday import clock

from tests.stats.world import Ledger, build_world


@pytest.fixture
def ledger(db) -> Ledger:
    return Ledger(db)


@pytest.fixture
def world(db, campaign, create_campaign, create_lab, create_event, create_slot):
    return build_world(db, campaign, create_campaign, create_lab, create_event, create_slot)


@pytest.fixture
def after_campaign(monkeypatch):
    """Every slot of the world (the last starts six days from now) has ended."""
    later = clock.now() + timedelta(days=10)
    monkeypatch.setattr(clock, "now", lambda: later)
    return later

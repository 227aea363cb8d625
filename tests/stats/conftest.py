"""Fixtures for the totals' tests: the world of tests/stats/world.py, and people to look at it."""
from __future__ import annotations

import pytest

from tests.stats.world import Ledger, build_world


@pytest.fixture
def ledger(db) -> Ledger:
    return Ledger(db)


@pytest.fixture
def world(db, campaign, create_campaign, create_lab, create_event, create_slot):
    return build_world(db, campaign, create_campaign, create_lab, create_event, create_slot)

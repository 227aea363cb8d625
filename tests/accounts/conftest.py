"""Fixtures for accounts: one user of each role, and the routes this package guards."""
from __future__ import annotations

import pytest


@pytest.fixture
def users(create_user, create_lab):
    lab = create_lab(status="approved")
    return {
        "lab": create_user(role="lab", lab=lab),
        "regulator": create_user(role="regulator", region_scope="430000"),
        "admin": create_user(role="admin"),
    }

"""Fixtures for lab registration and review."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from openday.accounts.models import User
from openday.labs.models import Lab


@pytest.fixture
def registration():
    """A factory for a valid registration form (长沙市岳麓区), overridable field by field."""
    def make(**changes) -> dict:
        data = {
            "name": "湖南省食品质量监督检验研究院",
            "credit_code": "91350100M000100Y43",
            "cma_number": "201918000001",
            "province": "430000",
            "city": "430100",
            "district": "430104",
            "address": "麓谷大道 1 号",
            "contact_name": "王工",
            "contact_phone": "138-1234-5678",
            "contact_email": "contact@example.cn",
            "testing_fields": ["food", "water"],
            "user_email": "Director@Example.cn",
            "password": "a-long-password",
            "confirm": "a-long-password",
        }
        data.update(changes)
        return data
    return make


@pytest.fixture
def counts(db):
    """(labs, users) currently stored: what a failed submission must leave unchanged."""
    def count() -> tuple[int, int]:
        labs = db.session.execute(sa.select(sa.func.count()).select_from(Lab)).scalar_one()
        users = db.session.execute(sa.select(sa.func.count()).select_from(User)).scalar_one()
        return labs, users
    return count

"""Fixtures of the fuzz tests (strategies and helpers are in fuzzing.py)."""
from __future__ import annotations

import pytest
import sqlalchemy as sa


@pytest.fixture
def row_counts(db):
    """row_counts() -> {table: rows} for every table, to prove a rejected request stored nothing."""
    def count() -> dict[str, int]:
        db.session.rollback()
        return {table.name: db.session.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()
                for table in db.metadata.sorted_tables}
    return count

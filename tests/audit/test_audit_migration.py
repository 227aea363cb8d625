"""The migration installs the same refusal of UPDATE and DELETE as ``create_all``."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from tests.foundation.test_migrations import empty_database, flask  # noqa: F401  (a fixture)


def test_a_migrated_database_refuses_to_rewrite_the_log(empty_database):  # noqa: F811
    upgrade = flask("db", "upgrade", url=empty_database)
    assert upgrade.returncode == 0, upgrade.stderr
    engine = sa.create_engine(empty_database.replace("postgresql://", "postgresql+psycopg://"))
    try:
        with engine.begin() as connection:
            connection.execute(sa.text(
                "INSERT INTO audit_entry (created_at, actor_email, actor_role, action, object_type,"
                " reason) VALUES (CURRENT_TIMESTAMP, '', '', 'lab.approve', 'lab', 'kept')"))
        for statement in ("UPDATE audit_entry SET reason = 'rewritten'", "DELETE FROM audit_entry"):
            with pytest.raises(sa.exc.DatabaseError, match="append-only"):
                with engine.begin() as connection:
                    connection.execute(sa.text(statement))
        with engine.connect() as connection:
            assert connection.execute(sa.text("SELECT reason FROM audit_entry")).scalars().all() == [
                "kept"]
        downgrade = flask("db", "downgrade", "c3d4e5f6a7b8", url=empty_database)
        assert downgrade.returncode == 0, downgrade.stderr
    finally:
        engine.dispose()

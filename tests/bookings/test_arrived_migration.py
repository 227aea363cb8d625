"""The migration that adds Booking.arrived counts the bookings checked in before it as whole
parties arrived, so the visits (人次) they made stay what they were."""
from __future__ import annotations

import sqlalchemy as sa

from tests.foundation.test_migrations import empty_database, flask  # noqa: F401  (a fixture)

BEFORE = "d1e2f3a4b5c6"


def test_bookings_checked_in_before_the_migration_count_their_whole_party(
        empty_database):  # noqa: F811
    assert flask("db", "upgrade", url=empty_database).returncode == 0
    assert flask("openday", "demo", url=empty_database).returncode == 0  # past check-ins included
    check = flask("openday", "check", url=empty_database)
    assert check.returncode == 0, check.stdout + check.stderr
    back = flask("db", "downgrade", BEFORE, url=empty_database)
    assert back.returncode == 0, back.stderr
    again = flask("db", "upgrade", url=empty_database)
    assert again.returncode == 0, again.stderr
    engine = sa.create_engine(empty_database.replace("postgresql://", "postgresql+psycopg://"))
    try:
        with engine.connect() as connection:
            checked, whole = connection.execute(sa.text(
                "SELECT count(*), sum(CASE WHEN arrived = party_size THEN 1 ELSE 0 END) "
                "FROM booking WHERE checked_in_at IS NOT NULL")).one()
            others = connection.execute(sa.text(
                "SELECT count(*) FROM booking WHERE checked_in_at IS NULL AND arrived IS NOT NULL"
            )).scalar()
    finally:
        engine.dispose()
    assert checked > 0 and whole == checked and others == 0
    # (``openday check`` is not run again: going below the ballot migration forgets a drawn
    # ballot's order, so its waitlist reads as arrival order, which the check would flag.)

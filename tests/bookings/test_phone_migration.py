"""Migration b16a1c2d3e4f: stored phones become E.164 and the per-slot and daily-cap indexes
keep working on them, on both databases (and going back restores the 11 digits)."""
from __future__ import annotations

import sqlalchemy as sa

from tests.foundation.test_migrations import empty_database, flask  # noqa: F401  (a fixture)

BEFORE = "d1e2f3a4b5c6"


def phones(engine) -> list[str]:
    with engine.connect() as connection:
        return connection.execute(sa.text(
            "SELECT phone FROM booking WHERE phone IS NOT NULL ORDER BY id")).scalars().all()


def test_stored_phones_move_to_e164_and_back(empty_database):  # noqa: F811
    for step in (("db", "upgrade"), ("openday", "demo"), ("db", "downgrade", BEFORE)):
        done = flask(*step, url=empty_database)
        assert done.returncode == 0, done.stderr
    engine = sa.create_engine(empty_database.replace("postgresql://", "postgresql+psycopg://"))
    try:
        old = phones(engine)
        assert old and all(len(p) == 11 and p.isdigit() for p in old)
        upgrade = flask("db", "upgrade", url=empty_database)
        assert upgrade.returncode == 0, upgrade.stderr
        assert phones(engine) == ["+86" + p for p in old]
        with engine.connect() as connection:
            slot_id, phone = connection.execute(sa.text(
                "SELECT slot_id, phone FROM booking WHERE phone IS NOT NULL AND status != "
                "'cancelled' ORDER BY id LIMIT 1")).one()
        # the partial unique index still holds one active booking per phone and slot
        duplicate = sa.text(
            "INSERT INTO booking (slot_id, code, manage_token, name, phone, party_size, status, "
            "slot_day, created_at, consented_at) SELECT slot_id, 'ZZZZZZZZ', 'dup-token', name, "
            "phone, 1, :status, slot_day, created_at, consented_at FROM booking "
            "WHERE slot_id = :slot AND phone = :phone")
        try:
            with engine.begin() as connection:
                connection.execute(duplicate, {"slot": slot_id, "phone": phone,
                                               "status": "confirmed"})
        except sa.exc.IntegrityError:
            pass
        else:
            raise AssertionError("a second active booking of the same phone was stored")
        with engine.begin() as connection:  # a cancelled one does not count
            connection.execute(duplicate, {"slot": slot_id, "phone": phone, "status": "cancelled"})
        inspector = sa.inspect(engine)
        assert {"uq_booking_active_phone", "ix_booking_phone_day"} <= {
            index["name"] for index in inspector.get_indexes("booking")}
        assert {"remarks", "phone"} <= {c["name"] for c in inspector.get_columns("booking")}
        assert "point_exact" in {c["name"] for c in inspector.get_columns("event")}
    finally:
        engine.dispose()

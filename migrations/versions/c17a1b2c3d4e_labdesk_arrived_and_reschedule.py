"""The lab at the door: how many of a party arrived; a slot's previous time after a reschedule

Revision ID: c17a1b2c3d4e
Revises: d18a1b2c3d4e
Create Date: 2026-12-01 12:00:00

Bookings checked in before this migration are taken as whole parties arrived (the only thing
check-in could record then), so the visits (人次) they count stay what they were.

Every change is made in place, never by batch mode's copy-and-rename of a table: on SQLite, with
foreign keys on (openday/database.py), dropping the old ``booking`` or ``slot`` would fail as soon
as rows refer to it (idempotency keys, bookings). So the CHECK on ``arrived`` is added on
PostgreSQL only (SQLite cannot add one to an existing table in place; the check-in service keeps
the rule there, and databases made by ``create_all`` have it on both), and the downgrade drops
columns with SQLite's own ``ALTER TABLE … DROP COLUMN`` (3.35+).
"""
import sqlalchemy as sa
from alembic import op

revision = "c17a1b2c3d4e"
down_revision = "d18a1b2c3d4e"
branch_labels = None
depends_on = None

SLOT_COLUMNS = ("previous_starts_at", "previous_ends_at", "rescheduled_at", "reschedule_note")


def upgrade():
    op.add_column("booking", sa.Column("arrived", sa.Integer(), nullable=True))
    op.execute("UPDATE booking SET arrived = party_size WHERE checked_in_at IS NOT NULL")
    if op.get_bind().dialect.name == "postgresql":
        op.create_check_constraint(
            op.f("ck_booking_arrived_within_party"), "booking",
            "arrived IS NULL OR (arrived >= 1 AND arrived <= party_size)")
    op.add_column("slot", sa.Column("previous_starts_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("slot", sa.Column("previous_ends_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("slot", sa.Column("rescheduled_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("slot", sa.Column("reschedule_note", sa.String(length=300), nullable=True))


def _drop(table: str, column: str) -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute(f'ALTER TABLE "{table}" DROP COLUMN "{column}"')
    else:
        op.drop_column(table, column)


def downgrade():
    for column in reversed(SLOT_COLUMNS):
        _drop("slot", column)
    if op.get_bind().dialect.name == "postgresql":
        op.drop_constraint(op.f("ck_booking_arrived_within_party"), "booking", type_="check")
    _drop("booking", "arrived")

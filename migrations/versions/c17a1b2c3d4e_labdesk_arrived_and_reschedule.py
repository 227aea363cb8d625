"""The lab at the door: how many of a party arrived; a slot's previous time after a reschedule

Revision ID: c17a1b2c3d4e
Revises: d1e2f3a4b5c6
Create Date: 2026-12-01 12:00:00

Bookings checked in before this migration are taken as whole parties arrived (the only thing
check-in could record then), so the visits (人次) they count stay what they were.
"""
import sqlalchemy as sa
from alembic import op

revision = "c17a1b2c3d4e"
down_revision = "d1e2f3a4b5c6"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("booking") as batch:
        batch.add_column(sa.Column("arrived", sa.Integer(), nullable=True))
    op.execute("UPDATE booking SET arrived = party_size WHERE checked_in_at IS NOT NULL")
    with op.batch_alter_table("booking") as batch:
        batch.create_check_constraint(
            op.f("ck_booking_arrived_within_party"), "arrived IS NULL OR (arrived >= 1 AND arrived <= party_size)")
    with op.batch_alter_table("slot") as batch:
        batch.add_column(sa.Column("previous_starts_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("previous_ends_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("rescheduled_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("reschedule_note", sa.String(length=300), nullable=True))


def downgrade():
    with op.batch_alter_table("slot") as batch:
        batch.drop_column("reschedule_note")
        batch.drop_column("rescheduled_at")
        batch.drop_column("previous_ends_at")
        batch.drop_column("previous_starts_at")
    with op.batch_alter_table("booking") as batch:
        batch.drop_constraint(op.f("ck_booking_arrived_within_party"), type_="check")
        batch.drop_column("arrived")

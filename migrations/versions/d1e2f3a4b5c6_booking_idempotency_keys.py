"""idempotency_key: an API client's retry with the same Idempotency-Key gets the same answer;
booking.submission_hash: a double tap on the booking form finds the booking of its first tap

Revision ID: d1e2f3a4b5c6
Revises: f3a4b5c6d7e8
Create Date: 2026-12-01 09:00:00
"""
import sqlalchemy as sa
from alembic import op

from openday.extensions import UTCDateTime

revision = "d1e2f3a4b5c6"
down_revision = "f3a4b5c6d7e8"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "idempotency_key",
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("request_hash", sa.String(length=64), nullable=False),
        sa.Column("booking_id", sa.Integer(), nullable=False),
        sa.Column("receipt", sa.Text(), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["booking_id"], ["booking.id"],
                                name=op.f("fk_idempotency_key_booking_id_booking")),
        sa.PrimaryKeyConstraint("key_hash", name=op.f("pk_idempotency_key")),
    )
    op.create_index(op.f("ix_idempotency_key_booking_id"), "idempotency_key", ["booking_id"])
    op.create_index(op.f("ix_idempotency_key_created_at"), "idempotency_key", ["created_at"])
    with op.batch_alter_table("booking") as batch:
        batch.add_column(sa.Column("submission_hash", sa.String(length=64), nullable=True))


def downgrade():
    with op.batch_alter_table("booking") as batch:
        batch.drop_column("submission_hash")
    op.drop_index(op.f("ix_idempotency_key_created_at"), table_name="idempotency_key")
    op.drop_index(op.f("ix_idempotency_key_booking_id"), table_name="idempotency_key")
    op.drop_table("idempotency_key")

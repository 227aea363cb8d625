"""message: the outbox of SMS, mail and page notes (SPEC §11); one_time_link: "find my bookings"
and password reset links (hashed); booking.locale and booking.reminders_off

Revision ID: a19c0ffee001
Revises: b16a1c2d3e4f
Create Date: 2026-12-01 12:00:00
"""
import sqlalchemy as sa
from alembic import op

from openday.extensions import UTCDateTime

revision = "a19c0ffee001"
down_revision = "b16a1c2d3e4f"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "message",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uid", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("channel", sa.String(length=5), nullable=False),
        sa.Column("recipient", sa.String(length=254), nullable=True),
        sa.Column("booking_id", sa.Integer(), nullable=True),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("lab_id", sa.Integer(), nullable=True),
        sa.Column("locale", sa.String(length=8), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("urgent", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("attempts", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("next_attempt_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("lease_until", UTCDateTime(timezone=True), nullable=True),
        sa.Column("sent_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.String(length=200), nullable=True),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("channel IN ('sms', 'mail', 'page')",
                           name=op.f("ck_message_channel_known")),
        sa.CheckConstraint("status IN ('pending', 'sending', 'sent', 'failed', 'skipped')",
                           name=op.f("ck_message_status_known")),
        sa.ForeignKeyConstraint(["booking_id"], ["booking.id"],
                                name=op.f("fk_message_booking_id_booking")),
        sa.ForeignKeyConstraint(["user_id"], ["user.id"], ondelete="SET NULL",
                                name=op.f("fk_message_user_id_user")),
        sa.ForeignKeyConstraint(["lab_id"], ["lab.id"], name=op.f("fk_message_lab_id_lab")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_message")),
        sa.UniqueConstraint("uid", name=op.f("uq_message_uid")),
    )
    op.create_index(op.f("ix_message_booking_id"), "message", ["booking_id"])
    op.create_index("ix_message_due", "message", ["status", "next_attempt_at"])
    op.create_index("ix_message_recipient_sent", "message", ["recipient", "sent_at"])
    op.create_table(
        "one_time_link",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("purpose", sa.String(length=16), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("phone", sa.String(length=16), nullable=True),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("used_at", UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["user.id"], ondelete="CASCADE",
                                name=op.f("fk_one_time_link_user_id_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_one_time_link")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_one_time_link_token_hash")),
    )
    with op.batch_alter_table("booking") as batch:
        batch.add_column(sa.Column("locale", sa.String(length=8), nullable=True))
        batch.add_column(sa.Column("reminders_off", sa.Boolean(), server_default=sa.false(),
                                   nullable=False))


def downgrade():
    with op.batch_alter_table("booking") as batch:
        batch.drop_column("reminders_off")
        batch.drop_column("locale")
    op.drop_table("one_time_link")
    op.drop_index("ix_message_recipient_sent", table_name="message")
    op.drop_index("ix_message_due", table_name="message")
    op.drop_index(op.f("ix_message_booking_id"), table_name="message")
    op.drop_table("message")

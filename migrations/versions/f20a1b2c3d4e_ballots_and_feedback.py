"""Ballots (SPEC §12): slot.mode, draw_at and the published draw, booking status entered and its
draw rank; feedback (SPEC §13): feedback, feedback_invitation, and the slot's rating counters

Revision ID: f20a1b2c3d4e
Revises: c17a1b2c3d4e
Create Date: 2026-12-01 12:00:00
"""
import sqlalchemy as sa
from alembic import op

from openday.extensions import UTCDateTime

revision = "f20a1b2c3d4e"
down_revision = "c17a1b2c3d4e"
branch_labels = None
depends_on = None

ACTIVE_PHONE = "status != 'cancelled'"
SLOT_COUNTERS = ("entered_count", "draw_entries", "draw_winners", "rating_count", "rating_sum")


def _active_phone_index(create: bool) -> None:
    # Dropped and made again around the batch: a table SQLite copies must not lose its WHERE.
    if create:
        op.create_index("uq_booking_active_phone", "booking", ["slot_id", "phone"], unique=True,
                        sqlite_where=sa.text(ACTIVE_PHONE), postgresql_where=sa.text(ACTIVE_PHONE))
    else:
        op.drop_index("uq_booking_active_phone", table_name="booking")


def upgrade():
    _upgrade_slot_and_booking()
    _create_feedback_tables()


def _upgrade_slot_and_booking():
    with op.batch_alter_table("slot") as batch:
        batch.add_column(sa.Column("mode", sa.String(length=10), nullable=False,
                                   server_default="first_come"))
        batch.add_column(sa.Column("draw_at", UTCDateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("drawn_at", UTCDateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("draw_seed", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("entries_sha256", sa.String(length=64), nullable=True))
        for name in SLOT_COUNTERS:
            batch.add_column(sa.Column(name, sa.Integer(), nullable=False, server_default="0"))
        batch.create_check_constraint(op.f("ck_slot_mode_known"),
                                      "mode IN ('first_come', 'ballot')")
        batch.create_check_constraint(op.f("ck_slot_ballot_draw_at"),
                                      "mode = 'first_come' OR draw_at IS NOT NULL")
        batch.create_check_constraint(
            op.f("ck_slot_ballot_rating_counters"),
            "entered_count >= 0 AND draw_winners <= draw_entries AND rating_count >= 0 "
            "AND rating_sum >= rating_count AND rating_sum <= 5 * rating_count")

    _active_phone_index(create=False)
    with op.batch_alter_table("booking") as batch:
        batch.add_column(sa.Column("draw_rank", sa.Integer(), nullable=True))
        batch.drop_constraint(op.f("ck_booking_status_known"), type_="check")
        batch.create_check_constraint(
            op.f("ck_booking_status_known"),
            "status IN ('entered', 'confirmed', 'waitlisted', 'cancelled')")
    _active_phone_index(create=True)


def _create_feedback_tables():
    op.create_table(
        "feedback",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("booking_id", sa.Integer(), nullable=False),
        sa.Column("slot_id", sa.Integer(), nullable=False),
        sa.Column("lab_id", sa.Integer(), nullable=False),
        sa.Column("rating", sa.Integer(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("rating BETWEEN 1 AND 5", name=op.f("ck_feedback_rating_range")),
        sa.ForeignKeyConstraint(["booking_id"], ["booking.id"],
                                name=op.f("fk_feedback_booking_id_booking")),
        sa.ForeignKeyConstraint(["lab_id"], ["lab.id"], name=op.f("fk_feedback_lab_id_lab")),
        sa.ForeignKeyConstraint(["slot_id"], ["slot.id"], name=op.f("fk_feedback_slot_id_slot")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feedback")),
        sa.UniqueConstraint("booking_id", name=op.f("uq_feedback_booking_id")),
    )
    op.create_index(op.f("ix_feedback_lab_id"), "feedback", ["lab_id"])
    op.create_index(op.f("ix_feedback_slot_id"), "feedback", ["slot_id"])
    op.create_table(
        "feedback_invitation",
        sa.Column("booking_id", sa.Integer(), nullable=False),
        sa.Column("invited_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["booking_id"], ["booking.id"],
                                name=op.f("fk_feedback_invitation_booking_id_booking")),
        sa.PrimaryKeyConstraint("booking_id", name=op.f("pk_feedback_invitation")),
    )


def downgrade():
    op.drop_table("feedback_invitation")
    op.drop_index(op.f("ix_feedback_slot_id"), table_name="feedback")
    op.drop_index(op.f("ix_feedback_lab_id"), table_name="feedback")
    op.drop_table("feedback")
    _downgrade_slot_and_booking()


def _downgrade_slot_and_booking():
    # Entries waiting for a draw have no place in the older schema: they go as cancelled. A drawn
    # slot keeps its bookings but forgets their drawn order (its waitlist reads as arrival order).
    op.execute("UPDATE booking SET status = 'cancelled' WHERE status = 'entered'")
    _active_phone_index(create=False)
    with op.batch_alter_table("booking") as batch:
        batch.drop_constraint(op.f("ck_booking_status_known"), type_="check")
        batch.create_check_constraint(op.f("ck_booking_status_known"),
                                      "status IN ('confirmed', 'waitlisted', 'cancelled')")
        batch.drop_column("draw_rank")
    _active_phone_index(create=True)
    with op.batch_alter_table("slot") as batch:
        for name in ("ck_slot_ballot_rating_counters", "ck_slot_ballot_draw_at",
                     "ck_slot_mode_known"):
            batch.drop_constraint(op.f(name), type_="check")
        for name in reversed(SLOT_COUNTERS):
            batch.drop_column(name)
        for name in ("entries_sha256", "draw_seed", "drawn_at", "draw_at", "mode"):
            batch.drop_column(name)

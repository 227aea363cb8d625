"""booking.remarks: a citizen's note to the hosting lab; booking.phone in E.164 (numbers
beyond the mainland, SPEC §3); event.point_exact: the lab set the venue's point itself

Revision ID: b16a1c2d3e4f
Revises: d1e2f3a4b5c6
Create Date: 2026-12-01 12:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = "b16a1c2d3e4f"
down_revision = "d1e2f3a4b5c6"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("booking") as batch:
        batch.alter_column("phone", existing_type=sa.String(length=11),
                           type_=sa.String(length=16), existing_nullable=True)
        batch.add_column(sa.Column("remarks", sa.String(length=200), nullable=True))
    with op.batch_alter_table("event") as batch:
        batch.add_column(sa.Column("point_exact", sa.Boolean(), nullable=False,
                                   server_default=sa.false()))
    # Every stored phone is a mainland mobile's 11 digits: +86 in front makes it E.164. The
    # unique index per slot and the daily cap's index hold the new values as they held the old
    # (one prefix for all, so no two rows become equal).
    op.execute("UPDATE booking SET phone = '+86' || phone "
               "WHERE phone IS NOT NULL AND phone NOT LIKE '+%'")


def downgrade():
    # Numbers abroad do not fit the old column: they go (the booking rows stay, as after the
    # purge); mainland ones lose their +86.
    op.execute("UPDATE booking SET phone = NULL WHERE phone NOT LIKE '+86%'")
    op.execute("UPDATE booking SET phone = substr(phone, 4) WHERE phone LIKE '+86%'")
    with op.batch_alter_table("event") as batch:
        batch.drop_column("point_exact")
    with op.batch_alter_table("booking") as batch:
        batch.drop_column("remarks")
        batch.alter_column("phone", existing_type=sa.String(length=16),
                           type_=sa.String(length=11), existing_nullable=True)

"""User.session_generation: deactivating a user ends its sessions for good

Revision ID: c3d4e5f6a7b8
Revises: b7c1d2e3f4a5
Create Date: 2026-11-26 19:25:00

Sessions issued before this migration carried a bare user id; they no longer sign anyone in
(users sign in once more), which is the safe side.
"""
import sqlalchemy as sa
from alembic import op

revision = "c3d4e5f6a7b8"
down_revision = "b7c1d2e3f4a5"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("user") as batch:
        batch.add_column(sa.Column("session_generation", sa.Integer(), server_default=sa.text("0"),
                                   nullable=False))


def downgrade():
    with op.batch_alter_table("user") as batch:
        batch.drop_column("session_generation")

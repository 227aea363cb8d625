"""notice.audience and notice_attachment: notices as 通知公告 with files and an audience;
user.email_sort: the admin's user list in natural order (lab2 before lab10);
lab indexes for the approval queue at 40,000 labs (CMA number; status, created_at)

Revision ID: d18a1b2c3d4e
Revises: a19c0ffee001
Create Date: 2026-12-01 12:00:00
"""
import re

import sqlalchemy as sa
from alembic import op

from openday.extensions import UTCDateTime

revision = "d18a1b2c3d4e"
down_revision = "a19c0ffee001"
branch_labels = None
depends_on = None


def _natural_key(text):
    # A copy of accounts.models.natural_key as it was when this ran: migrations never import
    # code that may change after them.
    return re.sub(r"\d+", lambda m: m.group().zfill(12), (text or "").lower())


def upgrade():
    with op.batch_alter_table("notice") as batch:
        batch.add_column(sa.Column("audience", sa.String(length=10), nullable=False,
                                   server_default="public"))
        batch.create_check_constraint("audience_known", "audience IN ('public', 'labs')")
    op.create_table(
        "notice_attachment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("notice_id", sa.Integer(), nullable=False),
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("stored_name", sa.String(length=64), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("kind IN ('pdf', 'docx', 'xlsx')",
                           name=op.f("ck_notice_attachment_kind_known")),
        sa.ForeignKeyConstraint(["notice_id"], ["notice.id"], ondelete="CASCADE",
                                name=op.f("fk_notice_attachment_notice_id_notice")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notice_attachment")),
        sa.UniqueConstraint("stored_name", name=op.f("uq_notice_attachment_stored_name")),
    )
    op.create_index(op.f("ix_notice_attachment_notice_id"), "notice_attachment", ["notice_id"])

    with op.batch_alter_table("user") as batch:
        batch.add_column(sa.Column("email_sort", sa.String(length=400), nullable=False,
                                   server_default=""))
    users = sa.table("user", sa.column("id", sa.Integer), sa.column("email", sa.String),
                     sa.column("email_sort", sa.String))
    connection = op.get_bind()
    rows = connection.execute(sa.select(users.c.id, users.c.email)).all()
    for user_id, email in rows:
        connection.execute(users.update().where(users.c.id == user_id)
                           .values(email_sort=_natural_key(email)))
    with op.batch_alter_table("user") as batch:
        batch.alter_column("email_sort", server_default=None)
    op.create_index(op.f("ix_user_email_sort"), "user", ["email_sort"])
    op.create_index(op.f("ix_lab_cma_number"), "lab", ["cma_number"])
    op.create_index("ix_lab_status_created", "lab", ["status", "created_at", "id"])
    op.create_index("ix_lab_created", "lab", ["created_at", "id"])


def downgrade():
    op.drop_index("ix_lab_created", table_name="lab")
    op.drop_index("ix_lab_status_created", table_name="lab")
    op.drop_index(op.f("ix_lab_cma_number"), table_name="lab")
    op.drop_index(op.f("ix_user_email_sort"), table_name="user")
    with op.batch_alter_table("user") as batch:
        batch.drop_column("email_sort")
    op.drop_index(op.f("ix_notice_attachment_notice_id"), table_name="notice_attachment")
    op.drop_table("notice_attachment")
    with op.batch_alter_table("notice") as batch:
        batch.drop_constraint("audience_known", type_="check")
        batch.drop_column("audience")

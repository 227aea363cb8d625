"""Slot.listed also requires the lab to be approved (search counts on the slot index alone)

Revision ID: b7c1d2e3f4a5
Revises: 70268b44d7da
Create Date: 2026-11-26 17:10:00

Data only: recompute the copy under the new rule for databases written before it.
"""
from alembic import op

revision = "b7c1d2e3f4a5"
down_revision = "70268b44d7da"
branch_labels = None
depends_on = None


def upgrade():
    op.execute("""
        UPDATE slot SET listed = (
            slot.status = 'open'
            AND EXISTS (SELECT 1 FROM event WHERE event.id = slot.event_id AND event.status = 'published')
            AND EXISTS (SELECT 1 FROM lab WHERE lab.id = slot.lab_id AND lab.status = 'approved'))
    """)


def downgrade():
    op.execute("""
        UPDATE slot SET listed = (
            slot.status = 'open'
            AND EXISTS (SELECT 1 FROM event WHERE event.id = slot.event_id AND event.status = 'published'))
    """)

"""The audit log (SPEC §8): who did what to which object, when. Append-only.

An entry copies what it needs (the actor's e-mail, the object's lab and region) instead of
pointing at rows by foreign key: it must read the same after the user is renamed, the slot
deleted or the lab moved. It never holds a citizen's name or phone: a check-in names the
booking's id, code and party size.
"""
from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from openday import clock
from openday.extensions import UTCDateTime, db

if TYPE_CHECKING:
    from openday.labs.models import Lab


class AuditEntry(db.Model):
    __tablename__ = "audit_entry"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    actor_id: Mapped[int | None]  # None: a command run on the server, not a signed-in user
    actor_email: Mapped[str] = mapped_column(sa.String(254), default="")
    actor_role: Mapped[str] = mapped_column(sa.String(10), default="")
    action: Mapped[str] = mapped_column(sa.String(40))  # a stable code, e.g. "lab.approve"
    object_type: Mapped[str] = mapped_column(sa.String(20))
    object_id: Mapped[int | None]
    lab_id: Mapped[int | None]
    adcode: Mapped[str | None] = mapped_column(sa.String(6))  # the object's region, as precise as known
    # What a regulator's scope is cut by (its first two digits + 0000); None: admins only.
    province_adcode: Mapped[str | None] = mapped_column(sa.String(6))
    reason: Mapped[str] = mapped_column(sa.String(500), default="")

    # The lab's name as it is now, for the page (no foreign key: see the module docstring).
    lab: Mapped[Lab | None] = relationship(
        primaryjoin="foreign(AuditEntry.lab_id) == Lab.id", viewonly=True)

    # The page reads newest first, within a scope, a lab or an action: each index ends in the id.
    __table_args__ = (
        sa.Index("ix_audit_entry_province_id", "province_adcode", "id"),
        sa.Index("ix_audit_entry_lab_id", "lab_id", "id"),
        sa.Index("ix_audit_entry_action_id", "action", "id"),
    )

    def __repr__(self) -> str:
        return f"<AuditEntry {self.id} {self.action} {self.object_type} {self.object_id}>"


@sa.event.listens_for(AuditEntry, "before_update")
@sa.event.listens_for(AuditEntry, "before_delete")
def _refuse_changes(_mapper, _connection, entry: AuditEntry) -> None:
    raise RuntimeError(f"{entry!r}: the audit log is append-only")


# The database refuses too, so that no statement outside the ORM rewrites history. These run
# after CREATE TABLE (tests, ``create_all``); the migration installs the same triggers.
APPEND_ONLY_DDL = {
    "sqlite": [
        "CREATE TRIGGER audit_entry_no_update BEFORE UPDATE ON audit_entry "
        "BEGIN SELECT RAISE(ABORT, 'audit_entry is append-only'); END",
        "CREATE TRIGGER audit_entry_no_delete BEFORE DELETE ON audit_entry "
        "BEGIN SELECT RAISE(ABORT, 'audit_entry is append-only'); END",
    ],
    "postgresql": [
        "CREATE OR REPLACE FUNCTION audit_entry_append_only() RETURNS trigger LANGUAGE plpgsql "
        "AS $$ BEGIN RAISE EXCEPTION 'audit_entry is append-only'; END $$",
        "CREATE TRIGGER audit_entry_append_only BEFORE UPDATE OR DELETE ON audit_entry "
        "FOR EACH ROW EXECUTE FUNCTION audit_entry_append_only()",
    ],
}

for _dialect, _statements in APPEND_ONLY_DDL.items():
    for _statement in _statements:
        sa.event.listen(AuditEntry.__table__, "after_create",
                        sa.DDL(_statement).execute_if(dialect=_dialect))

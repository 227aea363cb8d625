from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from openday import clock
from openday.extensions import UTCDateTime, db


class LabStatus(StrEnum):
    pending = "pending"
    approved = "approved"
    rejected = "rejected"
    suspended = "suspended"


# The fixed list of testing fields a lab can tick; codes are stored, labels are translated in forms.
TESTING_FIELDS = (
    "food", "environment", "building_materials", "medical_devices", "vehicles",
    "electrical", "textiles", "jewellery", "water", "agriculture", "chemicals", "metrology",
)


class Lab(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    credit_code: Mapped[str] = mapped_column(sa.String(18), unique=True)
    cma_number: Mapped[str] = mapped_column(sa.String(20), index=True)
    province_adcode: Mapped[str] = mapped_column(sa.String(6), index=True)
    city_adcode: Mapped[str] = mapped_column(sa.String(6), index=True)
    district_adcode: Mapped[str] = mapped_column(sa.String(6))
    address: Mapped[str] = mapped_column(sa.String(200))
    lat: Mapped[float | None]
    lon: Mapped[float | None]
    contact_name: Mapped[str] = mapped_column(sa.String(40))
    contact_phone: Mapped[str] = mapped_column(sa.String(20))
    contact_email: Mapped[str] = mapped_column(sa.String(254))
    testing_fields: Mapped[str] = mapped_column(sa.String(300), default="")  # comma-separated codes
    status: Mapped[str] = mapped_column(sa.String(10), default=LabStatus.pending, index=True)
    status_reason: Mapped[str | None] = mapped_column(sa.String(500))
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)

    __table_args__ = (
        sa.CheckConstraint("status IN ('pending', 'approved', 'rejected', 'suspended')",
                           name="status_known"),
        # The approval queue: one status (or all), oldest application first, a page at a time.
        sa.Index("ix_lab_status_created", "status", "created_at", "id"),
        sa.Index("ix_lab_created", "created_at", "id"),
    )

    @property
    def field_codes(self) -> list[str]:
        return [code for code in self.testing_fields.split(",") if code]

    @property
    def is_approved(self) -> bool:
        return self.status == LabStatus.approved

    @property
    def may_prepare(self) -> bool:
        """Approved, or pending review: may write draft events and slots (publishing waits)."""
        return self.status in (LabStatus.approved, LabStatus.pending)

    def __repr__(self) -> str:
        return f"<Lab {self.id} {self.name}>"

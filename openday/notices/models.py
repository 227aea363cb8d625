from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from openday import clock
from openday.extensions import UTCDateTime, db


class Audience(StrEnum):
    public = "public"   # everyone: the home page, /notices/, the labs' dashboards
    labs = "labs"       # signed-in labs (and regulators) only


class Notice(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(sa.String(120))
    body: Mapped[str] = mapped_column(sa.Text)  # Markdown, sanitised when rendered
    region_scope: Mapped[str | None] = mapped_column(sa.String(6))  # None: national; a province or city
    audience: Mapped[str] = mapped_column(sa.String(10), default=Audience.public,
                                          server_default=Audience.public.value)
    author_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    published_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)

    attachments: Mapped[list[NoticeAttachment]] = relationship(
        back_populates="notice", order_by="NoticeAttachment.id", cascade="all, delete-orphan")

    __table_args__ = (
        sa.CheckConstraint("audience IN ('public', 'labs')", name="audience_known"),
    )

    def __repr__(self) -> str:
        return f"<Notice {self.id}>"


class NoticeAttachment(db.Model):
    """A file attached to a notice (PDF, DOCX or XLSX, its kind read from its content). The bytes
    live under the instance folder as ``stored_name``, a random name: the uploader's file name
    is only ever sent back in a Content-Disposition header."""

    id: Mapped[int] = mapped_column(primary_key=True)
    notice_id: Mapped[int] = mapped_column(sa.ForeignKey("notice.id", ondelete="CASCADE"),
                                           index=True)
    filename: Mapped[str] = mapped_column(sa.String(200))
    kind: Mapped[str] = mapped_column(sa.String(10))   # pdf, docx, xlsx
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(sa.String(64))
    stored_name: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)

    notice: Mapped[Notice] = relationship(back_populates="attachments")

    __table_args__ = (
        sa.CheckConstraint("kind IN ('pdf', 'docx', 'xlsx')", name="kind_known"),
    )

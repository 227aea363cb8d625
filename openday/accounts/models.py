from __future__ import annotations

import re
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates
from werkzeug.security import check_password_hash, generate_password_hash

from openday import clock
from openday.core.scope import NATIONAL, Scope
from openday.extensions import UTCDateTime, db

if TYPE_CHECKING:
    from openday.labs.models import Lab

__all__ = ["NATIONAL", "LoginSession", "Role", "User"]


def natural_key(text: str | None) -> str:
    """``text`` lower-cased with every run of digits left-padded to 12, so that text order is
    natural order: lab2 → lab000000000002 sorts before lab10 → lab000000000010."""
    return re.sub(r"\d+", lambda m: m.group().zfill(12), (text or "").lower())


class Role(StrEnum):
    lab = "lab"
    regulator = "regulator"
    admin = "admin"


class User(UserMixin, db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    # The email with each run of digits zero-padded (natural_key): ORDER BY it lists lab2 before
    # lab10, in SQL on any database, so a page of 40,000 users is sorted by an index.
    email_sort: Mapped[str] = mapped_column(sa.String(400), default="", index=True)
    password_hash: Mapped[str] = mapped_column(sa.String(256))
    name: Mapped[str] = mapped_column(sa.String(40), default="")
    role: Mapped[str] = mapped_column(sa.String(10))
    lab_id: Mapped[int | None] = mapped_column(sa.ForeignKey("lab.id"), index=True)
    region_scope: Mapped[str | None] = mapped_column(sa.String(6))  # regulators: province adcode or NATIONAL
    active: Mapped[bool] = mapped_column(default=True)
    # Part of every session's and remember-me cookie's user id (see get_id): deactivating bumps it,
    # so cookies issued before then stay dead when the account is reactivated.
    session_generation: Mapped[int] = mapped_column(default=0, server_default=sa.text("0"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    lab: Mapped[Lab | None] = relationship()

    # The token (str) of the LoginSession this request is signed in by, set by service.sign_in and
    # by accounts.session.load_user; not a column, as one user is signed in on several devices at
    # once.
    login_token = None

    __table_args__ = (
        sa.CheckConstraint("role IN ('lab', 'regulator', 'admin')", name="role_known"),
        sa.CheckConstraint("role != 'lab' OR lab_id IS NOT NULL", name="lab_user_has_lab"),
    )

    @validates("email")
    def _keep_sort_key(self, _key: str, email: str) -> str:
        self.email_sort = natural_key(email)
        return email

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return self.active

    def get_id(self) -> str:
        # What the session and remember-me cookies carry, checked by accounts.session.load_user on
        # every request.
        return f"{self.id}.{self.session_generation}.{self.login_token or ''}"

    def end_sessions(self) -> None:
        """Invalidate every session and remember-me cookie issued so far."""
        self.session_generation += 1

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password)

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    @property
    def scope(self) -> Scope:
        """The region this user oversees: the country for an admin, nothing for a lab user or a
        regulator without a valid region_scope."""
        return Scope.of(self)

    def __repr__(self) -> str:
        return f"<User {self.id} {self.role}>"


class LoginSession(db.Model):
    """One sign-in on one device. Its token is in that browser's session and remember-me cookies
    (User.get_id) and logging out deletes the row, so a copy of either cookie signs nobody in
    afterwards, while the user's other devices (a phone checking people in at the door, the desk
    computer) stay signed in. Ending every sign-in at once is User.end_sessions."""

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), index=True)
    token: Mapped[str] = mapped_column(sa.String(43), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)

"""Accounts: who someone is, and whether a password proves it."""
from __future__ import annotations

from openday import clock
from openday.accounts.models import User
from openday.extensions import db


def normalise_email(email: str) -> str:
    return email.strip().lower()


def find_user(email: str) -> User | None:
    return db.session.execute(
        db.select(User).where(User.email == normalise_email(email))).scalar_one_or_none()


def authenticate(email: str, password: str) -> User | None:
    """The active user with this email and password, or None (never says which part was wrong)."""
    user = find_user(email)
    if user is None or not user.active or not user.check_password(password):
        return None
    user.last_login_at = clock.now()
    db.session.commit()
    return user

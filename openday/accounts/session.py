"""Who a request is signed in as: Flask-Login's user loader (``extensions.register_extensions``)."""
from __future__ import annotations

from openday.accounts.models import LoginSession, User
from openday.extensions import db


def load_user(user_id: str) -> User | None:
    """The user of a session or remember-me cookie, "<id>.<session generation>.<login token>"
    (User.get_id): a cookie signs its user in only while its sign-in is not logged out and no
    deactivation came since it was issued."""
    parts = user_id.split(".")
    if len(parts) != 3 or not (parts[0].isdecimal() and parts[1].isdecimal() and parts[2]):
        return None
    number, generation, token = parts
    user = db.session.execute(
        db.select(User).join(LoginSession, LoginSession.user_id == User.id)
        .where(User.id == int(number), LoginSession.token == token)).scalar_one_or_none()
    if user is None or not user.active or user.session_generation != int(generation):
        return None
    user.login_token = token
    return user

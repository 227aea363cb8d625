"""Accounts: who someone is, whether a password proves it, signing in and out, creating logins."""
from __future__ import annotations

import functools
import secrets

import sqlalchemy as sa
from flask import current_app
from flask_login import current_user, login_user, logout_user
from flask_login.config import COOKIE_DURATION
from werkzeug.security import check_password_hash, generate_password_hash

from openday import clock
from openday.accounts.models import LoginSession, Role, User
from openday.audit import service as audit
from openday.core.db import write_transaction
from openday.core.errors import RuleError
from openday.core.i18n import _l
from openday.core.scope import Scope
from openday.extensions import db

MIN_PASSWORD_LENGTH = 10


def normalise_email(email: str | None) -> str:
    return (email or "").strip().lower()


def find_user(email: str) -> User | None:
    return db.session.execute(
        db.select(User).where(User.email == normalise_email(email))).scalar_one_or_none()


@functools.cache
def _stand_in_hash() -> str:
    """Made as real hashes are, matched by no password: unknown accounts are checked against it."""
    return generate_password_hash(secrets.token_urlsafe(32))


def authenticate(email: str, password: str) -> User | None:
    """The active user with this email and password, or None (never says which part was wrong)."""
    user = find_user(email)
    # A password is hashed on every path, so refusing an unknown or inactive account takes as
    # long as refusing a wrong password: the answer's timing tells no one which accounts exist.
    matches = check_password_hash(user.password_hash if user else _stand_in_hash(), password)
    if user is None or not user.active or not matches:
        return None
    user.last_login_at = clock.now()
    db.session.commit()
    return user


def sign_in(user: User, remember: bool = False) -> None:
    """Sign ``user`` in on this browser: a LoginSession of its own, named in the cookies, which
    sign_out deletes. Sign-ins older than any cookie could be are forgotten on the way."""
    lifetime = max(current_app.config.get("REMEMBER_COOKIE_DURATION", COOKIE_DURATION),
                   current_app.permanent_session_lifetime)
    db.session.execute(sa.delete(LoginSession).where(
        LoginSession.user_id == user.id, LoginSession.created_at < clock.now() - lifetime))
    user.login_token = secrets.token_urlsafe(32)
    db.session.add(LoginSession(user_id=user.id, token=user.login_token))
    db.session.commit()
    login_user(user, remember=remember)


def sign_out() -> None:
    """End this browser's sign-in for good: its session and remember-me cookies, and any copy of
    them, sign nobody in again. The user's other devices stay signed in."""
    user = current_user
    if user.is_authenticated and user.login_token:
        db.session.execute(sa.delete(LoginSession).where(
            LoginSession.user_id == user.id, LoginSession.token == user.login_token))
        db.session.commit()
    logout_user()


def check_new_password(password: str | None, field: str = "password") -> None:
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise RuleError.on(field, _l("密码至少 %(n)d 位", n=MIN_PASSWORD_LENGTH))
    if len(password) > 200:
        raise RuleError.on(field, _l("密码不能超过 200 位"))


def email_taken(email: str) -> bool:
    return db.session.execute(
        sa.select(User.id).where(User.email == normalise_email(email))).first() is not None


def create_user(email: str, password: str, role: str, *, lab_id: int | None = None,
                region_scope: str | None = None, name: str = "") -> User:
    """A new active login, committed; RuleError on "email" when the address is taken."""
    email = normalise_email(email)
    if not email or "@" not in email or len(email) > 254:
        raise RuleError.on("email", _l("请填写有效的邮箱"))
    check_new_password(password)
    if role == Role.lab and lab_id is None:
        raise RuleError.on("lab", _l("机构账号必须属于一个机构"))
    if role == Role.regulator and not valid_scope(region_scope):
        raise RuleError.on("region_scope", _l("请选择监管范围"))
    if email_taken(email):
        raise RuleError.on("email", _l("该邮箱已注册"))
    password_hash = generate_password_hash(password)  # slow: before the write lock, not under it

    def add() -> User:
        user = User(email=email, role=role, lab_id=lab_id if role == Role.lab else None,
                    region_scope=region_scope if role == Role.regulator else None,
                    name=(name or "").strip()[:40], password_hash=password_hash)
        db.session.add(user)
        db.session.flush()
        audit.record("user.create", user, reason=f"{role} {user.region_scope or ''}")
        return user

    try:
        return write_transaction(add)
    except sa.exc.IntegrityError:  # the same address registered a moment ago
        raise RuleError.on("email", _l("该邮箱已注册")) from None


def change_password(user: User, current: str, new: str) -> int:
    """The signed-in user replaces its password, proving the current one; every other sign-in
    of the account (a lost phone, a shared computer) ends, this one stays. Returns how many
    sign-ins ended. RuleError on ``current_password`` or ``password``."""
    if not user.check_password(current or ""):
        raise RuleError.on("current_password", _l("当前密码不正确"))
    check_new_password(new)
    if check_password_hash(user.password_hash, new):
        raise RuleError.on("password", _l("新密码不能与当前密码相同"))
    password_hash = generate_password_hash(new)  # slow: before the write lock
    user_id, keep = user.id, user.login_token

    def work() -> int:
        account = db.session.get(User, user_id)
        account.password_hash = password_hash
        ended = db.session.execute(sa.delete(LoginSession).where(
            LoginSession.user_id == user_id, LoginSession.token != (keep or ""))).rowcount
        audit.record("user.password_change", account, reason=f"{ended} other sign-ins ended")
        return ended

    return write_transaction(work)


def remove_colleague(lab_id: int, user_id: int, by: User) -> str:
    """A lab user removes another login of its own lab (never itself, never the lab's last):
    its sign-ins end at once and the address may be registered again. Returns the address."""
    def work() -> str:
        users = list(db.session.execute(
            sa.select(User).where(User.lab_id == lab_id).order_by(User.id)
            .with_for_update()).scalars())
        target = next((u for u in users if u.id == user_id), None)
        if target is None:  # another lab's user reads as a missing one
            raise RuleError.on("user", _l("未找到该账号"), code="not_found", status=404)
        if target.id == by.id:
            raise RuleError.on("user", _l("不能移除自己的账号"), status=409)
        if len(users) <= 1:
            raise RuleError.on("user", _l("机构至少要保留一个账号"), status=409)
        email = target.email
        audit.record("user.remove", target, actor=by, reason=email)
        db.session.execute(sa.delete(LoginSession).where(LoginSession.user_id == target.id))
        db.session.delete(target)
        return email

    return write_transaction(work)


def add_colleague(lab_id: int, email: str, password: str, name: str = "") -> User:
    """Another login for the same lab; the caller passes its own lab's id, never a form's."""
    return create_user(email, password, Role.lab, lab_id=lab_id, name=name)


def valid_scope(scope: str | None) -> bool:
    """Whether a regulator may be given this region_scope: NATIONAL, a province or a city."""
    from openday.geo import service as geo
    parsed = Scope.parse(scope)
    if parsed.national:
        return True
    region = geo.get_region(parsed.adcode or "")
    return region is not None and region.level == parsed.level


def create_regulator(email: str, password: str, region_scope: str, name: str = "") -> User:
    return create_user(email, password, Role.regulator, region_scope=region_scope, name=name)


def set_active(user: User, active: bool, by: User) -> User:
    """Deactivate (or reactivate) a login; a deactivated user is signed out on its next request,
    for good: a reactivated user signs in again. Admins cannot lock themselves out."""
    if user.id == by.id and not active:
        raise RuleError.on("active", _l("不能停用自己的账号"))
    if user.active and not active:
        user.end_sessions()  # reactivating later must not revive the cookies of before
    if user.active != active:
        audit.record("user.reactivate" if active else "user.deactivate", user, actor=by)
    user.active = active
    db.session.commit()
    return user


MAX_PAGE = 10_000  # an absurd ?page= must not turn into an OFFSET the database refuses


def page_number(raw: str | None) -> int:
    """A ?page= value as a page number from 1 to MAX_PAGE (anything else is page 1)."""
    try:
        return min(max(int(raw or 1), 1), MAX_PAGE)
    except ValueError:
        return 1


def contains(column, text: str) -> sa.ColumnElement[bool]:
    """``column`` contains ``text``, case-insensitively, ``%`` and ``_`` taken literally."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return column.ilike(f"%{escaped}%", escape="\\")


def list_users(role: str | None = None, page: int = 1, per_page: int = 50, q: str = ""):
    """A page of users in natural order of their emails (lab2 before lab10), optionally of one
    role and matching ``q`` in the email, the name or the lab's name."""
    from sqlalchemy.orm import joinedload

    from openday.labs.models import Lab
    query = sa.select(User).options(joinedload(User.lab)).order_by(User.email_sort, User.id)
    if role:
        query = query.where(User.role == role)
    q = (q or "").strip()[:100]
    if q:
        query = query.outerjoin(Lab, Lab.id == User.lab_id).where(sa.or_(
            contains(User.email, q), contains(User.name, q), contains(Lab.name, q)))
    return db.paginate(query, page=page, per_page=per_page, error_out=False)

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from openday.accounts import service
from openday.accounts.forms import LoginForm
from openday.accounts.models import Role

bp = Blueprint("accounts", __name__)


def home_for(user) -> str:
    if user.role == Role.lab:
        return url_for("events.lab_dashboard")
    if user.role in (Role.regulator, Role.admin):
        return url_for("stats.regulator_home")
    return url_for("events.home")


def safe_next(target: str | None) -> str | None:
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return None


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(home_for(current_user))
    form = LoginForm()
    if form.validate_on_submit():
        user = service.authenticate(form.email.data, form.password.data)
        if user is not None:
            login_user(user, remember=form.remember.data)
            return redirect(safe_next(request.args.get("next")) or home_for(user))
        form.password.errors.append(_("邮箱或密码不正确"))
    return render_template("accounts/login.html", form=form)


@bp.route("/logout", methods=["GET", "POST"])
def logout():
    logout_user()
    flash(_("您已退出登录"), "info")
    return redirect(url_for("events.home"))

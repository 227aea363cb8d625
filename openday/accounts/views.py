from __future__ import annotations

import hashlib
import unicodedata
from urllib.parse import urlsplit

from flask import (current_app, flash, g, redirect, render_template, request,
                   url_for)
from flask_babel import gettext as _
from flask_limiter.util import get_remote_address
from flask_login import current_user

from openday import clock
from openday.accounts import service
from openday.accounts.blueprint import bp
from openday.accounts.forms import CampaignForm, LoginForm, PasswordChangeForm, RegulatorForm
from openday.accounts.models import Role, User
from flask_login import login_required

from openday.accounts.permissions import admin_required
from openday.core.errors import RuleError
from openday.core.forms import put_on_form
from openday.events import campaigns
from openday.events.models import Campaign
from openday.extensions import db, limiter



def home_for(user) -> str:
    if user.role == Role.lab:
        return url_for("events.lab_dashboard")
    if user.role in (Role.regulator, Role.admin):
        return url_for("stats.regulator_home")
    return url_for("events.home")


def safe_next(target: str | None) -> str | None:
    """``target`` if it is a path on this site, else None: the one rule for every ``next=``.

    Refused rather than cleaned: browsers drop tabs and newlines from a URL and read ``\\`` as
    ``/``, so ``/<tab>/evil.example`` and ``/\\evil.example`` lead off-site, and a newline would
    split the Location header."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return None
    if "\\" in target or any(unicodedata.category(char) == "Cc" for char in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


def _account_key() -> str:
    # A digest, not the address: counters in a shared store (Redis) hold no one's email.
    email = service.normalise_email(request.form.get("email"))
    return hashlib.sha256(email.encode()).hexdigest()[:32]


def _login_account_key() -> str:
    return f"account:{_account_key()}"


def _login_account_address_key() -> str:
    return f"account:{_account_key()}@{get_remote_address()}"


def _login_failed(_response) -> bool:
    return bool(g.get("login_failed"))


# Failed logins only, three ways (config.from_env holds the defaults). Per account and address
# tight: one address guessing one account's password. Per address generous: a carrier-grade NAT
# puts a whole district's staff behind one address. Per account a high ceiling across addresses,
# against guessing spread over many addresses, high enough that a stranger's failures elsewhere
# leave the owner able to sign in.
def _account_limit() -> str:
    return current_app.config["OPENDAY_LOGIN_ACCOUNT_LIMIT"]


def _address_limit() -> str:
    return current_app.config["OPENDAY_LOGIN_ADDRESS_LIMIT"]


def _account_ceiling() -> str:
    return current_app.config["OPENDAY_LOGIN_ACCOUNT_CEILING"]


# deduct_when: a request is checked against the counters first and counted after, only when its
# password was wrong, so a correct login never uses up an allowance. (Guesses sent at the same
# moment can overrun a limit by as many as the servers run at once: each is checked before any
# is counted.)
@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_account_limit, key_func=_login_account_address_key, methods=["POST"],
               deduct_when=_login_failed)
@limiter.limit(_address_limit, key_func=get_remote_address, methods=["POST"],
               deduct_when=_login_failed)
@limiter.limit(_account_ceiling, key_func=_login_account_key, methods=["POST"],
               deduct_when=_login_failed)
def login():
    g.login_failed = False
    if current_user.is_authenticated:
        return redirect(home_for(current_user))
    form = LoginForm()
    if form.validate_on_submit():
        user = service.authenticate(form.email.data, form.password.data)
        if user is not None:
            service.sign_in(user, remember=form.remember.data)
            return redirect(safe_next(request.args.get("next")) or home_for(user))
        g.login_failed = True
        form.password.errors.append(_("邮箱或密码不正确"))
    return render_template("accounts/login.html", form=form)


# POST only, with the CSRF token: a link or an image on another site cannot sign anyone out.
@bp.route("/logout", methods=["POST"])
def logout():
    service.sign_out()
    flash(_("您已退出登录"), "info")
    return redirect(url_for("events.home"))


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password():
    form = PasswordChangeForm()
    if form.validate_on_submit():
        try:
            ended = service.change_password(current_user, form.current_password.data,
                                            form.password.data)
        except RuleError as error:
            put_on_form(form, error, default="password")
        else:
            flash(_("密码已修改，其他设备上的 %(n)d 处登录已退出。", n=ended), "success")
            return redirect(home_for(current_user))
    return render_template("accounts/password.html", form=form,
                           min_length=service.MIN_PASSWORD_LENGTH)


# ---- admin: users --------------------------------------------------------------------------------

@bp.route("/admin/")
@admin_required
def admin_home():
    return redirect(url_for("accounts.admin_users"))


@bp.route("/admin/users")
@admin_required
def admin_users():
    role = request.args.get("role")
    role = role if role in set(Role) else None
    q = (request.args.get("q") or "").strip()[:100]
    page = service.list_users(role=role, page=service.page_number(request.args.get("page")), q=q)
    return render_template("accounts/admin_users.html", page=page, role=role, q=q)


@bp.route("/admin/users/new", methods=["GET", "POST"])
@admin_required
def admin_new_regulator():
    form = RegulatorForm()
    form.fill_scopes()
    if form.validate_on_submit():
        try:
            user = service.create_regulator(form.email.data, form.password.data,
                                            form.region_scope.data, form.name.data)
        except RuleError as error:
            put_on_form(form, error, default="email")
        else:
            flash(_("已创建监管账号 %(email)s", email=user.email), "success")
            return redirect(url_for("accounts.admin_users", role=Role.regulator))
    return render_template("accounts/admin_regulator.html", form=form)


@bp.route("/admin/users/<int:user_id>/active", methods=["POST"])
@admin_required
def admin_set_active(user_id: int):
    user = db.get_or_404(User, user_id)
    active = request.form.get("active") == "1"
    try:
        service.set_active(user, active, current_user)
    except RuleError as error:
        flash(str(error), "danger")
    else:
        message = _("已启用 %(email)s", email=user.email) if active else _(
            "已停用 %(email)s，该账号已无法登录", email=user.email)
        flash(message, "success")
    return redirect(url_for("accounts.admin_users", role=request.form.get("role") or None))


# ---- admin: campaigns ----------------------------------------------------------------------------

@bp.route("/admin/campaigns")
@admin_required
def admin_campaigns():
    return render_template("accounts/admin_campaigns.html", campaigns=campaigns.list_campaigns())


def _campaign_data(form: CampaignForm) -> campaigns.CampaignData:
    # The form speaks Beijing time, the database aware UTC.
    return campaigns.CampaignData(
        year=form.year.data, edition=form.edition.data, theme=form.theme.data,
        starts_on=form.starts_on.data, ends_on=form.ends_on.data,
        registration_opens_at=form.registration_opens_at.data.replace(tzinfo=clock.CHINA),
        registration_closes_at=form.registration_closes_at.data.replace(tzinfo=clock.CHINA),
        make_current=form.make_current.data)


def _local_naive(moment):
    return clock.local(moment).replace(tzinfo=None)  # what a datetime-local input shows


def _edit_campaign(campaign: Campaign | None):
    form = CampaignForm()
    if request.method == "GET" and campaign is not None:
        form.year.data, form.edition.data, form.theme.data = (
            campaign.year, campaign.edition, campaign.theme)
        form.starts_on.data, form.ends_on.data = campaign.starts_on, campaign.ends_on
        form.registration_opens_at.data = _local_naive(campaign.registration_opens_at)
        form.registration_closes_at.data = _local_naive(campaign.registration_closes_at)
        form.make_current.data = campaign.is_current
    elif request.method == "GET":
        defaults = campaigns.new_campaign_defaults(clock.today())
        form.year.data, form.starts_on.data, form.ends_on.data = (
            defaults["year"], defaults["starts_on"], defaults["ends_on"])
    if form.validate_on_submit():
        try:
            saved = campaigns.save_campaign(_campaign_data(form), campaign)
        except RuleError as error:
            put_on_form(form, error, default="year")
        else:
            flash(_("已保存 %(year)s 年开放日", year=saved.year), "success")
            return redirect(url_for("accounts.admin_campaigns"))
    return render_template("accounts/admin_campaign.html", form=form, campaign=campaign)


@bp.route("/admin/campaigns/new", methods=["GET", "POST"])
@admin_required
def admin_new_campaign():
    return _edit_campaign(None)


@bp.route("/admin/campaigns/<int:campaign_id>/edit", methods=["GET", "POST"])
@admin_required
def admin_edit_campaign(campaign_id: int):
    return _edit_campaign(db.get_or_404(Campaign, campaign_id))


@bp.route("/admin/campaigns/<int:campaign_id>/current", methods=["POST"])
@admin_required
def admin_make_current(campaign_id: int):
    campaign = db.get_or_404(Campaign, campaign_id)
    try:
        campaigns.make_current(campaign)
    except RuleError as error:
        flash(str(error), "danger")
    else:
        flash(_("%(year)s 年开放日已设为当前届次", year=campaign.year), "success")
    return redirect(url_for("accounts.admin_campaigns"))

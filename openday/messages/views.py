"""Find my bookings, the manage page's reminder switch, and password reset by mail."""
from __future__ import annotations

import hashlib

from flask import abort, current_app, flash, make_response, redirect, render_template, request, url_for
from flask_limiter.util import get_remote_address

from openday.accounts.models import User
from openday.accounts.permissions import admin_required
from openday.bookings import service as bookings
from openday.bookings.ratelimit import phone_key, token_guess_limit
from openday.core.errors import RuleError
from openday.core.forms import put_on_form
from openday.core.i18n import _
from openday.extensions import db, limiter
from openday.messages import service
from openday.messages.blueprint import bp
from openday.messages.forms import (FindBookingsForm, RemindersForm, ResetPasswordForm,
                                    ResetRequestForm)


def _private(response):
    # The URL is the secret: keep it out of shared caches and other sites' Referer headers.
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def _config(name: str):
    return lambda: current_app.config[name]


# ---- find my bookings -----------------------------------------------------------------------------

@bp.route("/my-bookings", methods=["GET", "POST"])
@limiter.limit(_config("OPENDAY_FIND_PHONE_LIMIT"), key_func=phone_key, methods=["POST"],
               scope="find-phone")
@limiter.limit(_config("OPENDAY_FIND_ADDRESS_LIMIT"), methods=["POST"], scope="find-ip")
def find():
    """One answer whatever the phone holds: it never tells whether a number has bookings."""
    form = FindBookingsForm()
    asked = False
    if form.validate_on_submit():
        try:
            service.request_lookup(form.phone.data)
        except RuleError as exc:
            put_on_form(form, exc)
        else:
            asked = True
    return _private(make_response(render_template(
        "messages/find.html", form=form, asked=asked, gateway=service.sms_gateway())))


@bp.get("/my-bookings/<token>")
def found(token: str):
    listed = service.open_lookup(token)
    if listed is None:
        return _private(make_response(render_template("messages/found.html", bookings=None), 404))
    rows = [(booking, bookings.manage_url(booking)) for booking in listed]
    return _private(make_response(render_template("messages/found.html", bookings=rows)))


# ---- reminders switch -----------------------------------------------------------------------------

@bp.post("/bookings/<token>/reminders")
@token_guess_limit
def reminders(token: str):
    booking = bookings.find_by_token(token)
    if booking is None:
        abort(404)
    form = RemindersForm()
    if form.validate_on_submit():
        wanted = form.wanted.data == "on"
        service.set_reminders(booking, wanted)
        flash(_("已恢复活动前一天的提醒短信。") if wanted else _("已关闭提醒短信，其他通知不受影响。"),
              "success")
    return redirect(url_for("bookings.manage", token=token), 303)


# ---- password reset -------------------------------------------------------------------------------

def _email_key() -> str:
    email = (request.form.get("email") or "").strip().lower()[:254]
    return "reset:" + hashlib.sha256(email.encode()).hexdigest()[:24]


@bp.route("/password/reset", methods=["GET", "POST"])
@limiter.limit(_config("OPENDAY_RESET_ACCOUNT_LIMIT"), key_func=_email_key, methods=["POST"],
               scope="reset-account")
@limiter.limit(_config("OPENDAY_RESET_ADDRESS_LIMIT"), key_func=get_remote_address,
               methods=["POST"], scope="reset-ip")
def reset_request():
    """The same answer for an address with an account and one without."""
    form = ResetRequestForm()
    asked = False
    if form.validate_on_submit():
        service.request_password_reset(form.email.data)
        asked = True
    return render_template("messages/reset_request.html", form=form, asked=asked)


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
@limiter.limit(_config("OPENDAY_TOKEN_MISS_LIMIT"), scope="reset-token",
               deduct_when=lambda response: response.status_code == 404)
def reset_password(token: str):
    user = service.reset_link_user(token)
    if user is None:
        return _private(make_response(render_template("messages/reset.html", form=None), 404))
    form = ResetPasswordForm()
    if form.validate_on_submit():
        if service.complete_password_reset(token, form.password.data):
            flash(_("密码已重设，请用新密码登录。"), "success")
            return redirect(url_for("accounts.login"), 303)
        return _private(make_response(render_template("messages/reset.html", form=None), 404))
    return _private(make_response(render_template("messages/reset.html", form=form,
                                                  email=user.email)))


@bp.post("/admin/users/<int:user_id>/password-reset")
@admin_required
def admin_password_reset(user_id: int):
    """The admin's button on the user list (CSRF-checked like every POST): mail a reset link."""
    user = db.get_or_404(User, user_id)
    service.send_password_reset(user)
    flash(_("已向 %(email)s 发送重设密码邮件。", email=user.email), "success")
    return redirect(url_for("accounts.admin_users", role=request.form.get("role") or None))

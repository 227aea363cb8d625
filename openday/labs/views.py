"""Labs: self-registration, a lab's colleagues, and the regulators' approval queue."""
from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from openday.accounts import service as accounts
from openday.accounts.forms import NewAccountForm, RemoveColleagueForm
from openday.accounts.permissions import in_scope_or_404, lab_staff_required, regulator_required
from openday.core.errors import RuleError
from openday.core.forms import put_on_form
from openday.core.i18n import _
from openday.extensions import db, limiter
from openday.labs import service
from openday.labs.blueprint import bp
from openday.labs.forms import (ACTION_LABELS, LAB_STATUS_LABELS, LabDetailsForm, RegistrationForm,
                                ReviewForm, StatusFilterForm)
from openday.labs.models import Lab, LabStatus


def _register_limit() -> str:
    # Per address (config.from_env holds the generous default: many applicants share one NAT).
    return current_app.config["OPENDAY_REGISTER_LIMIT"]


# ---- registration --------------------------------------------------------------------------------

@bp.route("/labs/register", methods=["GET", "POST"])
@limiter.limit(_register_limit, methods=["POST"],
               exempt_when=lambda: bool(request.form.get("refresh_regions")))
def register():
    form = RegistrationForm()
    form.narrow_regions()
    context = {"form": form, "refreshed": False}
    if current_user.is_authenticated:
        # Someone already signed in (a lab's colleague, a regulator) would register a second
        # lab under the wrong session: the page says so instead of showing the form.
        return render_template("labs/register.html", **context)
    if request.method == "POST" and request.form.get("refresh_regions"):
        # No JavaScript: the applicant changed the province or city and asked for the next list.
        return render_template("labs/register.html", **dict(context, refreshed=True))
    if form.validate_on_submit():
        try:
            user = service.register_lab(form.application())
        except RuleError as error:
            form.form_errors.extend(put_on_form(form, error))
        else:
            accounts.sign_in(user)
            return redirect(url_for("labs.registered"))
    return render_template("labs/register.html", **context)


@bp.route("/labs/registered")
@lab_staff_required
def registered():
    return render_template("labs/registered.html", lab=current_user.lab)


@bp.route("/lab/apply-again", methods=["GET", "POST"])
@lab_staff_required
def apply_again():
    """A rejected lab corrects its details and goes back into the review queue."""
    lab = current_user.lab
    if not service.can_apply_again(lab):
        flash(_("只有未通过审核的机构可以修改资料并重新提交。"), "info")
        return redirect(url_for("events.lab_dashboard"))
    form = LabDetailsForm()
    if request.method == "GET":
        form.fill_from(lab)
    form.narrow_regions()
    refreshed = request.method == "POST" and bool(request.form.get("refresh_regions"))
    if not refreshed and form.validate_on_submit():
        try:
            service.apply_again(lab, form.details())
        except RuleError as error:
            form.form_errors.extend(put_on_form(form, error))
        else:
            flash(_("已重新提交，请等待所在省份监管部门审核。"), "success")
            return redirect(url_for("events.lab_dashboard"))
    return render_template("labs/apply_again.html", form=form, lab=lab, refreshed=refreshed)


# ---- a lab's own accounts ------------------------------------------------------------------------

@bp.route("/lab/users", methods=["GET", "POST"])
@lab_staff_required
def colleagues():
    lab = current_user.lab
    form = NewAccountForm()
    if form.validate_on_submit():
        try:
            user = accounts.add_colleague(lab.id, form.email.data, form.password.data,
                                          form.name.data)
        except RuleError as error:
            put_on_form(form, error, default="email")
        else:
            flash(_("已添加同事账号 %(email)s，请把初始密码告诉对方。", email=user.email), "success")
            return redirect(url_for("labs.colleagues"))
    return render_template("labs/colleagues.html", lab=lab, users=service.lab_users(lab), form=form,
                           remove_form=RemoveColleagueForm(formdata=None))


@bp.route("/lab/users/<int:user_id>/remove", methods=["POST"])
@lab_staff_required
def remove_colleague(user_id: int):
    if not RemoveColleagueForm().validate_on_submit():
        abort(400)
    try:
        email = accounts.remove_colleague(current_user.lab_id, user_id, current_user)
    except RuleError as error:
        if error.status == 404:
            abort(404)
        flash(str(error), "danger")
    else:
        flash(_("已移除账号 %(email)s，该账号已无法登录。", email=email), "success")
    return redirect(url_for("labs.colleagues"))


# ---- regulators ----------------------------------------------------------------------------------

def _queue_filter(filters: StatusFilterForm) -> service.QueueFilter:
    """What the queue's form asks for; a field in error counts as not given."""
    filters.validate()

    def value(field):
        return None if field.errors else field.data

    status = filters.status.data if filters.status.data in (*LAB_STATUS_LABELS, "all") else "pending"
    return service.QueueFilter(
        q=value(filters.q) or "", status=status, city=value(filters.city) or None,
        registered_from=value(filters.registered_from), registered_to=value(filters.registered_to),
        sort=value(filters.sort) or "oldest")


QUEUE_PARAMS = ("q", "status", "city", "registered_from", "registered_to", "sort")


@bp.route("/regulator/labs")
@regulator_required
def regulator_labs():
    scope = current_user.scope
    filters = StatusFilterForm(request.args)
    filters.fill_cities(scope)
    chosen = _queue_filter(filters)
    page = service.regulator_labs(scope, chosen, accounts.page_number(request.args.get("page")))
    counts = service.status_counts(scope)
    # The queue's own query string, carried to each lab and back, so approving one returns to
    # the same search.
    query = {k: request.args[k] for k in QUEUE_PARAMS if request.args.get(k)}
    regions = {lab.id: service.credit_code_region(lab) for lab in page.items}
    return render_template("labs/regulator_labs.html", page=page, status=chosen.status,
                           filters=filters, counts=counts, query=query, regions=regions)


@bp.route("/regulator/labs/<int:lab_id>", methods=["GET", "POST"])
@regulator_required
def regulator_lab(lab_id: int):
    lab = in_scope_or_404(db.session.get(Lab, lab_id), "district_adcode")
    form = ReviewForm()
    if form.validate_on_submit():
        try:
            service.review(lab, form.action.data, form.reason.data)
        except RuleError as error:
            put_on_form(form, error, default="action")
        else:
            flash(_("已将“%(name)s”的状态改为：%(status)s", name=lab.name,
                    status=LAB_STATUS_LABELS[lab.status]), "success")
            if form.action.data in ("approve", "reject"):
                # On through the queue: the next lab waiting, or the queue once none is.
                following = service.next_pending(current_user.scope, lab)
                if following is not None:
                    return redirect(url_for("labs.regulator_lab", lab_id=following.id))
                flash(_("范围内已没有待审核的机构。"), "info")
                return redirect(url_for("labs.regulator_labs"))
            return redirect(url_for("labs.regulator_lab", lab_id=lab.id))
    return render_template("labs/regulator_lab.html", lab=lab, form=form,
                           users=service.lab_users(lab), actions=service.allowed_actions(lab),
                           action_labels=ACTION_LABELS, LabStatus=LabStatus,
                           code_region=service.credit_code_region(lab),
                           cma_query_url=current_app.config["OPENDAY_CMA_QUERY_URL"],
                           pending_left=service.status_counts(current_user.scope).get(
                               LabStatus.pending, 0))

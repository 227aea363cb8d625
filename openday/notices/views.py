"""Notices: public reading, and the regulators' list/create/edit/delete at /regulator/notices."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user

from openday import clock
from openday.accounts.permissions import regulator_required
from openday.core.errors import RuleError
from openday.core.forms import put_on_form
from openday.extensions import db
from openday.web import allows_body
from openday.notices import attachments, service
from openday.notices.blueprint import bp
from openday.notices.forms import DeleteForm, NoticeForm
from openday.notices.models import Notice


@bp.route("/notices/")
def index():
    notices = service.latest_notices(limit=50)
    return render_template("notices/index.html", notices=notices, region_name=service.region_name)


@bp.route("/notices/<int:notice_id>")
def show(notice_id: int):
    notice = service.published_notice(notice_id, current_user)
    if notice is None:
        abort(404)
    return render_template("notices/show.html", notice=notice,
                           body=service.render_body(notice.body),
                           region=service.region_name(notice))


@bp.route("/notices/<int:notice_id>/attachments/<int:attachment_id>")
def attachment(notice_id: int, attachment_id: int):
    """A download, never a page: Content-Disposition attachment, the type the content was
    recognised as, nosniff, and a sandboxing CSP should a browser render it anyway."""
    found = service.attachment_for(notice_id, attachment_id, current_user)
    if found is None:
        abort(404)
    try:
        path = attachments.path_of(found.stored_name)
        response = send_file(path, mimetype=attachments.KINDS[found.kind][0],
                             as_attachment=True, download_name=found.filename, max_age=0)
    except FileNotFoundError:
        abort(404)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["Cache-Control"] = "private, no-cache"
    return response


# ---- regulators --------------------------------------------------------------------------------

def _form(notice: Notice | None = None) -> NoticeForm:
    form = NoticeForm(obj=None)
    form.region_scope.choices = service.scope_choices(current_user)
    form.remove.choices = [(a.id, a.filename) for a in (notice.attachments if notice else [])]
    if notice is not None and not form.is_submitted():
        form.title.data = notice.title
        form.body.data = notice.body
        form.region_scope.data = notice.region_scope or ""
        form.audience.data = notice.audience
        form.published_at.data = clock.local(notice.published_at).replace(tzinfo=None)
    return form


def _uploads(form: NoticeForm) -> list[tuple[str, bytes]]:
    """The files chosen in the form (an empty file input sends one nameless, empty part)."""
    return [(upload.filename, upload.read()) for upload in form.attachments.data or []
            if upload and upload.filename]


def _save(form: NoticeForm, notice: Notice | None) -> Notice | None:
    """The saved notice, or None with the service's refusal on the form."""
    moment = form.published_at.data
    try:
        return service.save_notice(
            notice, current_user, title=form.title.data, body=form.body.data,
            region_scope=form.region_scope.data or None,
            published_at=moment.replace(tzinfo=clock.CHINA) if moment else None,
            audience=form.audience.data, files=_uploads(form),
            remove=tuple(form.remove.data or ()))
    except RuleError as error:
        put_on_form(form, error, default="region_scope")
        return None


def _upload_limit(config) -> int:
    """The notice form's body: every attachment at its largest, and the text fields."""
    return (config["OPENDAY_ATTACHMENT_MAX_BYTES"] * config["OPENDAY_ATTACHMENTS_PER_NOTICE"]
            + config["MAX_FORM_MEMORY_SIZE"] * 2)


def _managed_or_404(notice_id: int) -> Notice:
    """Another scope's notice answers exactly like a missing one."""
    notice = db.session.get(Notice, notice_id)
    if notice is None or not service.can_manage(current_user, notice):
        abort(404)
    return notice


@bp.route("/regulator/notices", methods=["GET", "POST"])
@allows_body(_upload_limit)
@regulator_required
def manage():
    form = _form()
    if form.validate_on_submit() and (notice := _save(form, None)) is not None:
        flash(_("通知已定时发布。") if service.is_scheduled(notice) else _("通知已发布。"), "success")
        return redirect(url_for("notices.manage"))
    return render_template("notices/manage.html", form=form,
                           notices=service.manageable_notices(current_user),
                           delete_form=DeleteForm(), region_name=service.region_name,
                           is_scheduled=service.is_scheduled)


@bp.route("/regulator/notices/<int:notice_id>/edit", methods=["GET", "POST"])
@allows_body(_upload_limit)
@regulator_required
def edit(notice_id: int):
    notice = _managed_or_404(notice_id)
    form = _form(notice)
    if form.validate_on_submit() and _save(form, notice) is not None:
        flash(_("通知已保存。"), "success")
        return redirect(url_for("notices.manage"))
    return render_template("notices/edit.html", form=form, notice=notice,
                           delete_form=DeleteForm(), preview=service.render_body(notice.body))


@bp.route("/regulator/notices/<int:notice_id>/delete", methods=["POST"])
@regulator_required
def delete(notice_id: int):
    notice = _managed_or_404(notice_id)
    if not DeleteForm().validate_on_submit():
        abort(400)
    service.delete_notice(notice)
    flash(_("通知已删除。"), "success")
    return redirect(url_for("notices.manage"))
